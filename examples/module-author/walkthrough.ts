/**
 * The module-author walkthrough of README.md, run for real against a scratch copy of
 * modules/ (your modules/ and .hotmod/ are not touched):
 *
 *   npx node --no-node-snapshot --import tsx examples/module-author/walkthrough.ts
 *
 * It starts the example server with hot reload, runs `hotmod new greeter`, calls it,
 * edits it and bumps its version, and shows the new version swapped in, printing each
 * step and what the server answered. Exit code 0 when every step did what README.md says.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ACME = '0d7c9f3e-1a2b-4c5d-8e6f-000000000001';
const STARK = '0d7c9f3e-1a2b-4c5d-8e6f-000000000006';
const scratch = await mkdtemp(path.join(os.tmpdir(), 'hotmod-walkthrough-'));
const modulesDir = path.join(scratch, 'modules');
let server: ChildProcess | undefined;
let serverOutput = '';

function step(title: string): void {
  console.log(`\n== ${title}`);
}

function fail(message: string): never {
  throw new Error(`${message}\n--- server output ---\n${serverOutput}`);
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function post(url: string, body?: unknown): Promise<{ status: number; body: any }> {
  const init: RequestInit = { method: 'POST' };
  if (body !== undefined) init.body = JSON.stringify(body);
  if (body !== undefined) init.headers = { 'content-type': 'application/json' };
  const response = await fetch(url, init);
  return { status: response.status, body: await response.json() };
}

function hotmod(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'bin/hotmod.js'), ...args], { cwd: scratch, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c));
    child.stderr.on('data', (c: Buffer) => (out += c));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`hotmod ${args.join(' ')} exited ${code}:\n${out}`))));
  });
}

try {
  // Everything but a greeter of your own (from following README.md by hand): this run makes its own.
  const yours = path.join(root, 'modules', 'greeter');
  await cp(path.join(root, 'modules'), modulesDir, { recursive: true, filter: (src) => src !== yours && !src.startsWith(yours + path.sep) });

  step('npm run dev   (the example server with hot reload)');
  server = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', path.join(root, 'examples/app-server/server.ts'), '--watch'], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOTMOD_MODULES_DIR: modulesDir, HOTMOD_STORE: `pglite://${path.join(scratch, 'db')}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout!.on('data', (c: Buffer) => (serverOutput += c));
  server.stderr!.on('data', (c: Buffer) => (serverOutput += c));
  const url = await until('the server to listen', async () => /listening on (http:\/\/\S+)/.exec(serverOutput)?.[1]);
  console.log(serverOutput.trim());

  step('npx hotmod new greeter');
  console.log((await hotmod(['new', 'greeter'])).trim());
  await until('greeter to activate', async () => (/activated greeter@1\.0\.0/.test(serverOutput) ? true : undefined));
  console.log(`server: ${serverOutput.split('\n').find((l) => /activated greeter@1\.0\.0/.test(l))}`);

  step(`curl -X POST ${url}/clients/${STARK}/invoke/greeter.api/hello -d '{"name":"Ada"}'   (Stark Industries: no legacy row, catalog defaults)`);
  const first = await post(`${url}/clients/${STARK}/invoke/greeter.api/hello`, { name: 'Ada' });
  console.log(first.status, JSON.stringify(first.body));
  if (first.status !== 200 || first.body.result?.message !== 'Hello, Ada!') fail('greeter 1.0.0 did not answer');

  step(`curl -X POST ${url}/clients/${ACME}/invoke/greeter.api/hello   (Acme Corp: its legacy list does not name greeter)`);
  const refused = await post(`${url}/clients/${ACME}/invoke/greeter.api/hello`, { name: 'Ada' });
  console.log(refused.status, JSON.stringify(refused.body));
  if (refused.status !== 403) fail('Acme should not reach greeter before it is enabled');

  step(`curl -X POST ${url}/clients/${ACME}/modules/greeter/enable`);
  const enabled = await post(`${url}/clients/${ACME}/modules/greeter/enable`);
  console.log(enabled.status, JSON.stringify({ ...enabled.body, module: { moduleId: enabled.body.module?.moduleId, enabled: enabled.body.module?.enabled, source: enabled.body.module?.source } }));
  const acme = await post(`${url}/clients/${ACME}/invoke/greeter.api/hello`, { name: 'Acme' });
  console.log(acme.status, JSON.stringify(acme.body));
  if (acme.status !== 200) fail('Acme cannot reach greeter after enable');

  step('edit modules/greeter/src/index.ts (Hello -> Hi there) and bump package.json to 1.1.0');
  const src = path.join(modulesDir, 'greeter/src/index.ts');
  await writeFile(src, (await readFile(src, 'utf8')).replace('Hello, ${name}!', 'Hi there, ${name}!'));
  const pkgPath = path.join(modulesDir, 'greeter/package.json');
  const pkg = JSON.parse(await readFile(pkgPath, 'utf8'));
  pkg.version = '1.1.0';
  await writeFile(pkgPath, `${JSON.stringify(pkg, null, 2)}\n`);
  const swapped = await until('the swap', async () => serverOutput.split('\n').find((l) => /swapped greeter 1\.0\.0 -> 1\.1\.0/.test(l)));
  console.log(`server: ${swapped}`);
  const second = await post(`${url}/clients/${STARK}/invoke/greeter.api/hello`, { name: 'Ada' });
  console.log(second.status, JSON.stringify(second.body));
  if (second.body.result?.message !== 'Hi there, Ada!' || second.body.result?.version !== '1.1.0') fail('1.1.0 is not serving');
  if (second.body.result?.greetings !== 3) fail('the greetings count did not survive the swap (deactivate -> previousState)');

  step('a broken edit: a syntax error in src/index.ts');
  const good = await readFile(src, 'utf8');
  await writeFile(src, good.replace('export async function activate', 'export async function activate {'));
  const diagnostic = await until('the diagnostic', async () => serverOutput.split('\n').find((l) => /greeter not swapped/.test(l)));
  console.log(`server: ${diagnostic}`);
  const still = await post(`${url}/clients/${STARK}/invoke/greeter.api/hello`, { name: 'Ada' });
  console.log(still.status, JSON.stringify(still.body));
  if (still.body.result?.version !== '1.1.0') fail('the broken edit took 1.1.0 down');
  await writeFile(src, good);

  step('Ctrl-C');
  server.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => server!.once('exit', resolve));
  console.log(`server: ${serverOutput.trim().split('\n').at(-1)} (exit code ${code})`);
  if (code !== 0) fail(`the server exited with ${code}`);
  server = undefined;
  console.log('\nwalkthrough OK');
} finally {
  server?.kill('SIGKILL');
  await rm(scratch, { recursive: true, force: true });
}
