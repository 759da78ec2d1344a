// Where a board page keeps the operations the server has not acknowledged yet, and whose they are.

/** Holds a lock named after the client id for as long as the page lives; false if another tab holds it. */
function claimClientId(id) {
  if (!navigator.locks) return Promise.resolve(true);
  return new Promise(resolve => {
    navigator.locks.request(`sharedcanvas-client-${id}`, { ifAvailable: true }, lock => {
      resolve(lock !== null);
      return lock ? new Promise(() => {}) : undefined;
    });
  });
}

const isSession = saved => saved && typeof saved.client === 'string' && Array.isArray(saved.pending);

/**
 * Operations not yet acknowledged survive a reload of the page (sessionStorage, per tab and board) and the
 * closing of the tab (IndexedDB, per board and client id): work drawn offline is sent on the next visit,
 * under its own client id and numbers, so that the server applies it once however often it arrives.
 */
export class PendingStore {
  constructor(boardId) {
    this.boardId = boardId;
    this.key = `sharedcanvas:${boardId}:session`;
    this.db = null;
  }

  /**
   * The session this page takes up: this tab's own (kept across reloads), else the unsent work of a closed
   * tab, else a fresh one (`fresh()`). A duplicated tab inherits a copy of the session storage: the Web Lock
   * on the client id tells it that the id is taken, and it starts afresh instead of sending as the other tab.
   */
  async take(fresh) {
    let saved = this.load();
    if (saved && !(await claimClientId(saved.client))) saved = null;
    if (!saved) {
      // A new tab: take over the work of a closed one (its client id is free once its tab is gone). A tab
      // closed a moment ago may still hold its lock for a little while: ask again for up to two seconds.
      const earlier = await this.unsentSessions();
      for (let attempt = 0; !saved && earlier.length > 0 && attempt < 10; attempt++) {
        if (attempt > 0) await new Promise(resolve => setTimeout(resolve, 200));
        for (const session of earlier) {
          if (await claimClientId(session.client)) {
            saved = session;
            break;
          }
        }
      }
    }
    if (!saved) {
      saved = fresh();
      await claimClientId(saved.client);
    }
    return saved;
  }

  load() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(this.key) ?? 'null');
      if (isSession(saved)) return saved;
    } catch { /* a damaged entry starts a fresh session */ }
    return null;
  }

  save(state) {
    try {
      sessionStorage.setItem(this.key, JSON.stringify(state));
    } catch { /* storage full or unavailable: the operations still live in memory */ }
    this.saveDurably(state);
  }

  /** The database, or null where the browser has none (or refuses it: private modes, node's tests). */
  open() {
    if (this.db) return this.db;
    this.db = new Promise(resolve => {
      if (typeof indexedDB === 'undefined') return resolve(null);
      const request = indexedDB.open('sharedcanvas', 1);
      request.onupgradeneeded = () => request.result.createObjectStore('sessions', { keyPath: ['board', 'client'] });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => resolve(null);
      request.onblocked = () => resolve(null);
    });
    return this.db;
  }

  async saveDurably(state) {
    const db = await this.open();
    if (!db) return;
    try {
      const sessions = db.transaction('sessions', 'readwrite').objectStore('sessions');
      // A session with nothing left to send needs no keeping: the next visit starts a fresh one.
      if (state.pending.length === 0 && state.unconfirmed.length === 0) sessions.delete([this.boardId, state.client]);
      else sessions.put({ board: this.boardId, ...state, savedAt: Date.now() });
    } catch { /* a closing database: sessionStorage still has it for a reload */ }
  }

  /** Earlier sessions of this board with work left in them, newest first (tabs that were closed, or are open). */
  async unsentSessions() {
    const db = await this.open();
    if (!db) return [];
    return new Promise(resolve => {
      try {
        const request = db.transaction('sessions').objectStore('sessions')
          .getAll(IDBKeyRange.bound([this.boardId, ''], [this.boardId, '\uffff']));
        request.onsuccess = () => resolve(request.result.filter(isSession).sort((a, b) => b.savedAt - a.savedAt));
        request.onerror = () => resolve([]);
      } catch {
        resolve([]);
      }
    });
  }
}
