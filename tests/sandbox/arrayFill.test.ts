/**
 * The sandbox replaces V8's Array.prototype.fill with an interruptible one (bridgeSource.ts:
 * the builtin cannot be stopped by the timeout or the memory limit). Module code must see
 * the same behaviour as the builtin's: compared here against the host's own builtin.
 */
import { describe, expect, it } from 'vitest';
import { context, sandboxOptions, sandboxTracker } from './support.js';

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
];

const CODE = `
export function activate() {
  return {
    'demo.fill': {
      cases(list) { return list.map((expr) => JSON.stringify((0, eval)(expr))); },
      shape() {
        const f = Array.prototype.fill;
        const d = Object.getOwnPropertyDescriptor(Array.prototype, 'fill');
        let constructible = true;
        try { new f(); } catch { constructible = false; }
        let nullThis = '';
        try { f.call(null, 1); } catch (e) { nullThis = e.constructor.name; }
        return { name: f.name, length: f.length, enumerable: d.enumerable, writable: d.writable, configurable: d.configurable, constructible, hasPrototype: 'prototype' in f, nullThis, returnsThis: (() => { const a = [1]; return a.fill(2) === a; })() };
      },
    },
  };
}
`;

describe('isolate sandbox: Array.prototype.fill inside modules', () => {
  const sandboxes = sandboxTracker();

  it('behaves like the builtin (results, shape, errors)', async () => {
    const made = sandboxOptions('basic', { code: CODE, filename: '/virtual/fill/index.js' });
    const sandbox = await sandboxes.create(made.options);
    await sandbox.activate({ config: {}, previousState: undefined });
    const inside = (await sandbox.call('demo.fill', 'cases', CASES, context)) as string[];
    // eslint-disable-next-line no-eval
    const outside = CASES.map((expr) => JSON.stringify((0, eval)(expr)));
    expect(inside).toEqual(outside);
    expect(await sandbox.call('demo.fill', 'shape', null, context)).toEqual({
      name: 'fill',
      length: 1,
      enumerable: false,
      writable: true,
      configurable: true,
      constructible: false,
      hasPrototype: false,
      nullThis: 'TypeError',
      returnsThis: true,
    });
  });
});
