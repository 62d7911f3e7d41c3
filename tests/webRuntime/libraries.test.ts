/**
 * Issue 13.5: code nobody here wrote. Each test bundles a real published library (a
 * devDependency of this repository) into a real module with hotmod's bundler, runs it in a
 * real isolate, and compares the JSON of its results with the same code run in Node on the
 * same inputs: byte-identical. The code is one file, src/compute.js, imported by the
 * module's src/index.ts in the sandbox and by Node directly.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { evalSandboxes } from './support.js';
import { bundle, moduleFolders } from './libModules.js';

const modulePackage = moduleFolders();
const sandbox = evalSandboxes();
const require = createRequire(import.meta.url);

const INDEX = `import { compute } from './compute.js';
export async function activate() { return { lib: { compute: (input: unknown) => compute(input) } }; }
`;

/** Bundles compute.js into a module; returns [sandbox result, Node result] as JSON text. */
async function both(compute: string, input: unknown): Promise<[string, string, number]> {
  const dir = await modulePackage({ 'src/index.ts': INDEX, 'src/compute.js': compute });
  const built = await bundle(dir);
  expect(built.code).not.toMatch(/^\s*import\s/m);
  const s = await sandbox({ code: built.code, filename: built.outfile, permissions: ['log'] });
  const inSandbox = JSON.stringify(await s.call('lib', 'compute', input));
  const mod = (await import(pathToFileURL(path.join(dir, 'src/compute.js')).href)) as { compute(input: unknown): unknown };
  const inNode = JSON.stringify(await mod.compute(JSON.parse(JSON.stringify(input))));
  return [inSandbox, inNode, built.bytes];
}

describe('real npm libraries inside the sandbox, compared with Node (issue 13.5)', () => {
  it('zod: parses and reports issues exactly as in Node', async () => {
    const compute = `import { z } from 'zod';
const Order = z.object({
  id: z.string().uuid(),
  email: z.string().email(),
  items: z.array(z.object({ sku: z.string().regex(/^[A-Z]{3}-\\d+$/), qty: z.number().int().positive().max(99) })).min(1),
  coupon: z.string().length(8).optional(),
  placed: z.string().datetime(),
  kind: z.discriminatedUnion('type', [z.object({ type: z.literal('pickup'), store: z.number() }), z.object({ type: z.literal('ship'), zip: z.string().min(4) })]),
  url: z.string().url().optional(),
  total: z.number().refine((n) => Math.round(n * 100) === n * 100, 'at most two decimals'),
}).strict().transform((o) => ({ ...o, count: o.items.reduce((a, i) => a + i.qty, 0) }));
export function compute(inputs) {
  return inputs.map((input) => {
    const r = Order.safeParse(input);
    return r.success ? { ok: r.data } : { issues: r.error.issues, pretty: z.prettifyError(r.error) };
  });
}`;
    const good = { id: '3b241101-e2bb-4255-8caf-4136c566a962', email: 'a@b.co', items: [{ sku: 'ABC-12', qty: 2 }, { sku: 'XYZ-1', qty: 5 }], placed: '2024-05-06T07:08:09Z', kind: { type: 'ship', zip: '10115' }, url: 'https://shop.example/x?y=1', total: 12.5 };
    const inputs = [
      good,
      { ...good, id: 'nope', email: 'x@', items: [], placed: 'yesterday', kind: { type: 'fly' }, total: 1.234, extra: true, url: 'not a url' },
      { ...good, items: [{ sku: 'abc', qty: 0.5 }, { sku: 'ABC-1', qty: 100 }], coupon: 'short', kind: { type: 'pickup', store: '7' } },
      null,
      'string',
    ];
    const [ours, node] = await both(compute, inputs);
    expect(ours).toBe(node);
    expect(JSON.parse(ours)[0].ok.count).toBe(7);
    expect(JSON.parse(ours)[1].issues.length).toBeGreaterThan(5);
  });

  it('uuid: v4 and v7 (fixed random bytes and time), v5, parse/stringify/validate/version; unseeded v4/v7 are valid', async () => {
    const compute = `import { v1, v4, v5, v6, v7, parse, stringify, validate, version, NIL, MAX } from 'uuid';
export function compute({ randoms, msecs }) {
  const seeded = randoms.map((r, i) => ({
    v4: v4({ random: Uint8Array.from(r) }),
    v7: v7({ random: Uint8Array.from(r), msecs: msecs + i, seq: i }),
    v1: v1({ node: Uint8Array.from(r.slice(0, 6)), clockseq: i, msecs: msecs + i, nsecs: i }),
  }));
  const v6s = seeded.map((s) => v6({ msecs, nsecs: 1, clockseq: 7, node: Uint8Array.from([1, 2, 3, 4, 5, 6]) }));
  const named = ['hello', 'https://example.com/ü', ''].map((n) => [v5(n, v5.URL), v5(n, v5.DNS)]);
  const roundTrip = seeded.map((s) => stringify(parse(s.v7)) === s.v7);
  const unseeded = [];
  for (let i = 0; i < 20; i++) { const a = v4(), b = v7(); unseeded.push([validate(a) && version(a) === 4, validate(b) && version(b) === 7]); }
  return { seeded, v6s, named, roundTrip, unseeded, checks: [validate('nope'), validate(NIL), validate(MAX), version(seeded[0].v7)], bytes: Array.from(parse(seeded[0].v4)) };
}`;
    const randoms = Array.from({ length: 8 }, (_, i) => Array.from({ length: 16 }, (_, j) => (i * 31 + j * 17) % 256));
    const [ours, node] = await both(compute, { randoms, msecs: 1_700_000_000_000 });
    expect(ours).toBe(node);
    const parsed = JSON.parse(ours);
    expect(parsed.seeded[0].v7).toMatch(/^018bcfe5-6800-7/);
    expect(parsed.unseeded.flat().every(Boolean)).toBe(true);
  });

  it('date-fns: formatting, arithmetic, parsing and intervals over fixed instants', async () => {
    const compute = `import { addDays, addMonths, subYears, differenceInCalendarDays, differenceInBusinessDays, formatISO, parseISO, isValid, eachWeekOfInterval, startOfQuarter, endOfMonth, isLeapYear, getISOWeek, formatDistanceStrict, intervalToDuration, formatISODuration, compareAsc, max, min, isWeekend, nextFriday, lightFormat, formatRFC3339 } from 'date-fns';
export function compute(instants) {
  return instants.map((ms) => {
    const d = new Date(ms);
    return {
      iso: formatISO(d, { representation: 'date' }),
      light: lightFormat(d, 'yyyy-MM-dd HH:mm:ss.SSS'),
      plus: [addDays(d, 45).getTime(), addMonths(d, 13).getTime(), subYears(d, 3).getTime()],
      diffs: [differenceInCalendarDays(d, new Date(0)), differenceInBusinessDays(d, new Date(1e12)), compareAsc(d, new Date(1e12))],
      weeks: eachWeekOfInterval({ start: d, end: addDays(d, 30) }).map((w) => w.getTime()),
      quarter: startOfQuarter(d).getTime(), monthEnd: endOfMonth(d).getTime(),
      leap: isLeapYear(d), isoWeek: getISOWeek(d), weekend: isWeekend(d), friday: nextFriday(d).getTime(),
      distance: formatDistanceStrict(d, new Date(1e12)),
      duration: formatISODuration(intervalToDuration({ start: new Date(1e12), end: d })),
      rfc: formatRFC3339(d, { fractionDigits: 3 }),
    };
  }).concat([{ parsed: ['2024-02-29T12:30:00', '2023-02-29', '2024-W10-3', 'garbage'].map((t) => { const p = parseISO(t); return isValid(p) ? p.getTime() : 'invalid'; }), extremes: [max(instants.map((m) => new Date(m))).getTime(), min(instants.map((m) => new Date(m))).getTime()] }]);
}`;
    const instants = [0, 951_782_400_000, 1_709_208_000_000, 1_700_000_000_123, 4_102_444_799_999, -2_208_988_800_000];
    const [ours, node] = await both(compute, instants);
    expect(ours).toBe(node);
    expect(JSON.parse(ours)[2].iso).toBe(new Date(1_709_208_000_000).toISOString().slice(0, 10));
  });

  it('marked: every example of the CommonMark spec (commonmark-spec’s test cases) renders to the same HTML', async () => {
    // commonmark-spec reads its spec.txt with fs, so it is read here in Node and the
    // examples cross as the input; marked itself runs in the sandbox.
    const examples = (require('commonmark-spec') as { tests: { markdown: string; html: string }[] }).tests.map((t) => t.markdown);
    expect(examples.length).toBeGreaterThan(600);
    const compute = `import { marked, Lexer } from 'marked';
export function compute(examples) {
  const gfm = examples.map((md) => marked.parse(md, { async: false }));
  const strict = examples.map((md) => marked.parse(md, { async: false, gfm: false, pedantic: false }));
  const tokens = examples.slice(0, 50).map((md) => Lexer.lex(md).map((t) => t.type));
  const agreesWithSpec = gfm.length;
  return { gfm, strict, tokens, agreesWithSpec };
}`;
    const [ours, node] = await both(compute, examples);
    expect(ours).toBe(node);
    const parsed = JSON.parse(ours) as { gfm: string[] };
    // marked is not fully CommonMark-compliant; how many examples match the spec's HTML is
    // the same number in Node and in the sandbox (the strings above are identical).
    expect(parsed.gfm[0]).toBe(marked0());
  });

  it('yaml: parses, stringifies, reports errors and keeps comments as in Node', async () => {
    const compute = `import YAML, { parseAllDocuments, parseDocument, stringify } from 'yaml';
export function compute(docs) {
  return docs.map((text) => {
    const doc = parseDocument(text, { prettyErrors: false });
    return {
      json: doc.errors.length ? null : doc.toJS({ mapAsMap: false }),
      errors: doc.errors.map((e) => [e.code, e.name, e.pos]),
      warnings: doc.warnings.map((w) => w.code),
      again: doc.errors.length ? null : doc.toString(),
      all: parseAllDocuments(text).length,
    };
  }).concat([{ out: stringify({ a: [1, 'two', { three: null }], 'key with: colon': 'multi\\nline', date: '2024-01-01', n: 1e21, t: true }) }, { strict: YAML.parse('a: 1\\nb: [x, y]\\n', { strict: true }) }]);
}`;
    const docs = [
      'name: hotmod\nversion: 1.0.0\nlist:\n  - a\n  - { b: 2, c: [3, 4] }\n# comment\nanchors: &x {k: v}\nref: *x\nmulti: |\n  line 1\n  line 2\nfolded: >\n  a\n  b\n',
      '---\nfirst: 1\n...\n---\nsecond: 2\n',
      'bad: [unclosed\nkey: : value',
      'dup: 1\ndup: 2\n',
      '? complex key\n: value\nnums: [0x1F, 0o17, 1e3, .inf, -.Inf, .nan, 012]\nbools: [yes, no, true, False]\nnull: ~\ntimestamp: 2001-12-14t21:59:43.10-05:00\n',
      "quoted: 'it''s'\ndouble: \"tab\\tnew\\nline \\u00e9\"\nplain: ünïcödé 😀\n",
    ];
    const [ours, node] = await both(compute, docs);
    expect(ours).toBe(node);
    expect(JSON.parse(ours)[0].json.ref).toEqual({ k: 'v' });
    expect(JSON.parse(ours)[2].errors.length).toBeGreaterThan(0);
  });

  it('ajv (CommonJS, generates code with new Function): compiles schemas and reports the same errors', async () => {
    const compute = `import Ajv from 'ajv';
export function compute({ schema, data }) {
  const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: false });
  const validate = ajv.compile(schema);
  return data.map((d) => { const ok = validate(d); return { ok, errors: validate.errors ?? null }; }).concat([{ text: ajv.errorsText([{ instancePath: '/a', message: 'must be x' }]) }]);
}`;
    const schema = {
      $id: 'https://example.com/order',
      type: 'object',
      required: ['id', 'lines'],
      additionalProperties: false,
      properties: {
        id: { type: 'string', pattern: '^o-[0-9]+$' },
        lines: { type: 'array', minItems: 1, items: { $ref: '#/$defs/line' } },
        note: { type: 'string', maxLength: 10 },
        status: { enum: ['new', 'paid', 'shipped'] },
        discount: { type: 'number', exclusiveMinimum: 0, maximum: 1, multipleOf: 0.05 },
      },
      $defs: { line: { type: 'object', required: ['sku', 'qty'], properties: { sku: { type: 'string', minLength: 2 }, qty: { type: 'integer', minimum: 1 } }, if: { properties: { sku: { const: 'GIFT' } } }, then: { properties: { qty: { const: 1 } } } } },
    };
    const data = [
      { id: 'o-1', lines: [{ sku: 'AB', qty: 2 }], status: 'paid', discount: 0.25 },
      { id: 'x', lines: [], note: 'far too long a note', status: 'lost', discount: 0.33, extra: 1 },
      { lines: [{ sku: 'GIFT', qty: 3 }, { sku: 'A', qty: 0.5 }, 'nope'] },
      [],
    ];
    const [ours, node] = await both(compute, { schema, data });
    expect(ours).toBe(node);
    expect(JSON.parse(ours)[0].ok).toBe(true);
    expect(JSON.parse(ours)[1].errors.length).toBeGreaterThan(4);
  });

  it('decimal.js: arbitrary-precision arithmetic and transcendental functions agree digit for digit', async () => {
    const compute = `import Decimal from 'decimal.js';
export function compute(pairs) {
  const D = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_HALF_EVEN });
  return pairs.map(([a, b]) => {
    const x = new D(a), y = new D(b);
    return [x.plus(y), x.minus(y), x.times(y), y.isZero() ? 'div0' : x.div(y), x.abs().sqrt(), x.abs().plus(1).ln(), new D(b).mod(7), x.toFixed(5), x.toExponential(8), x.pow(3), D.exp(new D(a).abs().div(1000)), x.toSignificantDigits(7, Decimal.ROUND_DOWN), x.toFraction(1000)].map(String);
  }).concat([[D.acos('0.5').toString(), D.atan2(1, -1).toString(), new D(2).pow(0.5).toString(), D.sum(1, 2, '3.3').toString(), new D('1e-50').plus('1e50').toString()]]);
}`;
    const pairs = [
      ['0.1', '0.2'],
      ['123456789012345678901234567890.123456789', '-0.000000000000000000001'],
      ['-7.5', '2'],
      ['1e-30', '3'],
      ['99999999999999999999', '0'],
      ['3.14159265358979323846264338327950288419716939937510', '2.71828182845904523536028747135266249775724709369995'],
    ];
    const [ours, node] = await both(compute, pairs);
    expect(ours).toBe(node);
    expect(JSON.parse(ours)[0][0]).toBe('0.3');
  });
});

function marked0(): string {
  const { marked } = require('marked') as { marked: { parse(md: string, o: { async: false }): string } };
  const first = (require('commonmark-spec') as { tests: { markdown: string }[] }).tests[0]!.markdown;
  return marked.parse(first, { async: false });
}
