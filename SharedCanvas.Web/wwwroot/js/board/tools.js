// The drawing tools. Each turns pointer input (mouse, pen or touch, in board coordinates) into
// operations on the board, shows its result at once, and records what it did for undo.
//
// Every tool receives the board page's `app`: { model, connection, viewport, renderer, history, style,
// nextElementId(), textEditor, selection }.

import { bounds, contains, hits, topmostAt, selectionBox, handlesOf, resizedBox, scaledInto, rotateHandleOf, turnedAbout } from './geometry.js';

const BATCH_INTERVAL_MS = 30;     // pen points travel in small batches while a stroke is drawn
const SHAPE_INTERVAL_MS = 40;     // shapes being dragged are shown to the others this often
const MAX_BATCH_POINTS = 200;
const MAX_IDS = 1000;

const round = value => Math.round(value * 100) / 100;

function pressureOf(event) {
  // Mice report 0.5 while a button is down; pens (and some touch screens) report real pressure.
  const p = event.pressure;
  return p > 0 && p <= 1 ? round(p) : 0.5;
}

function chunks(ids) {
  const result = [];
  for (let i = 0; i < ids.length; i += MAX_IDS) result.push(ids.slice(i, i + MAX_IDS));
  return result;
}

/** Pen and highlighter: smoothed freehand strokes that stream to others while they are drawn. */
export class FreehandTool {
  constructor(app, type) {
    this.app = app;
    this.type = type;
    this.active = null;
  }

  down(event, p) {
    const { style } = this.app;
    const id = this.app.nextElementId();
    const width = this.type === 'highlighter' ? Math.min(200, style.width * 4) : style.width;
    const trace = this.app.connection.newTrace();
    this.active = { id, batch: [], timer: 0, trace };
    this.app.connection.send({
      k: 'add',
      el: { id, t: this.type, color: style.color, width, opacity: style.opacity, pts: [round(p.x), round(p.y), pressureOf(event)] },
    }, trace);
  }

  move(event) {
    if (!this.active) return;
    const events = typeof event.getCoalescedEvents === 'function' && event.getCoalescedEvents().length ? event.getCoalescedEvents() : [event];
    for (const e of events) {
      const p = this.app.viewport.toBoard(e.clientX, e.clientY);
      this.active.batch.push(round(p.x), round(p.y), pressureOf(e));
    }
    if (this.active.batch.length >= MAX_BATCH_POINTS * 3) this.flush();
    else if (!this.active.timer) this.active.timer = setTimeout(() => this.flush(), BATCH_INTERVAL_MS);
  }

  up() {
    if (!this.active) return;
    this.flush();
    const { id, trace } = this.active;
    this.active = null;
    this.app.connection.send({ k: 'end', id }, trace);
    this.app.history.added([id]);
  }

  cancel() { this.up(); }

  flush() {
    const active = this.active;
    if (!active) return;
    clearTimeout(active.timer);
    active.timer = 0;
    if (active.batch.length === 0) return;
    this.app.connection.send({ k: 'points', id: active.id, pts: active.batch }, active.trace);
    active.batch = [];
  }
}

/** Line, arrow, rectangle, ellipse: dragged from one corner to the other; Shift keeps 45° or a square. */
export class ShapeTool {
  constructor(app, type) {
    this.app = app;
    this.type = type;
    this.active = null;
  }

  down(event, p) {
    const { style } = this.app;
    const id = this.app.nextElementId();
    const x = round(p.x), y = round(p.y);
    const el = { id, t: this.type, color: style.color, width: style.width, opacity: style.opacity, pts: [x, y, x, y] };
    if (this.type === 'rect' || this.type === 'ellipse') el.fill = style.fill;
    const trace = this.app.connection.newTrace();
    this.active = { id, x, y, pts: [x, y, x, y], timer: 0, sent: 0, trace };
    this.app.connection.send({ k: 'add', el }, trace);
  }

  move(event, p) {
    const active = this.active;
    if (!active) return;
    let x = round(p.x), y = round(p.y);
    if (event.shiftKey) ({ x, y } = this.constrain(active.x, active.y, x, y));
    active.pts = [active.x, active.y, x, y];
    const wait = SHAPE_INTERVAL_MS - (performance.now() - active.sent);
    if (wait <= 0) this.sendShape();
    else if (!active.timer) active.timer = setTimeout(() => this.sendShape(), wait);
  }

  constrain(x0, y0, x, y) {
    const dx = x - x0, dy = y - y0;
    if (this.type === 'line' || this.type === 'arrow') {
      const angle = Math.round(Math.atan2(dy, dx) / (Math.PI / 4)) * (Math.PI / 4);
      const length = Math.hypot(dx, dy);
      return { x: round(x0 + length * Math.cos(angle)), y: round(y0 + length * Math.sin(angle)) };
    }
    const side = Math.max(Math.abs(dx), Math.abs(dy));
    return { x: x0 + Math.sign(dx || 1) * side, y: y0 + Math.sign(dy || 1) * side };
  }

  sendShape() {
    const active = this.active;
    if (!active) return;
    clearTimeout(active.timer);
    active.timer = 0;
    active.sent = performance.now();
    this.app.connection.send({ k: 'update', id: active.id, set: { pts: active.pts } }, active.trace);
  }

  up() {
    const active = this.active;
    if (!active) return;
    clearTimeout(active.timer);
    this.active = null;
    const [x1, y1, x2, y2] = active.pts;
    this.app.connection.send({ k: 'end', id: active.id, pts: active.pts }, active.trace);
    if (Math.hypot(x2 - x1, y2 - y1) * this.app.viewport.scale < 3) {
      // A click without a drag makes nothing.
      this.app.connection.send({ k: 'delete', ids: [active.id] }, active.trace);
      return;
    }
    this.app.history.added([active.id]);
  }

  cancel() { this.up(); }
}

/** Text: click to type (a new text, or an existing one to edit it). */
export class TextTool {
  constructor(app) {
    this.app = app;
  }

  down(event, p) {
    const tolerance = 4 / this.app.viewport.scale;
    const existing = topmostAt(Array.from(this.app.model.visibleElements()).filter(el => el.t === 'text'), p.x, p.y, tolerance);
    if (existing) this.app.textEditor.edit(existing);
    else this.app.textEditor.create(round(p.x), round(p.y));
  }

  move() {}
  up() {}
  cancel() {}
}

/** Eraser: removes whole elements it touches, in one operation (and one undo step) per gesture. */
export class EraserTool {
  constructor(app) {
    this.app = app;
    this.erasing = null;
  }

  down(event, p) {
    this.erasing = [];
    this.app.renderer.preview.hidden.clear();
    this.touch(p);
  }

  move(event, p) {
    if (!this.erasing) return;
    const events = typeof event.getCoalescedEvents === 'function' && event.getCoalescedEvents().length ? event.getCoalescedEvents() : [event];
    for (const e of events) this.touch(this.app.viewport.toBoard(e.clientX, e.clientY));
  }

  touch(p) {
    const tolerance = 6 / this.app.viewport.scale;
    const hidden = this.app.renderer.preview.hidden;
    for (const el of this.app.model.visibleElements()) {
      if (!hidden.has(el.id) && hits(el, p.x, p.y, tolerance)) {
        hidden.add(el.id);
        this.erasing.push(el.id);
      }
    }
    this.app.renderer.requestRender();
  }

  up() {
    const ids = this.erasing;
    this.erasing = null;
    this.app.renderer.preview.hidden.clear();
    if (!ids?.length) {
      this.app.renderer.requestRender();
      return;
    }
    const trace = this.app.connection.newTrace();
    const ns = chunks(ids).map(chunk => this.app.connection.send({ k: 'delete', ids: chunk }, trace));
    this.app.history.deleted(ids, ns);
  }

  cancel() { this.up(); }
}

/**
 * Select: click (inside a hollow shape too) or drag a marquee to select, Shift to add; drag to move; drag a
 * corner handle of the selection's box to resize (Shift keeps its proportions), the round handle above it
 * to rotate (Shift: 15° steps); Delete removes; Ctrl+A
 * selects everything; style changes apply to the selection. A move, resize or rotation reaches the others while it
 * is dragged (SHAPE_INTERVAL_MS), and is one undo step when it is let go.
 */
export class SelectTool {
  constructor(app) {
    this.app = app;
    this.drag = null;
  }

  get selection() { return this.app.renderer.preview.selection; }

  selectedElements() {
    return [...this.selection].map(id => this.app.model.element(id)).filter(el => el && el.deleted === null);
  }

  /** The corner handle under the point, if the selection has one there. */
  handleAt(p) {
    const elements = this.selectedElements();
    if (elements.length === 0) return null;
    const box = selectionBox(elements);
    const reach = 8 / this.app.viewport.scale;
    return handlesOf(box).find(([, x, y]) => Math.abs(p.x - x) <= reach && Math.abs(p.y - y) <= reach)?.[0] ?? null;
  }

  /** Whether the point is on the selection's rotate handle. */
  onRotateHandle(p) {
    const elements = this.selectedElements();
    if (elements.length === 0) return false;
    const turn = rotateHandleOf(selectionBox(elements), this.app.viewport.scale);
    return Math.hypot(p.x - turn.x, p.y - turn.y) <= 9 / this.app.viewport.scale;
  }

  down(event, p) {
    if (this.onRotateHandle(p)) {
      const elements = this.selectedElements();
      const box = selectionBox(elements);
      const cx = (box.minX + box.maxX) / 2, cy = (box.minY + box.maxY) / 2;
      this.drag = {
        kind: 'rotate', cx, cy, start: Math.atan2(p.y - cy, p.x - cx), delta: 0, sent: 0, timer: 0,
        trace: this.app.connection.newTrace(),
        originals: elements.map(el => ({ id: el.id, el: { ...el, pts: el.pts.slice() } })),
      };
      return;
    }
    const handle = this.handleAt(p);
    if (handle) {
      const elements = this.selectedElements();
      this.drag = {
        kind: 'resize', handle, box: selectionBox(elements), sent: 0, timer: 0, trace: this.app.connection.newTrace(),
        originals: elements.map(el => ({ id: el.id, pts: el.pts.slice(), size: el.size, el: { ...el, pts: el.pts.slice() } })),
        latest: null,
      };
      return;
    }
    const tolerance = 5 / this.app.viewport.scale;
    const visible = Array.from(this.app.model.visibleElements());
    const hit = topmostAt(visible, p.x, p.y, tolerance, { inside: true });
    if (hit) {
      if (event.shiftKey) {
        if (this.selection.has(hit.id)) this.selection.delete(hit.id);
        else this.selection.add(hit.id);
      } else if (!this.selection.has(hit.id)) {
        this.selection.clear();
        this.selection.add(hit.id);
      }
      this.drag = { kind: 'move', x: p.x, y: p.y, total: { dx: 0, dy: 0 }, sentTotal: { dx: 0, dy: 0 }, sent: 0, timer: 0, trace: this.app.connection.newTrace() };
    } else {
      if (!event.shiftKey) this.selection.clear();
      this.drag = { kind: 'marquee', x: p.x, y: p.y, base: new Set(this.selection) };
    }
    this.app.selectionChanged();
  }

  move(event, p) {
    const drag = this.drag;
    if (!drag) return;
    const preview = this.app.renderer.preview;
    if (drag.kind === 'move') {
      drag.total = { dx: round(p.x - drag.x), dy: round(p.y - drag.y) };
      preview.moving = new Set(this.selection);
      this.showMove();
      this.soon(() => this.sendMove());
    } else if (drag.kind === 'resize') {
      drag.latest = resizedBox(drag.box, drag.handle, p.x, p.y, event.shiftKey);
      this.soon(() => this.sendResize());
    } else if (drag.kind === 'rotate') {
      const delta = Math.atan2(p.y - drag.cy, p.x - drag.cx) - drag.start;
      // Shift turns in steps of 15°.
      drag.delta = event.shiftKey ? Math.round(delta / (Math.PI / 12)) * (Math.PI / 12) : delta;
      this.soon(() => this.sendRotate());
    } else {
      preview.marquee = { x1: drag.x, y1: drag.y, x2: p.x, y2: p.y };
      const box = { minX: Math.min(drag.x, p.x), minY: Math.min(drag.y, p.y), maxX: Math.max(drag.x, p.x), maxY: Math.max(drag.y, p.y) };
      this.selection.clear();
      for (const id of drag.base) this.selection.add(id);
      for (const el of this.app.model.visibleElements()) {
        if (contains(box, bounds(el))) this.selection.add(el.id);
      }
      this.app.selectionChanged();
    }
    this.app.renderer.requestRender();
  }

  /** Runs `send` now if the last send is SHAPE_INTERVAL_MS old, else once that time has passed. */
  soon(send) {
    const drag = this.drag;
    const wait = SHAPE_INTERVAL_MS - (performance.now() - drag.sent);
    if (wait <= 0) send();
    else if (!drag.timer) drag.timer = setTimeout(send, wait);
  }

  /** What is not yet sent of a move is drawn as an offset over what the board already has. */
  showMove() {
    const { total, sentTotal } = this.drag;
    const preview = this.app.renderer.preview;
    preview.dx = round(total.dx - sentTotal.dx);
    preview.dy = round(total.dy - sentTotal.dy);
  }

  sendMove() {
    const drag = this.drag;
    if (drag?.kind !== 'move') return;
    clearTimeout(drag.timer);
    drag.timer = 0;
    drag.sent = performance.now();
    const dx = round(drag.total.dx - drag.sentTotal.dx), dy = round(drag.total.dy - drag.sentTotal.dy);
    if (dx === 0 && dy === 0) return;
    for (const chunk of chunks([...this.selection])) this.app.connection.send({ k: 'update', ids: chunk, dx, dy }, drag.trace);
    drag.sentTotal = { ...drag.total };
    this.showMove();
    this.app.renderer.requestRender();
  }

  sendResize() {
    const drag = this.drag;
    if (drag?.kind !== 'resize' || !drag.latest) return;
    clearTimeout(drag.timer);
    drag.timer = 0;
    drag.sent = performance.now();
    for (const original of drag.originals) {
      this.app.connection.send({ k: 'update', id: original.id, set: scaledInto(original.el, drag.box, drag.latest) }, drag.trace);
    }
    drag.sentBox = drag.latest;
  }

  sendRotate() {
    const drag = this.drag;
    if (drag?.kind !== 'rotate') return;
    clearTimeout(drag.timer);
    drag.timer = 0;
    drag.sent = performance.now();
    for (const original of drag.originals) {
      this.app.connection.send({ k: 'update', id: original.id, set: turnedAbout(original.el, drag.delta, drag.cx, drag.cy) }, drag.trace);
    }
  }

  up() {
    const drag = this.drag;
    this.drag = null;
    if (!drag) return;
    if (drag.kind === 'rotate') {
      if (drag.delta !== 0) {
        this.drag = drag;
        this.sendRotate();
        this.drag = null;
        this.app.history.restyled(drag.originals.map(original => ({
          id: original.id,
          before: { rot: original.el.rot ?? 0, pts: original.el.pts },
          after: turnedAbout(original.el, drag.delta, drag.cx, drag.cy),
        })));
      }
      return;
    }
    const preview = this.app.renderer.preview;
    if (drag.kind === 'move') {
      this.drag = drag;
      this.sendMove();
      this.drag = null;
      if (drag.total.dx !== 0 || drag.total.dy !== 0) this.app.history.moved([...this.selection], drag.total.dx, drag.total.dy);
    } else if (drag.kind === 'resize' && drag.latest) {
      this.drag = drag;
      this.sendResize();
      this.drag = null;
      this.app.history.restyled(drag.originals.map(original => {
        const after = scaledInto(original.el, drag.box, drag.latest);
        const before = { pts: original.pts };
        if ('size' in after) before.size = original.size;
        return { id: original.id, before, after };
      }));
    }
    preview.moving = new Set();
    preview.dx = preview.dy = 0;
    preview.marquee = null;
    this.app.renderer.requestRender();
  }

  cancel() { this.up(); }

  /** Everything on the board (Ctrl+A). */
  selectAll() {
    this.selection.clear();
    for (const el of this.app.model.visibleElements()) this.selection.add(el.id);
    this.app.selectionChanged();
    this.app.renderer.requestRender();
  }

  /** Double-click on a text element edits it. */
  doubleClick(p) {
    const el = topmostAt(Array.from(this.app.model.visibleElements()), p.x, p.y, 5 / this.app.viewport.scale);
    if (el?.t === 'text') this.app.textEditor.edit(el);
  }
}

/** Hand: drag to pan. (Space-drag, the middle button and two fingers pan with any tool.) */
export class HandTool {
  constructor(app) {
    this.app = app;
    this.last = null;
  }

  down(event) { this.last = { x: event.clientX, y: event.clientY }; }

  move(event) {
    if (!this.last) return;
    this.app.viewport.panBy(event.clientX - this.last.x, event.clientY - this.last.y);
    this.last = { x: event.clientX, y: event.clientY };
  }

  up() { this.last = null; }

  cancel() { this.up(); }
}

/** A wheel event's distance in CSS pixels, whether the browser counts pixels, lines or pages. */
export function wheelDelta(event) {
  const unit = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? 800 : 1;
  return { dx: event.deltaX * unit, dy: event.deltaY * unit };
}

/**
 * Routes pointer input on the canvas to the current tool, and handles what every tool shares: panning
 * with space, the middle button, two fingers or the wheel; pinch and Ctrl+wheel zoom; palm rejection (touches are ignored
 * while a pen is in use); and a short wait before a touch starts drawing, so that a second finger can
 * turn it into a pan or pinch.
 */
export function attachInput(canvas, app) {
  const touches = new Map();
  let pan = null;            // { pointerId, x, y } while panning with space or the middle button
  let gesture = null;        // { distance, x, y } while two fingers pinch or pan
  let pendingTouch = null;   // a first touch that may still become a gesture
  let drawing = null;        // pointerId of the pointer the tool follows
  let lastPenAt = -Infinity;

  const tool = () => app.tool();
  const boardPoint = event => app.viewport.toBoard(event.clientX, event.clientY);

  const startTool = event => {
    drawing = event.pointerId;
    tool()?.down(event, boardPoint(event));
  };

  canvas.addEventListener('pointerdown', event => {
    try {
      canvas.setPointerCapture(event.pointerId);
    } catch {
      // A pointer the browser no longer tracks: nothing to capture.
    }
    event.preventDefault();
    if (event.pointerType === 'pen') lastPenAt = performance.now();

    if (event.pointerType === 'touch') {
      touches.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (touches.size === 2) {
        // Two fingers: pan and pinch. A stroke the first finger began ends here.
        if (pendingTouch) pendingTouch = null;
        if (drawing !== null) {
          tool()?.up(event, boardPoint(event));
          drawing = null;
        }
        const [a, b] = [...touches.values()];
        gesture = { distance: Math.hypot(a.x - b.x, a.y - b.y), x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
        return;
      }
      if (touches.size > 2 || performance.now() - lastPenAt < 3000) return; // a palm while writing with a pen
      pendingTouch = { event, at: performance.now() };
      return;
    }

    if (event.button === 1 || (event.button === 0 && app.spaceHeld)) {
      pan = { pointerId: event.pointerId, x: event.clientX, y: event.clientY };
      return;
    }
    if (event.button !== 0) return;
    startTool(event);
  });

  canvas.addEventListener('pointermove', event => {
    app.pointerMoved(event);
    if (event.pointerType === 'touch' && touches.has(event.pointerId)) {
      touches.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (gesture && touches.size >= 2) {
        const [a, b] = [...touches.values()];
        const distance = Math.hypot(a.x - b.x, a.y - b.y);
        const x = (a.x + b.x) / 2, y = (a.y + b.y) / 2;
        app.viewport.panBy(x - gesture.x, y - gesture.y);
        if (gesture.distance > 0) app.viewport.zoomAt(distance / gesture.distance, x, y);
        gesture = { distance, x, y };
        return;
      }
      if (pendingTouch && pendingTouch.event.pointerId === event.pointerId) {
        const moved = Math.hypot(event.clientX - pendingTouch.event.clientX, event.clientY - pendingTouch.event.clientY);
        if (moved > 4 || performance.now() - pendingTouch.at > 80) {
          const first = pendingTouch.event;
          pendingTouch = null;
          startTool(first);
        } else {
          return;
        }
      }
    }
    if (pan && pan.pointerId === event.pointerId) {
      app.viewport.panBy(event.clientX - pan.x, event.clientY - pan.y);
      pan = { pointerId: event.pointerId, x: event.clientX, y: event.clientY };
      return;
    }
    if (drawing === event.pointerId) tool()?.move(event, boardPoint(event));
  });

  const end = event => {
    if (event.pointerType === 'touch') {
      touches.delete(event.pointerId);
      if (touches.size < 2) gesture = null;
      if (pendingTouch && pendingTouch.event.pointerId === event.pointerId) {
        // A tap: the tool gets it whole (a click of the text or select tool, a dot of the pen).
        const first = pendingTouch.event;
        pendingTouch = null;
        startTool(first);
      }
    }
    if (pan && pan.pointerId === event.pointerId) {
      pan = null;
      return;
    }
    if (drawing === event.pointerId) {
      drawing = null;
      tool()?.up(event, boardPoint(event));
    }
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  canvas.addEventListener('pointerleave', event => app.pointerLeft(event));
  canvas.addEventListener('dblclick', event => tool()?.doubleClick?.(boardPoint(event)));
  canvas.addEventListener('contextmenu', event => event.preventDefault());
  canvas.addEventListener('wheel', event => {
    event.preventDefault();
    const { dx, dy } = wheelDelta(event);
    if (event.ctrlKey || event.metaKey) {
      // Ctrl/⌘ + wheel, and a trackpad's pinch (which browsers report as a wheel with Ctrl), zoom at the pointer.
      // A mouse wheel's notch (~100 px) is capped to the size of a pinch's step, so one notch zooms ~10 %.
      app.viewport.zoomAt(Math.exp(-Math.max(-10, Math.min(10, dy)) * 0.01), event.clientX, event.clientY);
      return;
    }
    // The wheel and two-finger trackpad scrolling pan, as in Excalidraw and tldraw; Shift turns a wheel sideways.
    if (event.shiftKey && dx === 0) app.viewport.panBy(-dy, 0);
    else app.viewport.panBy(-dx, -dy);
  }, { passive: false });
}
