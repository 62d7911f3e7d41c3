/**
 * The files `hotmod new <id>` writes. Plain functions of the id so the output is
 * deterministic and testable; the module they describe passes `hotmod check` and runs
 * in a sandbox as it is.
 */
import { HOTMOD_VERSION } from '../../version.js';

export interface ScaffoldNames {
  /** The module id (`hotmod.id`). */
  id: string;
  /** The capability the module provides, `<id>.api`. */
  capability: string;
}

/** The capability a scaffolded module provides: `<id>.api`. */
export function capabilityFor(id: string): string {
  return `${id}.api`;
}

export function packageJsonTemplate({ id, capability }: ScaffoldNames): string {
  const major = HOTMOD_VERSION.split('.')[0] ?? '1';
  const pkg = {
    name: `hotmod-module-${id}`,
    version: '1.0.0',
    private: true,
    description: `The hotmod module '${id}'.`,
    type: 'module',
    main: 'dist/index.js',
    scripts: { build: 'hotmod build .' },
    engines: { hotmod: `^${major}.0.0` },
    hotmod: {
      id,
      provides: { [capability]: '1.0.0' },
      activation: 'eager',
      permissions: ['log'],
      defaultEnabled: true,
    },
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

export function indexTemplate({ id, capability }: ScaffoldNames): string {
  return `/**
 * The hotmod module '${id}'. It runs in a V8 isolate of its own: there is no Node API
 * and no module loader at run time, so \`hotmod build\` bundles everything this file
 * imports into dist/index.js. See docs/module-authoring.md in hotmod.
 */

/** What the host passes to activate (DESIGN.md "The module contract"). */
interface ModuleContext {
  module: { id: string; version: string };
  /** Module-level configuration (JSON) from the host. */
  config: unknown;
  /** What the previous version's deactivate returned, during a hot swap. */
  previousState: unknown;
  /** Present because package.json grants the "log" permission. */
  log: {
    info(message: string, data?: unknown): void;
    warn(message: string, data?: unknown): void;
    error(message: string, data?: unknown): void;
  };
}

/** The second argument of every method: who is calling, and a way to call other modules. */
interface CallContext {
  clientId: string;
  requestId: string;
  /** This client's customSettings for this module. */
  settings: Record<string, unknown>;
  /** Only capabilities declared in "requires" / "optionalRequires" may be called. */
  capability(name: string): Record<string, (input?: unknown) => Promise<unknown>>;
}

/** The state handed from one version to the next during a hot swap. */
interface State {
  greetings: number;
}

let greetings = 0;

export async function activate(ctx: ModuleContext) {
  const previous = ctx.previousState as State | undefined;
  greetings = previous?.greetings ?? 0;
  ctx.log.info(\`\${ctx.module.id}@\${ctx.module.version} activated\`, { greetings });
  // One object of methods per capability in "provides"; every method is async, takes
  // one JSON input and returns a JSON value (both are copied across the isolate boundary).
  return {
    '${capability}': {
      async hello(input: { name?: string } | undefined, call: CallContext) {
        greetings += 1;
        const name = typeof input?.name === 'string' && input.name !== '' ? input.name : 'world';
        return { message: \`Hello, \${name}!\`, module: ctx.module.id, version: ctx.module.version, clientId: call.clientId, greetings };
      },
    },
  };
}

/** Runs before a hot swap and at stop; what it returns reaches the next version as ctx.previousState. */
export async function deactivate(): Promise<State> {
  return { greetings };
}
`;
}

export function readmeTemplate({ id, capability }: ScaffoldNames): string {
  return `# ${id}

A hotmod module. It provides \`${capability}\` 1.0.0 with one method, \`hello\`.

- \`package.json\`: the \`hotmod\` field is the manifest (id, provides, requires,
  permissions, limits). See docs/manifest.md in hotmod.
- \`src/index.ts\`: the module: \`activate(ctx)\` returns the capability's methods,
  \`deactivate()\` returns the state the next version receives during a hot swap.
- \`dist/index.js\`: the bundle the host loads (\`hotmod build\` writes it).

\`\`\`sh
hotmod build modules/${id}     # bundle src/ into dist/index.js
hotmod check modules/${id}     # validate the manifest and the entry
hotmod dev                     # run the host; edits to src/ rebuild and swap in
\`\`\`

Call it from an application embedding the host:

\`\`\`ts
await host.client('acme').invoke('${capability}', 'hello', { name: 'Ada' });
// { message: 'Hello, Ada!', module: '${id}', version: '1.0.0', clientId: 'acme', greetings: 1 }
\`\`\`
`;
}
