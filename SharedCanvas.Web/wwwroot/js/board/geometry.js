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

/** The box of the points of `box` turned by `rot` about (cx, cy). */
function turnedBox(box, rot, cx, cy) {
  const cos = Math.cos(rot), sin = Math.sin(rot);
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const [x, y] of [[box.minX, box.minY], [box.maxX, box.minY], [box.minX, box.maxY], [box.maxX, box.maxY]]) {
    const tx = cx + (x - cx) * cos - (y - cy) * sin, ty = cy + (x - cx) * sin + (y - cy) * cos;
    minX = Math.min(minX, tx); maxX = Math.max(maxX, tx);
    minY = Math.min(minY, ty); maxY = Math.max(maxY, ty);
  }
  return { minX, minY, maxX, maxY };
}

/** The point an element turns about: the centre of its own geometry, unturned. */
export function pivotOf(el) {
  const box = ownBox(el);
  return { x: (box.minX + box.maxX) / 2, y: (box.minY + box.maxY) / 2 };
}

/** The element's bounding box, including half its stroke width (and its rotation). Cached per element version. */
export function bounds(el) {
  const cached = boundsCache.get(el);
  if (cached && cached.v === el.v && cached.n === el.pts.length && cached.rot === el.rot) return cached.box;
  let box = unturnedBounds(el);
  if (el.rot) {
    const { x, y } = pivotOf(el);
    box = turnedBox(box, el.rot, x, y);
  }
  boundsCache.set(el, { v: el.v, n: el.pts.length, rot: el.rot, box });
  return box;
}

/** The box of an element's geometry with half its stroke width (and an arrow's head) around it, unturned. */
function unturnedBounds(el) {
  const box = ownBox(el);
  if (el.t === 'text') return box;
  const pad = (el.t === 'arrow' ? Math.max(10, el.width * 3) : 0) + el.width / 2;
  return { minX: box.minX - pad, minY: box.minY - pad, maxX: box.maxX + pad, maxY: box.maxY + pad };
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
  if (el.rot) {
    // A turned element is tested in its own, unturned frame.
    const c = pivotOf(el), cos = Math.cos(-el.rot), sin = Math.sin(-el.rot);
    [x, y] = [c.x + (x - c.x) * cos - (y - c.y) * sin, c.y + (x - c.x) * sin + (y - c.y) * cos];
  }
  const box = unturnedBounds(el);
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

/** The box of an element's own geometry, as it is on the board (turned, for a rotated element). */
export function pointsBox(el) {
  const box = ownBox(el);
  if (!el.rot) return box;
  const { x, y } = pivotOf(el);
  return turnedBox(box, el.rot, x, y);
}

/** The box of an element's own geometry, unturned: its points (a text, its laid-out box), without stroke or arrow head. */
function ownBox(el) {
  if (el.t === 'text') {
    const [x, y] = el.pts;
    const { width, height } = textLayout(el);
    return { minX: x, minY: y, maxX: x + width, maxY: y + height };
  }
  const stride = pointStride(el.t);
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (let i = 0; i + 1 < el.pts.length; i += stride) {
    const x = el.pts[i], y = el.pts[i + 1];
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
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

/** Where a selection box's rotate handle is: 24 screen pixels above the middle of its top edge. */
export function rotateHandleOf(box, scale) {
  return { x: (box.minX + box.maxX) / 2, y: box.minY - 24 / scale };
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
  // (A turned element's points are mapped in the board's frame, then drawn turned about their new centre.)
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

/** An angle in (-π, π], to 4 decimals (what the protocol takes for `rot`). */
export function normalAngle(angle) {
  let a = angle % (2 * Math.PI);
  if (a > Math.PI) a -= 2 * Math.PI;
  if (a <= -Math.PI) a += 2 * Math.PI;
  return Math.max(-3.1416, Math.min(3.1416, Math.round(a * 10_000) / 10_000));
}

/**
 * An element turned by `delta` about (cx, cy), as the fields to set: its own rotation grows by `delta`, and
 * its points move so that its centre turns about (cx, cy) with the rest of the selection.
 */
export function turnedAbout(el, delta, cx, cy) {
  const pivot = pivotOf(el);
  const cos = Math.cos(delta), sin = Math.sin(delta);
  const nx = cx + (pivot.x - cx) * cos - (pivot.y - cy) * sin, ny = cy + (pivot.x - cx) * sin + (pivot.y - cy) * cos;
  const dx = nx - pivot.x, dy = ny - pivot.y;
  const stride = pointStride(el.t);
  const pts = el.pts.slice();
  for (let i = 0; i + 1 < pts.length; i += stride) {
    pts[i] = Math.round((pts[i] + dx) * 100) / 100;
    pts[i + 1] = Math.round((pts[i + 1] + dy) * 100) / 100;
  }
  return { rot: normalAngle((el.rot ?? 0) + delta), pts };
}
