// Draws the board's elements on the canvas. Board coordinates are independent of the screen: the
// view (offset and zoom) maps them to pixels, so every client renders the same drawing.

import { pointStride } from './model.js';

export class Renderer {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {import('./model.js').BoardModel} model
   */
  constructor(canvas, model) {
    this.canvas = canvas;
    this.context = canvas.getContext('2d');
    this.model = model;
    this.view = { x: 0, y: 0, scale: 1 };
    this.queued = false;
    this.frames = 0;

    model.addEventListener('change', () => this.requestRender());
    new ResizeObserver(() => this.resize()).observe(canvas);
    this.resize();
  }

  resize() {
    const ratio = window.devicePixelRatio || 1;
    const { clientWidth, clientHeight } = this.canvas;
    this.canvas.width = Math.max(1, Math.round(clientWidth * ratio));
    this.canvas.height = Math.max(1, Math.round(clientHeight * ratio));
    this.requestRender();
  }

  /** Screen (CSS pixel, relative to the canvas) → board coordinates. */
  toBoard(clientX, clientY) {
    const rect = this.canvas.getBoundingClientRect();
    return {
      x: (clientX - rect.left) / this.view.scale + this.view.x,
      y: (clientY - rect.top) / this.view.scale + this.view.y,
    };
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
    const ctx = this.context;
    const ratio = window.devicePixelRatio || 1;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.setTransform(ratio * this.view.scale, 0, 0, ratio * this.view.scale,
      -this.view.x * ratio * this.view.scale, -this.view.y * ratio * this.view.scale);
    for (const el of this.model.visibleElements()) drawElement(ctx, el);
    this.frames++;
  }
}

/** Draws one element in board coordinates. */
export function drawElement(ctx, el) {
  ctx.save();
  ctx.globalAlpha = el.opacity ?? 1;
  ctx.strokeStyle = el.color;
  ctx.fillStyle = el.color;
  ctx.lineWidth = el.width;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  switch (el.t) {
    case 'pen':
    case 'highlighter':
      if (el.t === 'highlighter') ctx.globalAlpha = Math.min(ctx.globalAlpha, 0.35);
      drawFreehand(ctx, el);
      break;
    case 'line':
    case 'arrow':
      drawLine(ctx, el);
      break;
    case 'rect':
    case 'ellipse':
      drawShape(ctx, el);
      break;
    case 'text':
      drawText(ctx, el);
      break;
    default:
      break;
  }
  ctx.restore();
}

function drawFreehand(ctx, el) {
  const pts = el.pts;
  const stride = pointStride(el.t);
  const count = Math.floor(pts.length / stride);
  if (count === 0) return;
  if (count === 1) {
    ctx.beginPath();
    ctx.arc(pts[0], pts[1], el.width / 2, 0, Math.PI * 2);
    ctx.fill();
    return;
  }
  // A smooth curve through the midpoints of successive points.
  ctx.beginPath();
  ctx.moveTo(pts[0], pts[1]);
  for (let i = 1; i < count - 1; i++) {
    const x = pts[i * stride], y = pts[i * stride + 1];
    const nx = pts[(i + 1) * stride], ny = pts[(i + 1) * stride + 1];
    ctx.quadraticCurveTo(x, y, (x + nx) / 2, (y + ny) / 2);
  }
  ctx.lineTo(pts[(count - 1) * stride], pts[(count - 1) * stride + 1]);
  ctx.stroke();
}

function drawLine(ctx, el) {
  const [x1, y1, x2, y2] = el.pts;
  if (x2 === undefined) return;
  ctx.beginPath();
  ctx.moveTo(x1, y1);
  ctx.lineTo(x2, y2);
  ctx.stroke();
  if (el.t === 'arrow') {
    const angle = Math.atan2(y2 - y1, x2 - x1);
    const head = Math.max(10, el.width * 3);
    ctx.beginPath();
    ctx.moveTo(x2, y2);
    ctx.lineTo(x2 - head * Math.cos(angle - Math.PI / 7), y2 - head * Math.sin(angle - Math.PI / 7));
    ctx.moveTo(x2, y2);
    ctx.lineTo(x2 - head * Math.cos(angle + Math.PI / 7), y2 - head * Math.sin(angle + Math.PI / 7));
    ctx.stroke();
  }
}

function drawShape(ctx, el) {
  const [x1, y1, x2, y2] = el.pts;
  if (x2 === undefined) return;
  const x = Math.min(x1, x2), y = Math.min(y1, y2), w = Math.abs(x2 - x1), h = Math.abs(y2 - y1);
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
}

function drawText(ctx, el) {
  const [x, y] = el.pts;
  if (y === undefined || !el.text) return;
  const size = el.size ?? 24;
  ctx.font = `${size}px system-ui, sans-serif`;
  ctx.textBaseline = 'top';
  el.text.split('\n').forEach((line, i) => ctx.fillText(line, x, y + i * size * 1.25));
}
