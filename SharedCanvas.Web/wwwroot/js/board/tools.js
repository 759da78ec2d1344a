// Drawing tools: they turn pointer input (mouse, touch, pen) into operations on the board.

const BATCH_INTERVAL_MS = 30;   // points are sent in small batches while a stroke is drawn
const MAX_BATCH_POINTS = 200;

function round(value) {
  return Math.round(value * 100) / 100;
}

/** Freehand pen: the stroke renders locally at once and streams to others while it is drawn. */
export class PenTool {
  constructor({ renderer, connection, style, nextElementId }) {
    this.renderer = renderer;
    this.connection = connection;
    this.style = style;
    this.nextElementId = nextElementId;
    this.active = null;
  }

  down(event) {
    const { x, y } = this.renderer.toBoard(event.clientX, event.clientY);
    const id = this.nextElementId();
    this.active = { id, pointerId: event.pointerId, batch: [], timer: 0 };
    this.connection.send({
      k: 'add',
      el: { id, t: 'pen', color: this.style.color, width: this.style.width, opacity: 1, pts: [round(x), round(y), pressureOf(event)] },
    });
  }

  move(event) {
    if (!this.active || event.pointerId !== this.active.pointerId) return;
    const events = typeof event.getCoalescedEvents === 'function' ? event.getCoalescedEvents() : [event];
    for (const e of events.length ? events : [event]) {
      const { x, y } = this.renderer.toBoard(e.clientX, e.clientY);
      this.active.batch.push(round(x), round(y), pressureOf(e));
    }
    if (this.active.batch.length >= MAX_BATCH_POINTS * 3) this.flush();
    else if (!this.active.timer) this.active.timer = setTimeout(() => this.flush(), BATCH_INTERVAL_MS);
  }

  up(event) {
    if (!this.active || event.pointerId !== this.active.pointerId) return;
    this.flush();
    this.connection.send({ k: 'end', id: this.active.id });
    this.active = null;
  }

  flush() {
    const active = this.active;
    if (!active) return;
    clearTimeout(active.timer);
    active.timer = 0;
    if (active.batch.length === 0) return;
    this.connection.send({ k: 'points', id: active.id, pts: active.batch });
    active.batch = [];
  }
}

function pressureOf(event) {
  // Mice report 0.5 while a button is down; pens and some touch screens report real pressure.
  const p = event.pressure;
  return p > 0 ? round(p) : 0.5;
}

/** Routes pointer events on the canvas to the current tool. */
export function attachPointerInput(canvas, getTool) {
  canvas.addEventListener('pointerdown', event => {
    if (event.button !== 0 && event.pointerType === 'mouse') return;
    canvas.setPointerCapture(event.pointerId);
    event.preventDefault();
    getTool()?.down(event);
  });
  canvas.addEventListener('pointermove', event => getTool()?.move(event));
  const end = event => getTool()?.up(event);
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
}
