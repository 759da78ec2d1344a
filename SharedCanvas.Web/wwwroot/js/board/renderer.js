// Draws the board on the canvas. Finished, confirmed elements are drawn once onto a cached layer (and
// only the new ones when elements are added on top); strokes in progress, the user's unconfirmed
// changes and tool previews are drawn live on every frame above it. Pen strokes are smoothed and
// pressure-shaped with perfect-freehand.

import { getStroke } from '/lib/perfect-freehand/index.mjs';
import { bounds, intersects, selectionBox, handlesOf, pivotOf, rotateHandleOf, textLayout, FONT_FAMILY, TEXT_LINE_HEIGHT } from './geometry.js';

const outlineCache = new WeakMap();

/** The outline polygon of a pen or highlighter stroke (board coordinates). */
export function freehandOutline(el) {
  const cached = outlineCache.get(el);
  if (cached && cached.v === el.v && cached.n === el.pts.length && cached.done === el.done) return cached;
  const points = [];
  let realPressure = false;
  for (let i = 0; i + 2 < el.pts.length; i += 3) {
    points.push([el.pts[i], el.pts[i + 1], el.pts[i + 2]]);
    if (el.pts[i + 2] !== 0.5) realPressure = true;
  }
  const highlighter = el.t === 'highlighter';
  // Only a real pen's pressure shapes a stroke. A mouse (every point 0.5) draws at its chosen width however
  // fast it moves: pressure simulated from speed thinned a quick Medium stroke to a hairline.
  const outline = getStroke(points, {
    size: el.width,
    thinning: highlighter || !realPressure ? 0 : 0.55,
    smoothing: 0.5,
    streamline: 0.45,
    simulatePressure: false,
    last: el.done,
    start: { cap: true },
    end: { cap: true },
  });
  const path = new Path2D(svgPath(outline));
  const result = { v: el.v, n: el.pts.length, done: el.done, outline, path };
  outlineCache.set(el, result);
  return result;
}

/** SVG path data for a closed outline, smoothed through the midpoints of its points. */
export function svgPath(outline) {
  if (outline.length < 2) return '';
  const round = n => Math.round(n * 100) / 100;
  let d = `M${round(outline[0][0])},${round(outline[0][1])} Q`;
  for (let i = 0; i < outline.length; i++) {
    const [x0, y0] = outline[i];
    const [x1, y1] = outline[(i + 1) % outline.length];
    d += `${round(x0)},${round(y0)} ${round((x0 + x1) / 2)},${round((y0 + y1) / 2)} `;
  }
  return `${d}Z`;
}

/** The head of an arrow ending at (x2, y2): two points, each joined to the tip. */
export function arrowHead(el) {
  const [x1, y1, x2, y2] = el.pts;
  const angle = Math.atan2(y2 - y1, x2 - x1);
  const head = Math.max(10, el.width * 3);
  return [
    [x2 - head * Math.cos(angle - Math.PI / 7), y2 - head * Math.sin(angle - Math.PI / 7)],
    [x2 - head * Math.cos(angle + Math.PI / 7), y2 - head * Math.sin(angle + Math.PI / 7)],
  ];
}

/** Draws one element in board coordinates. */
export function drawElement(ctx, el) {
  ctx.save();
  if (el.rot) {
    const { x, y } = pivotOf(el);
    ctx.translate(x, y);
    ctx.rotate(el.rot);
    ctx.translate(-x, -y);
  }
  ctx.globalAlpha = el.opacity ?? 1;
  ctx.strokeStyle = el.color;
  ctx.fillStyle = el.color;
  ctx.lineWidth = el.width;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  const p = el.pts;
  switch (el.t) {
    case 'pen':
    case 'highlighter':
      if (el.t === 'highlighter') {
        ctx.globalAlpha = Math.min(ctx.globalAlpha, 0.35);
        ctx.globalCompositeOperation = 'multiply';
      }
      if (p.length >= 3) ctx.fill(freehandOutline(el).path);
      break;
    case 'line':
    case 'arrow': {
      if (p.length < 4) break;
      ctx.beginPath();
      ctx.moveTo(p[0], p[1]);
      ctx.lineTo(p[2], p[3]);
      if (el.t === 'arrow') {
        for (const [hx, hy] of arrowHead(el)) {
          ctx.moveTo(p[2], p[3]);
          ctx.lineTo(hx, hy);
        }
      }
      ctx.stroke();
      break;
    }
    case 'rect':
    case 'ellipse': {
      if (p.length < 4) break;
      const x = Math.min(p[0], p[2]), y = Math.min(p[1], p[3]), w = Math.abs(p[2] - p[0]), h = Math.abs(p[3] - p[1]);
      ctx.beginPath();
      if (el.t === 'rect') ctx.rect(x, y, w, h);
      else ctx.ellipse(x + w / 2, y + h / 2, w / 2, h / 2, 0, 0, Math.PI * 2);
      if (el.fill) {
        ctx.save();
        ctx.globalAlpha *= 0.25;
        ctx.fill();
        ctx.restore();
      }
      ctx.stroke();
      break;
    }
    case 'text': {
      if (p.length < 2 || !el.text) break;
      const { size, lines } = textLayout(el);
      ctx.font = `${size}px ${FONT_FAMILY}`;
      ctx.textBaseline = 'top';
      lines.forEach((line, i) => ctx.fillText(line, p[0], p[1] + i * size * TEXT_LINE_HEIGHT));
      break;
    }
    default:
      break;
  }
  ctx.restore();
}

export class Renderer {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {import('./model.js').BoardModel} model
   * @param {import('./view.js').Viewport} viewport
   */
  constructor(canvas, model, viewport) {
    this.canvas = canvas;
    this.context = canvas.getContext('2d');
    this.model = model;
    this.viewport = viewport;
    this.layer = document.createElement('canvas');
    this.layerContext = this.layer.getContext('2d');
    this.layerKey = '';
    this.layerEntries = [];       // [element, version] drawn on the layer, in board order
    this.queued = false;
    this.frames = 0;
    this.frameTimes = [];         // for the browser benchmark: duration of each render, ms
    this.onPainted = null;        // called with performance.now() once a frame is drawn (telemetry's render spans)
    // Tool previews, drawn over the board: elements hidden (eraser), moved (select), selection, marquee.
    this.preview = { hidden: new Set(), moving: new Set(), dx: 0, dy: 0, selection: new Set(), marquee: null, editing: null };

    model.addEventListener('change', () => this.requestRender());
    viewport.addEventListener('change', () => this.requestRender());
    new ResizeObserver(() => this.requestRender()).observe(canvas);
  }

  requestRender() {
    if (this.queued) return;
    this.queued = true;
    requestAnimationFrame(() => {
      this.queued = false;
      this.render();
    });
  }

  render() {
    const started = performance.now();
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(this.canvas.clientWidth * ratio));
    const height = Math.max(1, Math.round(this.canvas.clientHeight * ratio));
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }

    const { preview, viewport } = this;
    const settled = [];
    const live = [];
    for (const el of this.model.visibleElements()) {
      if (preview.hidden.has(el.id) || preview.editing === el.id) continue;
      const isLive = !el.done || this.model.isPending(el.id) || preview.moving.has(el.id);
      (isLive ? live : settled).push(el);
    }

    const scale = viewport.scale * ratio;
    const transform = [scale, 0, 0, scale, -viewport.x * scale, -viewport.y * scale];
    const visible = viewport.visibleBounds();
    this.updateLayer(settled, width, height, transform, visible);

    const ctx = this.context;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.drawImage(this.layer, 0, 0);
    ctx.setTransform(...transform);
    for (const el of live) {
      if (preview.moving.has(el.id)) {
        ctx.save();
        ctx.translate(preview.dx, preview.dy);
        drawElement(ctx, el);
        ctx.restore();
      } else if (intersects(bounds(el), visible)) {
        drawElement(ctx, el);
      }
    }
    this.drawSelection(ctx);
    this.frames++;
    this.frameTimes.push(performance.now() - started);
    if (this.frameTimes.length > 2000) this.frameTimes.splice(0, 1000);
    this.onPainted?.(performance.now());
  }

  /** Brings the cached layer of settled elements up to date: all of it, or only what was added on top. */
  updateLayer(settled, width, height, transform, visible) {
    const key = `${width}x${height}:${transform.join(',')}`;
    const entries = this.layerEntries;
    let from = 0;
    if (key === this.layerKey && settled.length >= entries.length) {
      let same = true;
      for (let i = 0; i < entries.length; i++) {
        if (settled[i] !== entries[i][0] || settled[i].v !== entries[i][1]) {
          same = false;
          break;
        }
      }
      if (same) from = entries.length;
    }

    const ctx = this.layerContext;
    if (from === 0) {
      if (this.layer.width !== width || this.layer.height !== height) {
        this.layer.width = width;
        this.layer.height = height;
      }
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, width, height);
      this.layerKey = key;
      this.layerEntries = [];
    }
    if (from === settled.length && from !== 0) return;
    ctx.setTransform(...transform);
    for (let i = from; i < settled.length; i++) {
      const el = settled[i];
      if (intersects(bounds(el), visible)) drawElement(ctx, el);
      this.layerEntries.push([el, el.v]);
    }
  }

  drawSelection(ctx) {
    const { selection, marquee, moving, dx, dy } = this.preview;
    const unit = 1 / this.viewport.scale;
    ctx.save();
    ctx.lineWidth = 1.5 * unit;
    ctx.strokeStyle = '#2f6fed';
    ctx.setLineDash([6 * unit, 4 * unit]);
    for (const id of selection) {
      const el = this.model.element(id);
      if (!el || el.deleted !== null) continue;
      const box = bounds(el);
      const offsetX = moving.has(id) ? dx : 0, offsetY = moving.has(id) ? dy : 0;
      ctx.strokeRect(box.minX - 4 * unit + offsetX, box.minY - 4 * unit + offsetY, box.maxX - box.minX + 8 * unit, box.maxY - box.minY + 8 * unit);
    }
    // The selection's box, around all of it, with its four resize handles.
    const selected = [...selection].map(id => this.model.element(id)).filter(el => el && el.deleted === null);
    if (selected.length > 0) {
      const box = selectionBox(selected);
      const offsetX = moving.size ? dx : 0, offsetY = moving.size ? dy : 0;
      const pad = 4 * unit;
      if (selected.length > 1) {
        ctx.setLineDash([]);
        ctx.strokeRect(box.minX - pad + offsetX, box.minY - pad + offsetY, box.maxX - box.minX + 2 * pad, box.maxY - box.minY + 2 * pad);
      }
      ctx.setLineDash([]);
      ctx.fillStyle = '#ffffff';
      const size = 8 * unit;
      for (const [, x, y] of handlesOf(box)) {
        ctx.fillRect(x - size / 2 + offsetX, y - size / 2 + offsetY, size, size);
        ctx.strokeRect(x - size / 2 + offsetX, y - size / 2 + offsetY, size, size);
      }
      // The rotate handle: a circle above the box's top edge, on a short stem.
      const turn = rotateHandleOf(box, this.viewport.scale);
      ctx.beginPath();
      ctx.moveTo((box.minX + box.maxX) / 2 + offsetX, box.minY + offsetY);
      ctx.lineTo(turn.x + offsetX, turn.y + offsetY);
      ctx.stroke();
      ctx.beginPath();
      ctx.arc(turn.x + offsetX, turn.y + offsetY, 5 * unit, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
      ctx.setLineDash([6 * unit, 4 * unit]);
    }
    if (marquee) {
      ctx.fillStyle = 'rgba(47, 111, 237, 0.08)';
      const x = Math.min(marquee.x1, marquee.x2), y = Math.min(marquee.y1, marquee.y2);
      const w = Math.abs(marquee.x2 - marquee.x1), h = Math.abs(marquee.y2 - marquee.y1);
      ctx.fillRect(x, y, w, h);
      ctx.strokeRect(x, y, w, h);
    }
    ctx.restore();
  }

  /** Percentiles of recent frame render times (ms), for the browser benchmark. */
  frameStats() {
    const sorted = [...this.frameTimes].sort((a, b) => a - b);
    const at = q => sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : 0;
    return { frames: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted.at(-1) ?? 0 };
  }
}
