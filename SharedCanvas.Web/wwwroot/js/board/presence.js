// Who is on the board right now, and the others' live cursors (never stored).

const CURSOR_INTERVAL_MS = 40; // at most 25 cursor messages a second

export class Presence {
  /**
   * @param {{ connection: import('./connection.js').BoardConnection, viewport: import('./view.js').Viewport,
   *           list: HTMLElement, layer: HTMLElement }} options
   */
  constructor({ connection, viewport, list, layer }) {
    this.connection = connection;
    this.viewport = viewport;
    this.list = list;
    this.layer = layer;
    this.people = new Map();   // conn → { conn, user, name, color, role }
    this.cursors = new Map();  // conn → { x, y, element }
    this.lastSent = 0;
    this.pendingCursor = null;
    this.cursorTimer = 0;

    connection.addEventListener('welcome', () => this.reset());
    connection.addEventListener('presence', ({ detail }) => {
      this.reset();
      for (const person of detail.users) this.people.set(person.conn, person);
      this.renderList();
    });
    connection.addEventListener('presence.join', ({ detail }) => {
      this.people.set(detail.user.conn, detail.user);
      this.renderList();
    });
    connection.addEventListener('presence.leave', ({ detail }) => {
      this.people.delete(detail.conn);
      this.removeCursor(detail.conn);
      this.renderList();
    });
    connection.addEventListener('cursors', ({ detail }) => {
      for (const { conn, x, y } of detail.c) {
        if (conn === this.connection.model.me?.conn) continue;
        if (x === null || y === null) this.removeCursor(conn);
        else this.moveCursor(conn, x, y);
      }
    });
    connection.addEventListener('state', ({ detail }) => {
      if (detail.state !== 'live') this.reset();
    });
    viewport.addEventListener('change', () => this.placeCursors());
  }

  reset() {
    this.people.clear();
    for (const conn of [...this.cursors.keys()]) this.removeCursor(conn);
    this.renderList();
  }

  /** Sends this person's pointer position (board coordinates), or null when it left the canvas; throttled. */
  pointerAt(point) {
    this.pendingCursor = point;
    const wait = CURSOR_INTERVAL_MS - (performance.now() - this.lastSent);
    if (wait <= 0) this.flushCursor();
    else if (!this.cursorTimer) this.cursorTimer = setTimeout(() => this.flushCursor(), wait);
  }

  flushCursor() {
    clearTimeout(this.cursorTimer);
    this.cursorTimer = 0;
    this.lastSent = performance.now();
    const point = this.pendingCursor;
    this.connection.sendCursor(point ? Math.round(point.x * 10) / 10 : null, point ? Math.round(point.y * 10) / 10 : null);
  }

  /** One entry per person (someone may have the board open twice), in the order they arrived. */
  renderList() {
    const people = new Map();
    for (const person of this.people.values()) {
      if (!people.has(person.user)) people.set(person.user, person);
    }
    this.list.replaceChildren(...[...people.values()].map(person => {
      const item = document.createElement('li');
      item.className = 'person';
      item.dataset.user = person.user;
      item.title = `${person.name} (${person.role})`;
      const badge = document.createElement('span');
      badge.className = 'avatar';
      badge.style.background = person.color;
      badge.textContent = (person.name[0] ?? '?').toUpperCase();
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = person.user === this.connection.model.me?.user ? `${person.name} (you)` : person.name;
      item.append(badge, name);
      return item;
    }));
    this.list.dataset.count = String(people.size);
  }

  moveCursor(conn, x, y) {
    let cursor = this.cursors.get(conn);
    if (!cursor) {
      const person = this.people.get(conn);
      const element = document.createElement('div');
      element.className = 'cursor';
      element.dataset.conn = conn;
      element.style.setProperty('--colour', person?.color ?? '#555');
      const label = document.createElement('span');
      label.textContent = person?.name ?? '';
      element.append(label);
      this.layer.append(element);
      cursor = { x, y, element };
      this.cursors.set(conn, cursor);
    }
    cursor.x = x;
    cursor.y = y;
    this.place(cursor);
  }

  removeCursor(conn) {
    this.cursors.get(conn)?.element.remove();
    this.cursors.delete(conn);
  }

  placeCursors() {
    for (const cursor of this.cursors.values()) this.place(cursor);
  }

  place(cursor) {
    const { x, y } = this.viewport.toCanvas(cursor.x, cursor.y);
    cursor.element.style.transform = `translate(${x}px, ${y}px)`;
  }
}
