import type { Store } from './types.js';

/**
 * A Store that forwards every operation to `store`, but for those in `overrides`: one
 * place for wrappers (the migrator's retrying view, a test's unclosable view), so a
 * method added to Store is forwarded by all of them.
 */
export function delegateStore(store: Store, overrides: Partial<Pick<Store, 'query' | 'transaction' | 'close'>>): Store {
  return {
    kind: store.kind,
    displayUrl: store.displayUrl,
    get closed() {
      return store.closed;
    },
    query: overrides.query ?? ((sql, params) => store.query(sql, params)),
    transaction: overrides.transaction ?? ((fn) => store.transaction(fn)),
    exec: (script) => store.exec(script),
    listen: (channel, handler, onGap) => store.listen(channel, handler, onGap),
    notify: (channel, payload) => store.notify(channel, payload),
    announce: (clients) => store.announce(clients),
    onAnnounce: (listener) => store.onAnnounce(listener),
    close: overrides.close ?? (() => store.close()),
    ...(store.tryAdvisoryLock ? { tryAdvisoryLock: (namespace: number, key: number) => store.tryAdvisoryLock!(namespace, key) } : {}),
  };
}
