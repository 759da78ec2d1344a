// Who is on the board right now, the others' live cursors (never stored), and following someone's view.

import { viewShowing } from './view.js';

const CURSOR_INTERVAL_MS = 40; // at most 25 cursor messages a second

const round1 = value => Math.round(value * 10) / 10;

export class Presence {
  /**
   * @param {{ connection: import('./connection.js').BoardConnection, viewport: import('./view.js').Viewport,
   *           list: HTMLElement, layer: HTMLElement, banner: HTMLElement | null }} options
   */
  constructor({ connection, viewport, list, layer, banner }) {
    this.connection = connection;
    this.viewport = viewport;
    this.list = list;
    this.layer = layer;
    this.banner = banner;
    this.people = new Map();   // conn → { conn, user, name, color, role }
    this.cursors = new Map();  // conn → { x, y, element }
    this.views = new Map();    // conn → the visible rectangle [x, y, w, h] it last sent
    this.following = null;     // the user id whose view this page follows
    this.applying = false;     // true while the view moves because of the person followed
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
      const user = this.people.get(detail.conn)?.user;
      this.people.delete(detail.conn);
      this.views.delete(detail.conn);
      this.removeCursor(detail.conn);
      if (user === this.following && ![...this.people.values()].some(p => p.user === user)) this.stopFollowing();
      this.renderList();
    });
    connection.addEventListener('cursors', ({ detail }) => {
      for (const { conn, x, y, v } of detail.c) {
        if (conn === this.connection.model.me?.conn) continue;
        if (x === null || y === null) this.removeCursor(conn);
        else this.moveCursor(conn, x, y);
        if (v) {
          this.views.set(conn, v);
          if (this.following && this.people.get(conn)?.user === this.following) this.show(v);
        }
      }
    });
    connection.addEventListener('state', ({ detail }) => {
      if (detail.state !== 'live') this.reset();
      // Once live, say what this page shows, so that someone who follows it at once has a view to go to.
      else this.pointerAt(this.pendingCursor);
    });
    viewport.addEventListener('change', () => {
      this.placeCursors();
      // Panning or zooming oneself ends following; either way the others hear of the new view.
      if (this.following && !this.applying) this.stopFollowing();
      this.pointerAt(this.pendingCursor);
    });
  }

  reset() {
    this.people.clear();
    this.views.clear();
    for (const conn of [...this.cursors.keys()]) this.removeCursor(conn);
    this.renderList();
  }

  /** Sends this person's pointer position (board coordinates, or null when it left the canvas) and view; throttled. */
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
    const box = this.viewport.visibleBounds();
    const view = box.maxX > box.minX && box.maxY > box.minY
      ? [round1(box.minX), round1(box.minY), round1(box.maxX - box.minX), round1(box.maxY - box.minY)]
      : null;
    this.connection.sendCursor(point ? round1(point.x) : null, point ? round1(point.y) : null, view);
  }

  /** Follows a person's view: this page shows what theirs shows, as it moves, until Esc or one's own pan or zoom. */
  follow(user) {
    const person = [...this.people.values()].find(p => p.user === user);
    if (!person || user === this.connection.model.me?.user) return;
    this.following = user;
    if (this.banner) {
      this.banner.querySelector('.who').textContent = person.name;
      this.banner.style.setProperty('--colour', person.color);
      this.banner.hidden = false;
    }
    const known = [...this.views.entries()].find(([conn]) => this.people.get(conn)?.user === user);
    if (known) this.show(known[1]);
    this.renderList();
  }

  stopFollowing() {
    if (!this.following) return;
    this.following = null;
    if (this.banner) this.banner.hidden = true;
    this.renderList();
  }

  show(rect) {
    const canvas = this.viewport.canvas;
    const { x, y, scale } = viewShowing(rect, canvas.clientWidth, canvas.clientHeight);
    this.applying = true;
    try {
      this.viewport.set(x, y, scale);
    } finally {
      this.applying = false;
    }
  }

  /** One entry per person (someone may have the board open twice), in the order they arrived, with their name. */
  renderList() {
    const people = new Map();
    for (const person of this.people.values()) {
      if (!people.has(person.user)) people.set(person.user, person);
    }
    const me = this.connection.model.me?.user;
    this.list.replaceChildren(...[...people.values()].map(person => {
      const item = document.createElement('li');
      item.className = 'person';
      item.dataset.user = person.user;
      const self = person.user === me;
      const inner = document.createElement(self ? 'span' : 'button');
      inner.className = 'who';
      inner.title = self ? `${person.name} (you, ${person.role})` : `${person.name} (${person.role}) — click to follow their view`;
      if (!self) {
        inner.type = 'button';
        inner.setAttribute('aria-label', `Follow ${person.name}`);
        inner.setAttribute('aria-pressed', String(this.following === person.user));
        inner.addEventListener('click', () => (this.following === person.user ? this.stopFollowing() : this.follow(person.user)));
      }
      const badge = document.createElement('span');
      badge.className = 'avatar';
      badge.style.background = person.color;
      badge.textContent = (person.name[0] ?? '?').toUpperCase();
      badge.setAttribute('aria-hidden', 'true');
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = self ? `${person.name} (you)` : person.name;
      inner.append(badge, name);
      item.append(inner);
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
