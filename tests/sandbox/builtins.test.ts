/**
 * Issue 18.1, long built-ins (and fill before it): the bridge replaces the Array built-ins V8 runs without
 * interrupt checks (interruptibleBuiltins.ts). Module code must see the built-ins'
 * behaviour (compared against the host's own), and a call's timeout must stop them on a
 * huge sparse array (in a child process: before the fix, indexOf alone ran 79 s).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { context, fixturesDir, runScript, sandboxOptions, sandboxTracker } from './support.js';

// Both paths: short real arrays (V8's built-in) and long or array-like ones (the loops).
const SETUP = `var big = new Array(70000); big[3] = 'x'; big[69990] = 'y'; big[500] = NaN; var like = { length: 70001, 0: 'b', 7: 'a', 70000: 'c' };`;
const CASES = [
  'new Array(5).fill(7)',
  '[1, 2, 3, 4, 5].fill(0, 1, 3)',
  '[1, 2, 3, 4, 5].fill(0, -2)',
  '[1, 2, 3, 4, 5].fill(0, 1, -1)',
  '[1, 2, 3].fill(9, NaN, 2)',
  '[1, 2, 3].fill(9, 1.7, Infinity)',
  '[1, 2, 3].fill(9, -Infinity, "2")',
  '[1, 2, 3].fill(9, 5)',
  '[1, 2, 3].fill()',
  'Array.prototype.fill.call({ length: 3 }, "x")',
  'Array.prototype.fill.call({ length: -1, 0: "kept" }, "x")',
  '[].fill(1)',
  '[1, 2, 3, 2].indexOf(2)', '[1, 2, 3, 2].indexOf(2, -1)', '[1, 2, 3, 2].lastIndexOf(2)', '[1, 2, 3, 2].lastIndexOf(2, -2)', '[NaN].includes(NaN)', '[1, 2, 3].reverse()',
  '[1, 2, 3, 4, 5].copyWithin(0, 3)', '[1, 2, 3, 4, 5].copyWithin(1, 0, 3)', '[1, null, undefined, 2].join("-")', '[3, 1, 2].sort()', '[3, 1, 10, 2].sort((a, b) => a - b)', '[1, 2, 3].fill(0, 1)',
  `${SETUP} big.indexOf('y')`, `${SETUP} big.indexOf('y', -5)`, `${SETUP} big.indexOf('x', 4)`, `${SETUP} big.lastIndexOf('x')`, `${SETUP} big.lastIndexOf('y', -20)`, `${SETUP} big.includes(NaN)`, `${SETUP} big.includes(undefined)`, `${SETUP} big.indexOf(undefined)`,
  `${SETUP} const r = big.reverse(); [r.length, r[69996], r[69489], r[9], 3 in r, r.indexOf('y')]`,
  `${SETUP} const c = big.copyWithin(0, 69990); [c[0], 1 in c, c[69990]]`, `${SETUP} big.join('').length`, `${SETUP} big.join('|').length`,
  `${SETUP} const s = big.sort(); [s[0], s[1], String(s[2]), 3 in s, s.length]`, `${SETUP} const s = Array.prototype.sort.call(like); [s[0], s[1], s[2], 7 in s, 70000 in s]`,
  `${SETUP} Array.prototype.indexOf.call(like, 'c')`, `${SETUP} Array.prototype.lastIndexOf.call(like, 'b')`, `${SETUP} Array.prototype.join.call({ length: 3, 1: 'm' })`,
  `${SETUP} const r = Array.prototype.reverse.call(like); [r[0], r[70000], r[69993], 7 in r]`,
];

const CODE = `
export function activate() {
  return {
    'demo.builtins': {
      cases(list) { return list.map((expr) => JSON.stringify((0, eval)(expr))); },
      shape() {
        return ['fill', 'indexOf', 'lastIndexOf', 'includes', 'reverse', 'copyWithin', 'join', 'sort'].map((name) => {
          const f = Array.prototype[name];
          const d = Object.getOwnPropertyDescriptor(Array.prototype, name);
          let constructible = true;
          try { new f(); } catch { constructible = false; }
          let nullThis = '';
          try { f.call(null); } catch (e) { nullThis = e.constructor.name; }
          return { name: f.name, length: f.length, enumerable: d.enumerable, writable: d.writable, configurable: d.configurable, constructible, hasPrototype: 'prototype' in f, nullThis };
        });
      },
    },
  };
}
`;

describe('isolate sandbox: interruptible Array built-ins', () => {
  const sandboxes = sandboxTracker();

  it('behave like the built-ins, on both paths (results, shape, errors)', async () => {
    const made = sandboxOptions('basic', { code: CODE, filename: '/virtual/builtins/index.js' });
    const sandbox = await sandboxes.create(made.options);
    await sandbox.activate({ config: {}, previousState: undefined });
    const inside = (await sandbox.call('demo.builtins', 'cases', CASES, context)) as string[];
    // eslint-disable-next-line no-eval
    const outside = CASES.map((expr) => JSON.stringify((0, eval)(expr)));
    expect(inside).toEqual(outside);
    const shape = (await sandbox.call('demo.builtins', 'shape', null, context)) as { name: string }[];
    const lengths: Record<string, number> = { fill: 1, indexOf: 1, lastIndexOf: 1, includes: 1, reverse: 0, copyWithin: 2, join: 1, sort: 1 };
    for (const entry of shape) {
      expect(entry).toEqual({ name: entry.name, length: lengths[entry.name], enumerable: false, writable: true, configurable: true, constructible: false, hasPrototype: false, nullThis: 'TypeError' });
    }
  });

  it('a call on a huge sparse array ends at its timeout, whatever built-in it uses (child process)', async () => {
    const exprs = [
      'new Array(2**32-1).indexOf(1)',
      'new Array(2**32-1).lastIndexOf(1)',
      'new Array(2**32-1).includes(1)',
      'new Array(2**32-1).reverse().length',
      'new Array(2**32-1).copyWithin(0, 1).length',
      "new Array(2**32-1).join('').length",
      'const a = new Array(2**32-1); a[0] = 2; a[1] = 1; a.sort().length',
      // Not fill(0) on this array: it writes, and the growing dictionary can abort the
      // whole process in V8's out-of-memory handler (docs/sandbox.md); memory.test.ts
      // covers fill on a huge holey array.
    ];
    const lines = await runScript(path.join(fixturesDir, 'builtins-child.ts'), exprs, 90_000);
    const cases = lines.filter((l) => l.event === 'case');
    expect(cases.map((c) => c.expr)).toEqual(exprs);
    for (const c of cases) {
      expect(c, String(c.expr)).toMatchObject({ ok: false });
      // The timeout (300 ms), or the memory limit for what really allocates (fill): not the
      // minutes V8's built-ins took. The bound is loose because this machine is shared and
      // an isolate near its memory limit collects garbage hard.
      expect(['E_CALL_TIMEOUT', 'E_SANDBOX_MEMORY'], String(c.expr)).toContain(c.code);
      expect(c.elapsedMs as number, String(c.expr)).toBeLessThan(10_000);
    }
  }, 100_000);
});
