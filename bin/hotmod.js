#!/usr/bin/env node
// The `hotmod` command. Plain JavaScript so that it can check the Node version before
// anything else loads, and re-run itself with --no-node-snapshot, which isolated-vm
// needs on Node 22+. The CLI itself is TypeScript, loaded through tsx.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MIN = [22, 12, 0];
const have = process.versions.node.split('.').map(Number);
const tooOld = have[0] < MIN[0] || (have[0] === MIN[0] && (have[1] < MIN[1] || (have[1] === MIN[1] && have[2] < MIN[2])));
if (tooOld) {
  process.stderr.write(
    `hotmod needs Node.js ${MIN.join('.')} or newer (24 LTS recommended); this is ${process.version}.\n` +
      `Run it through npm (npm start, npx hotmod …), which uses the project's Node 24, or install Node 24.\n`,
  );
  process.exit(1);
}

if (!process.execArgv.includes('--no-node-snapshot') && process.env.HOTMOD_NO_REEXEC !== '1') {
  // Re-run with the flag; forward signals so that a supervisor stopping us stops the child too.
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['--no-node-snapshot', ...process.execArgv, self, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, HOTMOD_NO_REEXEC: '1' },
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('error', (error) => {
    process.stderr.write(`hotmod: could not start Node.js: ${error.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  const { tsImport } = await import('tsx/esm/api');
  const { main } = await tsImport('../src/cli/main.ts', import.meta.url);
  process.exitCode = await main(process.argv.slice(2));
}
