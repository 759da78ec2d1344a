// Geometry of elements in board coordinates: bounds, hit tests, text layout.

import { pointStride } from './model.js';

const boundsCache = new WeakMap();

export const TEXT_LINE_HEIGHT = 1.25;
export const FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

let measureContext = null;
function measure(text, size) {
  measureContext ??= document.createElement('canvas').getContext('2d');
  measureContext.font = `${size}px ${FONT_FAMILY}`;
  return measureContext.measureText(text).width;
}

/** The text's lines and their size. */
export function textLayout(el) {
  const size = el.size ?? 24;
  const lines = (el.text ?? '').split('\n');
  const width = Math.max(...lines.map(line => measure(line, size)), size * 0.5);
  return { size, lines, width, height: lines.length * size * TEXT_LINE_HEIGHT };
}

/** The element's bounding box, including half its stroke width. Cached per element version. */
export function bounds(el) {
  const cached = boundsCache.get(el);
  if (cached && cached.v === el.v && cached.n === el.pts.length) return cached.box;
  let box;
  if (el.t === 'text') {
    const [x, y] = el.pts;
    const { width, height } = textLayout(el);
    box = { minX: x, minY: y, maxX: x + width, maxY: y + height };
  } else {
    const stride = pointStride(el.t);
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (let i = 0; i + 1 < el.pts.length; i += stride) {
      const x = el.pts[i], y = el.pts[i + 1];
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
    const pad = (el.t === 'arrow' ? Math.max(10, el.width * 3) : 0) + el.width / 2;
    box = { minX: minX - pad, minY: minY - pad, maxX: maxX + pad, maxY: maxY + pad };
  }
  boundsCache.set(el, { v: el.v, n: el.pts.length, box });
  return box;
}

export function union(a, b) {
  if (!a) return b;
  if (!b) return a;
  return { minX: Math.min(a.minX, b.minX), minY: Math.min(a.minY, b.minY), maxX: Math.max(a.maxX, b.maxX), maxY: Math.max(a.maxY, b.maxY) };
}

export function intersects(a, b) {
  return a.minX <= b.maxX && a.maxX >= b.minX && a.minY <= b.maxY && a.maxY >= b.minY;
}

export function contains(outer, inner) {
  return inner.minX >= outer.minX && inner.maxX <= outer.maxX && inner.minY >= outer.minY && inner.maxY <= outer.maxY;
}

function segmentDistance(px, py, x1, y1, x2, y2) {
  const dx = x2 - x1, dy = y2 - y1;
  const length = dx * dx + dy * dy;
  const t = length === 0 ? 0 : Math.max(0, Math.min(1, ((px - x1) * dx + (py - y1) * dy) / length));
  const cx = x1 + t * dx, cy = y1 + t * dy;
  return Math.hypot(px - cx, py - cy);
}

/** Whether the point (board coordinates) touches the element, within `tolerance` board units. */
export function hits(el, x, y, tolerance) {
  const box = bounds(el);
  if (x < box.minX - tolerance || x > box.maxX + tolerance || y < box.minY - tolerance || y > box.maxY + tolerance) return false;
  const reach = el.width / 2 + tolerance;
  const p = el.pts;
  switch (el.t) {
    case 'pen':
    case 'highlighter': {
      if (p.length < 6) return Math.hypot(x - p[0], y - p[1]) <= reach;
      for (let i = 0; i + 5 < p.length; i += 3) {
        if (segmentDistance(x, y, p[i], p[i + 1], p[i + 3], p[i + 4]) <= reach) return true;
      }
      return false;
    }
    case 'line':
    case 'arrow':
      return segmentDistance(x, y, p[0], p[1], p[2], p[3]) <= reach;
    case 'rect': {
      const [x1, y1, x2, y2] = p;
      if (el.fill && x >= Math.min(x1, x2) && x <= Math.max(x1, x2) && y >= Math.min(y1, y2) && y <= Math.max(y1, y2)) return true;
      return segmentDistance(x, y, x1, y1, x2, y1) <= reach || segmentDistance(x, y, x2, y1, x2, y2) <= reach
        || segmentDistance(x, y, x2, y2, x1, y2) <= reach || segmentDistance(x, y, x1, y2, x1, y1) <= reach;
    }
    case 'ellipse': {
      const cx = (p[0] + p[2]) / 2, cy = (p[1] + p[3]) / 2;
      const rx = Math.max(Math.abs(p[2] - p[0]) / 2, 0.5), ry = Math.max(Math.abs(p[3] - p[1]) / 2, 0.5);
      const angle = Math.atan2((y - cy) / ry, (x - cx) / rx);
      const ex = cx + rx * Math.cos(angle), ey = cy + ry * Math.sin(angle);
      const inside = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1;
      return (el.fill && inside) || Math.hypot(x - ex, y - ey) <= reach;
    }
    case 'text':
      return true;
    default:
      return false;
  }
}

/** The topmost visible element at a point, or null. */
export function topmostAt(elements, x, y, tolerance) {
  let found = null;
  for (const el of elements) {
    if (hits(el, x, y, tolerance)) found = el;
  }
  return found;
}
