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

/**
 * Whether the point (board coordinates) touches the element, within `tolerance` board units. With `inside`
 * (the select tool), the inside of a hollow rectangle or ellipse counts too, as in the tools people know;
 * the eraser keeps to what is drawn.
 */
export function hits(el, x, y, tolerance, { inside = false } = {}) {
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
      if ((el.fill || inside) && x >= Math.min(x1, x2) && x <= Math.max(x1, x2) && y >= Math.min(y1, y2) && y <= Math.max(y1, y2)) return true;
      return segmentDistance(x, y, x1, y1, x2, y1) <= reach || segmentDistance(x, y, x2, y1, x2, y2) <= reach
        || segmentDistance(x, y, x2, y2, x1, y2) <= reach || segmentDistance(x, y, x1, y2, x1, y1) <= reach;
    }
    case 'ellipse': {
      const cx = (p[0] + p[2]) / 2, cy = (p[1] + p[3]) / 2;
      const rx = Math.max(Math.abs(p[2] - p[0]) / 2, 0.5), ry = Math.max(Math.abs(p[3] - p[1]) / 2, 0.5);
      const angle = Math.atan2((y - cy) / ry, (x - cx) / rx);
      const ex = cx + rx * Math.cos(angle), ey = cy + ry * Math.sin(angle);
      const within = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1;
      return ((el.fill || inside) && within) || Math.hypot(x - ex, y - ey) <= reach;
    }
    case 'text':
      return true;
    default:
      return false;
  }
}

/** The topmost visible element at a point, or null. */
export function topmostAt(elements, x, y, tolerance, options) {
  let found = null;
  for (const el of elements) {
    if (hits(el, x, y, tolerance, options)) found = el;
  }
  return found;
}

/** The box of an element's own geometry: its points (a text, its laid-out box), without stroke or arrow head. */
export function pointsBox(el) {
  if (el.t === 'text') return bounds(el);
  const stride = pointStride(el.t);
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (let i = 0; i + 1 < el.pts.length; i += stride) {
    minX = Math.min(minX, el.pts[i]);
    maxX = Math.max(maxX, el.pts[i]);
    minY = Math.min(minY, el.pts[i + 1]);
    maxY = Math.max(maxY, el.pts[i + 1]);
  }
  return { minX, minY, maxX, maxY };
}

/**
 * The box a selection's resize handles sit on: the union of the elements' own geometry, so that the corner
 * held still while resizing keeps its points exactly where they were.
 */
export function selectionBox(elements) {
  let box = null;
  for (const el of elements) box = union(box, pointsBox(el));
  return box;
}

/** The four corner handles of a box: [name, x, y], the opposite corner staying put while one is dragged. */
export function handlesOf(box) {
  return [['nw', box.minX, box.minY], ['ne', box.maxX, box.minY], ['sw', box.minX, box.maxY], ['se', box.maxX, box.maxY]];
}

/**
 * The box after dragging its `handle` corner to (x, y): the opposite corner is fixed; with `keepAspect`
 * (Shift) the box keeps its proportions. Never thinner than one board unit, never turned inside out.
 */
export function resizedBox(box, handle, x, y, keepAspect) {
  const fixedX = handle.includes('w') ? box.maxX : box.minX;
  const fixedY = handle.includes('n') ? box.maxY : box.minY;
  const signX = handle.includes('w') ? -1 : 1, signY = handle.includes('n') ? -1 : 1;
  let width = Math.max(1, signX * (x - fixedX)), height = Math.max(1, signY * (y - fixedY));
  if (keepAspect) {
    const w0 = Math.max(1, box.maxX - box.minX), h0 = Math.max(1, box.maxY - box.minY);
    const factor = Math.max(width / w0, height / h0);
    width = w0 * factor;
    height = h0 * factor;
  }
  const minX = signX > 0 ? fixedX : fixedX - width, minY = signY > 0 ? fixedY : fixedY - height;
  return { minX, minY, maxX: minX + width, maxY: minY + height };
}

/**
 * An element fitted from box `from` into box `to`: its points scaled about the boxes (pressure kept), a
 * text's anchor moved and its size scaled. Returns the fields to set: { pts } or { pts, size }.
 */
export function scaledInto(el, from, to) {
  const sx = (to.maxX - to.minX) / Math.max(1e-9, from.maxX - from.minX);
  const sy = (to.maxY - to.minY) / Math.max(1e-9, from.maxY - from.minY);
  const mapX = x => Math.round((to.minX + (x - from.minX) * sx) * 100) / 100;
  const mapY = y => Math.round((to.minY + (y - from.minY) * sy) * 100) / 100;
  const stride = pointStride(el.t);
  const pts = el.pts.slice();
  for (let i = 0; i + 1 < pts.length; i += stride) {
    pts[i] = mapX(pts[i]);
    pts[i + 1] = mapY(pts[i + 1]);
  }
  if (el.t !== 'text') return { pts };
  const size = Math.max(4, Math.min(400, Math.round((el.size ?? 24) * Math.min(sx, sy) * 10) / 10));
  return { pts, size };
}
