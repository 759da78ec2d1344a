// The board's element model and the fold that applies operations to it (docs/protocol.md §5).
// The server's order is the truth: `confirmed` holds the board as of sequence number `seq`; the
// user's own operations that are not yet acknowledged are laid over it, so they show at once.

const POINT_STRIDE = { pen: 3, highlighter: 3 };

/** How many numbers make one point of an element's `pts` (pen strokes carry pressure). */
export function pointStride(type) {
  return POINT_STRIDE[type] ?? 2;
}

function sameValue(a, b) {
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => v === b[i]);
  }
  return a === b;
}

const SETTABLE = ['color', 'width', 'opacity', 'fill', 'text', 'size', 'pts', 'rot'];

/** Coordinates stay within ±1,000,000 board units (docs/protocol.md §2), after a move too. */
export const COORDINATE_LIMIT = 1_000_000;

/**
 * Whether `pts` is geometry an element of type `type` can have: pen and highlighter x, y, pressure triples
 * (pressure 0–1), two corners for line, arrow, rect and ellipse, one anchor for text. The server's fold
 * (Model/BoardState.cs) ignores an `update` or `end` whose geometry does not fit, and so does this one.
 */
export function fitsElement(type, pts) {
  if (!Array.isArray(pts)) return false;
  switch (type) {
    case 'pen':
    case 'highlighter':
      return pts.length >= 3 && pts.length % 3 === 0 && pts.every((v, i) => i % 3 !== 2 || (v >= 0 && v <= 1));
    case 'line': case 'arrow': case 'rect': case 'ellipse':
      return pts.length === 4;
    case 'text':
      return pts.length === 2;
    default:
      return false;
  }
}

function moveStaysInBounds(pts, stride, dx, dy) {
  for (let i = 0; i + 1 < pts.length; i += stride) {
    if (Math.abs(pts[i] + dx) > COORDINATE_LIMIT || Math.abs(pts[i + 1] + dy) > COORDINATE_LIMIT) return false;
  }
  return true;
}

/**
 * Applies one operation to a map of elements (id → element), exactly as the server's saver does.
 * Anything that does not apply is ignored. `get(id)` returns the element to change (so an overlay can
 * copy on write); `put(el)` adds a new one.
 */
export function applyOp(state, op, author, seq) {
  switch (op.k) {
    case 'add': {
      const el = op.el;
      if (!el || state.has(el.id)) return;
      state.put({
        v: 0,
        id: el.id, t: el.t, author,
        color: el.color ?? '#1e1e1e', width: el.width ?? 4, opacity: el.opacity ?? 1, fill: !!el.fill,
        pts: Array.isArray(el.pts) ? el.pts.slice() : [],
        text: el.text ?? null, size: el.size ?? null,
        done: el.t === 'text' ? true : !!el.done,
        deleted: null, deletedBy: null,
        // Rotation (radians) is there only once given, as the server's snapshots keep it.
        ...(typeof el.rot === 'number' ? { rot: el.rot } : {}),
      });
      return;
    }
    case 'points': {
      const el = state.peek(op.id);
      if (!el || el.author !== author || el.done || (el.t !== 'pen' && el.t !== 'highlighter')) return;
      const target = state.get(op.id);
      for (const v of op.pts) target.pts.push(v);
      return;
    }
    case 'end': {
      const el = state.peek(op.id);
      if (!el || el.author !== author) return;
      const target = state.get(op.id);
      target.done = true;
      if (Array.isArray(op.pts) && fitsElement(target.t, op.pts)) target.pts = op.pts.slice();
      return;
    }
    case 'update': {
      if (Array.isArray(op.ids)) {
        const dx = op.dx ?? 0, dy = op.dy ?? 0;
        for (const id of op.ids) {
          const el = state.peek(id);
          if (!el || !moveStaysInBounds(el.pts, pointStride(el.t), dx, dy)) continue;
          const target = state.get(id);
          const stride = pointStride(target.t);
          for (let i = 0; i + 1 < target.pts.length; i += stride) {
            target.pts[i] += dx;
            target.pts[i + 1] += dy;
          }
        }
      } else if (op.id && op.set) {
        if (!state.peek(op.id)) return;
        const target = state.get(op.id);
        for (const field of SETTABLE) {
          if (!(field in op.set)) continue;
          const current = field === 'rot' ? (target.rot ?? 0) : target[field];
          if (op.if && field in op.if && !sameValue(current, op.if[field])) continue;
          const v = op.set[field];
          if (field === 'pts' && !fitsElement(target.t, v)) continue;
          target[field] = Array.isArray(v) ? v.slice() : v;
        }
      }
      return;
    }
    case 'delete': {
      for (const id of op.ids ?? []) {
        const el = state.peek(id);
        if (!el || el.deleted !== null) continue;
        const target = state.get(id);
        target.deleted = seq;
        target.deletedBy = author;
      }
      return;
    }
    case 'restore': {
      for (const el of state.values()) {
        if (el.deleted === op.ref && el.deletedBy === author) {
          const target = state.get(el.id);
          target.deleted = null;
          target.deletedBy = null;
        }
      }
      return;
    }
    case 'clear': {
      for (const el of state.values()) {
        if (el.deleted !== null) continue;
        const target = state.get(el.id);
        target.deleted = seq;
        target.deletedBy = author;
      }
      return;
    }
    default:
      return;
  }
}

function cloneElement(el) {
  return { ...el, pts: el.pts.slice() };
}

/** A plain map of elements in board order: the confirmed state. */
class ElementMap {
  constructor() { this.map = new Map(); }
  has(id) { return this.map.has(id); }
  peek(id) { return this.map.get(id); }
  /** The element to change: its version goes up, so that renderers redraw it. */
  get(id) {
    const el = this.map.get(id);
    if (el) el.v++;
    return el;
  }
  put(el) { this.map.set(el.id, el); }
  values() { return this.map.values(); }
}

/** Copy-on-write view of the confirmed map with the pending operations applied on top. */
class Overlay {
  constructor(base) { this.base = base; this.changed = new Map(); this.added = new Map(); }
  has(id) { return this.added.has(id) || this.base.has(id); }
  peek(id) { return this.added.get(id) ?? this.changed.get(id) ?? this.base.peek(id); }
  get(id) {
    const added = this.added.get(id);
    if (added) {
      added.v++;
      return added;
    }
    let el = this.changed.get(id);
    if (!el) {
      const original = this.base.peek(id);
      if (!original) return undefined;
      el = cloneElement(original);
      this.changed.set(id, el);
    }
    el.v++;
    return el;
  }
  /** Whether pending operations touch this element (it is drawn live, not from a cache). */
  isPending(id) { return this.added.has(id) || this.changed.has(id); }
  put(el) { this.added.set(el.id, el); }
  *values() {
    for (const el of this.base.values()) yield this.changed.get(el.id) ?? el;
    yield* this.added.values();
  }
}

export class BoardModel extends EventTarget {
  constructor() {
    super();
    this.me = null;               // { user, name, role, color, conn } from `welcome`
    this.seq = 0;                 // last confirmed sequence number
    this.confirmed = new ElementMap();
    this.pending = [];            // own operations not yet in `confirmed`: { n, op }
    this.overlay = null;          // lazily rebuilt view = confirmed + pending
  }

  /** Replaces the confirmed state with a snapshot. */
  loadSnapshot(seq, elements) {
    this.confirmed = new ElementMap();
    for (const el of elements) {
      this.confirmed.put({ ...el, v: 0, pts: el.pts ?? [], deleted: el.deleted ?? null, deletedBy: el.deletedBy ?? null });
    }
    this.seq = seq;
    this.invalidate();
  }

  /** Applies an operation from the log (someone else's, or our own once acknowledged). */
  applyConfirmed(seq, op, author) {
    if (seq <= this.seq) return false;
    applyOp(this.confirmed, op, author, seq);
    this.seq = seq;
    this.invalidate();
    return true;
  }

  /** Our own operation, shown at once, confirmed later. */
  addPending(n, op) {
    this.pending.push({ n, op });
    if (this.overlay) {
      applyOp(this.overlay, op, this.me?.user, Number.MAX_SAFE_INTEGER);
      this.changed();
    } else {
      this.invalidate();
    }
  }

  /** Our operation `n` is in the log at `seq`: move it from pending into the confirmed state. */
  confirmOwn(n, seq) {
    const index = this.pending.findIndex(p => p.n === n);
    if (index < 0) return;
    const [{ op }] = this.pending.splice(index, 1);
    this.applyConfirmed(seq, op, this.me?.user);
    this.invalidate();
  }

  /** Our operation `n` is known to the server already; it reaches us through the replay. */
  forgetPending(n) {
    const index = this.pending.findIndex(p => p.n === n);
    if (index >= 0) {
      this.pending.splice(index, 1);
      this.invalidate();
    }
  }

  invalidate() {
    this.overlay = null;
    this.changed();
  }

  changed() {
    this.dispatchEvent(new Event('change'));
  }

  view() {
    if (!this.overlay) {
      this.overlay = new Overlay(this.confirmed);
      for (const { op } of this.pending) applyOp(this.overlay, op, this.me?.user, Number.MAX_SAFE_INTEGER);
    }
    return this.overlay;
  }

  /** Visible elements in drawing order. */
  *visibleElements() {
    for (const el of this.view().values()) {
      if (el.deleted === null) yield el;
    }
  }

  element(id) {
    return this.view().peek(id);
  }

  isPending(id) {
    return this.view().isPending(id);
  }

  /** Visible elements as plain data in board order (for export and for tests). */
  plainElements() {
    return Array.from(this.visibleElements(), ({ v, deleted, deletedBy, ...rest }) => ({ ...rest, pts: rest.pts.slice() }));
  }
}
