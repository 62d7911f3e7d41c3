/** Module folders of the fleet tests: a hand-written bundle whose answer names its version. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface ModuleSpec {
  id: string;
  version: string;
  /** What `<id>.api` `version()` returns (default the version itself). */
  answer?: string;
}

/** Writes `<root>/<id>-<version>/` with package.json and dist/index.js; returns the folder. */
export async function writeModule(root: string, spec: ModuleSpec): Promise<string> {
  const dir = path.join(root, `${spec.id}-${spec.version}`);
  await mkdir(path.join(dir, 'dist'), { recursive: true });
  await writeFile(
    path.join(dir, 'package.json'),
    JSON.stringify(
      {
        name: `@fleet-test/${spec.id}`,
        version: spec.version,
        type: 'module',
        main: 'dist/index.js',
        hotmod: { id: spec.id, provides: { [`${spec.id}.api`]: '1.0.0' }, activation: 'eager', defaultEnabled: true },
      },
      null,
      2,
    ),
  );
  const answer = JSON.stringify(spec.answer ?? spec.version);
  await writeFile(path.join(dir, 'dist/index.js'), `export async function activate() {\n  return { '${spec.id}.api': { version() { return ${answer}; } } };\n}\n`);
  return dir;
}
