import { describe, expect, it } from 'vitest';
import { COALESCE_WINDOW_MS, UnreadChanges } from '../../src/legacy-bridge/configSource/unreadChanges.js';

describe('UnreadChanges (one report per change of an unread client)', () => {
  it('drops a second report of a client nobody read since, and reports again after a read or the window', () => {
    let now = 0;
    const unread = new UnreadChanges(() => now);
    expect(unread.toReport(['a', 'b'])).toEqual(['a', 'b']);
    expect(unread.toReport(['a'])).toEqual([]); // the echo of the same write
    unread.read('a');
    expect(unread.toReport(['a', 'b'])).toEqual(['a']); // a was read since; b was not
    now += COALESCE_WINDOW_MS;
    expect(unread.toReport(['b'])).toEqual(['b']); // long after: always reported
  });

  it("always reports 'all', and reports every client after it", () => {
    const unread = new UnreadChanges(() => 0);
    unread.toReport(['a']);
    expect(unread.toReport('all')).toBe('all');
    expect(unread.toReport(['a'])).toEqual(['a']);
  });
});
