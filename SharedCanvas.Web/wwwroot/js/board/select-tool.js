// The select tool: selecting, moving, resizing and rotating what is on the board.

import { bounds, contains, topmostAt, selectionBox, handlesOf, resizedBox, scaledInto, rotateHandleOf, turnedAbout } from './geometry.js';
import { SHAPE_INTERVAL_MS, round, chunks } from './tools.js';
import { epochOf } from './telemetry.js';

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
      const box = selectionBox(this.selectedElements());
      const cx = (box.minX + box.maxX) / 2, cy = (box.minY + box.maxY) / 2;
      const start = Math.atan2(p.y - cy, p.x - cx);
      this.reshape((event, q) => {
        const turn = Math.atan2(q.y - cy, q.x - cx) - start;
        // Shift turns in steps of 15°.
        const delta = event.shiftKey ? Math.round(turn / (Math.PI / 12)) * (Math.PI / 12) : turn;
        return delta === 0 ? null : el => turnedAbout(el, delta, cx, cy);
      });
      return;
    }
    const handle = this.handleAt(p);
    if (handle) {
      const box = selectionBox(this.selectedElements());
      this.reshape((event, q) => {
        const to = resizedBox(box, handle, q.x, q.y, event.shiftKey);
        return el => scaledInto(el, box, to);
      });
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
      this.drag = { kind: 'move', x: p.x, y: p.y, total: { dx: 0, dy: 0 }, sentTotal: { dx: 0, dy: 0 }, sent: 0, timer: 0, trace: this.app.connection.newTrace('move', { open: true, startTime: epochOf(event.timeStamp) }) };
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
      this.showMove(drag);
      this.soon(drag, () => this.sendMove(drag));
    } else if (drag.kind === 'reshape') {
      drag.fields = drag.follow(event, p);
      this.soon(drag, () => this.sendReshape(drag));
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

  /**
   * A resize or a rotation: `follow(event, point)` gives, for where the pointer is, the function that maps each
   * selected element (as it was when the drag began) to the fields to set on it, or null for no change.
   */
  reshape(follow) {
    const originals = this.selectedElements().map(el => ({ ...el, pts: el.pts.slice() }));
    this.drag = { kind: 'reshape', follow, fields: null, originals, sent: 0, timer: 0, trace: this.app.connection.newTrace('reshape', { open: true }) };
  }

  /** Runs `send` now if the drag's last send is SHAPE_INTERVAL_MS old, else once that time has passed. */
  soon(drag, send) {
    const wait = SHAPE_INTERVAL_MS - (performance.now() - drag.sent);
    if (wait <= 0) send();
    else if (!drag.timer) drag.timer = setTimeout(send, wait);
  }

  /** Marks a send of the drag as done now, so that the next waits SHAPE_INTERVAL_MS. */
  sending(drag) {
    clearTimeout(drag.timer);
    drag.timer = 0;
    drag.sent = performance.now();
  }

  /** What is not yet sent of a move is drawn as an offset over what the board already has. */
  showMove({ total, sentTotal }) {
    const preview = this.app.renderer.preview;
    preview.dx = round(total.dx - sentTotal.dx);
    preview.dy = round(total.dy - sentTotal.dy);
  }

  sendMove(drag) {
    this.sending(drag);
    const dx = round(drag.total.dx - drag.sentTotal.dx), dy = round(drag.total.dy - drag.sentTotal.dy);
    if (dx === 0 && dy === 0) return;
    for (const chunk of chunks([...this.selection])) this.app.connection.send({ k: 'update', ids: chunk, dx, dy }, drag.trace);
    drag.sentTotal = { ...drag.total };
    this.showMove(drag);
    this.app.renderer.requestRender();
  }

  sendReshape(drag) {
    this.sending(drag);
    if (!drag.fields) return;
    for (const el of drag.originals) this.app.connection.send({ k: 'update', id: el.id, set: drag.fields(el) }, drag.trace);
  }

  up() {
    const drag = this.drag;
    this.drag = null;
    if (!drag) return;
    drag.trace?.end();
    const preview = this.app.renderer.preview;
    if (drag.kind === 'move') {
      this.sendMove(drag);
      if (drag.total.dx !== 0 || drag.total.dy !== 0) this.app.history.moved([...this.selection], drag.total.dx, drag.total.dy);
    } else if (drag.kind === 'reshape' && drag.fields) {
      this.sendReshape(drag);
      // One undo step: each element's fields as they were before the drag.
      this.app.history.restyled(drag.originals.map(el => {
        const after = drag.fields(el);
        const before = Object.fromEntries(Object.keys(after).map(key => [key, key === 'rot' ? (el.rot ?? 0) : el[key]]));
        return { id: el.id, before, after };
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
