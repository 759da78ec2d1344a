// The drawing tools. Each turns pointer input (mouse, pen or touch, in board coordinates) into
// operations on the board, shows its result at once, and records what it did for undo.
//
// The select tool is in select-tool.js, and the routing of pointer input to tools in input.js.
//
// Every tool receives the board page's `app`: { model, connection, viewport, renderer, history, style,
// nextElementId(), textEditor, selection }.

import { hits, topmostAt } from './geometry.js';
import { epochOf } from './telemetry.js';

const BATCH_INTERVAL_MS = 30;     // pen points travel in small batches while a stroke is drawn
export const SHAPE_INTERVAL_MS = 40; // shapes being dragged are shown to the others this often
const MAX_BATCH_POINTS = 200;
const MAX_IDS = 1000;

export const round = value => Math.round(value * 100) / 100;

function pressureOf(event) {
  // Mice report 0.5 while a button is down; pens (and some touch screens) report real pressure.
  const p = event.pressure;
  return p > 0 && p <= 1 ? round(p) : 0.5;
}

export function chunks(ids) {
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
    // The stroke's trace starts at the pointer-down (telemetry.js); each batch says when its first point was drawn.
    const at = epochOf(event.timeStamp);
    const trace = this.app.connection.newTrace('draw', { open: true, startTime: at, attributes: { 'sharedcanvas.element.id': id, 'sharedcanvas.tool': this.type } });
    this.active = { id, batch: [], batchAt: 0, timer: 0, trace };
    this.app.connection.send({
      k: 'add',
      el: { id, t: this.type, color: style.color, width, opacity: style.opacity, pts: [round(p.x), round(p.y), pressureOf(event)] },
    }, trace, at);
  }

  move(event) {
    if (!this.active) return;
    const events = typeof event.getCoalescedEvents === 'function' && event.getCoalescedEvents().length ? event.getCoalescedEvents() : [event];
    if (this.active.batch.length === 0) this.active.batchAt = epochOf(events[0].timeStamp);
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
    trace.end();
    this.app.history.added([id]);
  }

  cancel() { this.up(); }

  flush() {
    const active = this.active;
    if (!active) return;
    clearTimeout(active.timer);
    active.timer = 0;
    if (active.batch.length === 0) return;
    this.app.connection.send({ k: 'points', id: active.id, pts: active.batch }, active.trace, active.batchAt);
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
    const at = epochOf(event.timeStamp);
    const trace = this.app.connection.newTrace('draw', { open: true, startTime: at, attributes: { 'sharedcanvas.element.id': id, 'sharedcanvas.tool': this.type } });
    this.active = { id, x, y, pts: [x, y, x, y], timer: 0, sent: 0, movedAt: at, trace };
    this.app.connection.send({ k: 'add', el }, trace, at);
  }

  move(event, p) {
    const active = this.active;
    if (!active) return;
    let x = round(p.x), y = round(p.y);
    if (event.shiftKey) ({ x, y } = this.constrain(active.x, active.y, x, y));
    active.pts = [active.x, active.y, x, y];
    active.movedAt = epochOf(event.timeStamp);
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
    this.app.connection.send({ k: 'update', id: active.id, set: { pts: active.pts } }, active.trace, active.movedAt);
  }

  up() {
    const active = this.active;
    if (!active) return;
    clearTimeout(active.timer);
    this.active = null;
    const [x1, y1, x2, y2] = active.pts;
    this.app.connection.send({ k: 'end', id: active.id, pts: active.pts }, active.trace);
    active.trace.end();
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
    const trace = this.app.connection.newTrace('erase');
    const ns = chunks(ids).map(chunk => this.app.connection.send({ k: 'delete', ids: chunk }, trace));
    this.app.history.deleted(ids, ns);
  }

  cancel() { this.up(); }
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
