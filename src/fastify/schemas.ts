/**
 * JSON Schemas of the plugin's routes. Params, query and headers are coerced from
 * strings (they are strings on the wire); bodies are validated strictly, without
 * coercion, so `{ "modulesEnabled": [1] }` is refused rather than turned into `["1"]`
 * (see validatorCompiler.ts).
 */

// Syntax only: whether a module or capability exists is the host's answer. Client ids
// follow the host's rule (letters, digits and . _ : @ -, uuids included); the legacy
// routes further need a uuid, which the legacy API checks (E_CLIENT_ID_INVALID).
const clientId = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}$' } as const;
const moduleId = { type: 'string', minLength: 1, maxLength: 214 } as const;
const capability = { type: 'string', minLength: 1, maxLength: 214, pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$' } as const;
// A method is a property of the object `activate` returned for the capability.
const method = { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z_$][A-Za-z0-9_$]*$' } as const;
const timeoutMs = { type: 'integer', minimum: 1, maximum: 600_000 } as const;

export const clientParams = {
  type: 'object',
  properties: { id: clientId },
  required: ['id'],
} as const;

export const clientModuleParams = {
  type: 'object',
  properties: { id: clientId, moduleId },
  required: ['id', 'moduleId'],
} as const;

export const invokeParams = {
  type: 'object',
  properties: { id: clientId, capability, method },
  required: ['id', 'capability', 'method'],
} as const;

export const invokeQuerystring = {
  type: 'object',
  properties: { timeoutMs },
  additionalProperties: false,
} as const;

export const invokeHeaders = {
  type: 'object',
  properties: {
    'timeout-ms': timeoutMs,
    'x-request-id': { type: 'string', minLength: 1, maxLength: 200 },
  },
} as const;

export const enableBody = {
  type: ['object', 'null'],
  properties: {
    // Absent: the unifier's default (false). false writes the legacy modules_enabled list
    // (when the client can have one); true writes a hotmod_module_configs row.
    useAdvanced: { type: 'boolean' },
    // true: the write may create a client neither system knows (otherwise E_CLIENT_UNKNOWN).
    createClient: { type: 'boolean' },
  },
  additionalProperties: false,
} as const;

export const overridesBody = {
  type: 'object',
  properties: {
    modulesEnabled: {
      type: 'array',
      maxItems: 1000,
      items: { type: 'string', minLength: 1, maxLength: 214 },
    },
  },
  required: ['modulesEnabled'],
  additionalProperties: false,
} as const;

// The fleet view (docs/fleet.md): host.fleet({ staleAfter }).
export const fleetQuerystring = {
  type: 'object',
  properties: { staleAfter: { type: 'number', exclusiveMinimum: 0, maximum: 1_000_000 } },
  additionalProperties: false,
} as const;

// Rollouts (docs/rollouts.md): the options as the CLI writes them ('1,10,50,100', '5m', '1%', '200ms') or as numbers.
const durationOrMs = { anyOf: [{ type: 'string', minLength: 1, maxLength: 50 }, { type: 'number', minimum: 0 }] } as const;
export const rolloutParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 300 } },
  required: ['id'],
} as const;

export const rolloutStartBody = {
  type: 'object',
  properties: {
    moduleId: moduleId,
    version: { type: 'string', minLength: 1, maxLength: 100 },
    stages: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'number' }, minItems: 1 }] },
    bake: durationOrMs,
    maxErrorRate: durationOrMs,
    maxP99: durationOrMs,
    minCalls: { type: 'integer', minimum: 0 },
    clients: { type: 'array', items: clientId },
    allowStateful: { type: 'boolean' },
  },
  required: ['moduleId', 'version'],
  additionalProperties: false,
} as const;

export const rolloutAbortBody = {
  type: ['object', 'null'],
  properties: { reason: { type: 'string', minLength: 1, maxLength: 500 } },
  additionalProperties: false,
} as const;
