// Export (PNG of the view or of the whole drawing, SVG, JSON) and import of a JSON board.

import { bounds, union, pivotOf, textLayout, FONT_FAMILY, TEXT_LINE_HEIGHT } from './geometry.js';
import { drawElement, freehandOutline, svgPath, arrowHead } from './renderer.js';

export const FORMAT = 'sharedcanvas';
const MAX_EXPORT_PIXELS = 8192;
const PADDING = 32;

/** The board's visible elements (those `which` keeps) as plain data: geometry and style, without authors or history. */
export function exportElements(model, which = () => true) {
  return Array.from(model.visibleElements()).filter(which).map(el => {
    const plain = { id: el.id, t: el.t, color: el.color, width: el.width, opacity: el.opacity, pts: el.pts.slice() };
    if (el.t === 'rect' || el.t === 'ellipse') plain.fill = el.fill;
    if (el.rot) plain.rot = el.rot;
    if (el.t === 'text') {
      plain.text = el.text;
      plain.size = el.size;
    }
    return plain;
  });
}

export function exportJson(model, name, which) {
  return JSON.stringify({ format: FORMAT, version: 1, name, elements: exportElements(model, which) }, null, 1);
}

function contentBounds(model) {
  let box = null;
  for (const el of model.visibleElements()) box = union(box, bounds(el));
  return box;
}

/** A PNG of what the canvas shows now (without cursors or selection), or of the whole drawing. */
export async function exportPng(model, viewport, { whole }) {
  const ratio = window.devicePixelRatio || 1;
  let box, scale;
  if (whole) {
    box = contentBounds(model) ?? { minX: 0, minY: 0, maxX: 1, maxY: 1 };
    box = { minX: box.minX - PADDING, minY: box.minY - PADDING, maxX: box.maxX + PADDING, maxY: box.maxY + PADDING };
    scale = Math.min(2, MAX_EXPORT_PIXELS / Math.max(box.maxX - box.minX, box.maxY - box.minY));
  } else {
    box = viewport.visibleBounds();
    scale = viewport.scale * ratio;
  }
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round((box.maxX - box.minX) * scale));
  canvas.height = Math.max(1, Math.round((box.maxY - box.minY) * scale));
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.setTransform(scale, 0, 0, scale, -box.minX * scale, -box.minY * scale);
  for (const el of model.visibleElements()) drawElement(ctx, el);
  return new Promise(resolve => canvas.toBlob(resolve, 'image/png'));
}

const escapeXml = text => text.replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]);
const n = value => Math.round(value * 100) / 100;

/** The drawing as SVG: pen strokes as their smoothed outlines, shapes and text as SVG elements. */
export function exportSvg(model) {
  const box = contentBounds(model) ?? { minX: 0, minY: 0, maxX: 1, maxY: 1 };
  const x = n(box.minX - PADDING), y = n(box.minY - PADDING);
  const w = n(box.maxX - box.minX + 2 * PADDING), h = n(box.maxY - box.minY + 2 * PADDING);
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="${x} ${y} ${w} ${h}" width="${w}" height="${h}">`,
    `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="#ffffff"/>`];
  for (const el of model.visibleElements()) {
    const pivot = el.rot ? pivotOf(el) : null;
    const turn = pivot ? ` transform="rotate(${n(el.rot * 180 / Math.PI)} ${n(pivot.x)} ${n(pivot.y)})"` : '';
    const common = `data-id="${escapeXml(el.id)}" data-type="${el.t}" opacity="${el.t === 'highlighter' ? Math.min(el.opacity, 0.35) : el.opacity}"${turn}`;
    const stroke = `stroke="${el.color}" stroke-width="${el.width}" stroke-linecap="round" stroke-linejoin="round"`;
    const p = el.pts;
    switch (el.t) {
      case 'pen':
      case 'highlighter':
        parts.push(`<path ${common} d="${svgPath(freehandOutline(el).outline)}" fill="${el.color}"/>`);
        break;
      case 'line':
        parts.push(`<line ${common} x1="${n(p[0])}" y1="${n(p[1])}" x2="${n(p[2])}" y2="${n(p[3])}" ${stroke}/>`);
        break;
      case 'arrow': {
        const [[ax, ay], [bx, by]] = arrowHead(el);
        parts.push(`<g ${common} fill="none" ${stroke}><line x1="${n(p[0])}" y1="${n(p[1])}" x2="${n(p[2])}" y2="${n(p[3])}"/>` +
          `<polyline points="${n(ax)},${n(ay)} ${n(p[2])},${n(p[3])} ${n(bx)},${n(by)}"/></g>`);
        break;
      }
      case 'rect': {
        const rx = Math.min(p[0], p[2]), ry = Math.min(p[1], p[3]);
        parts.push(`<rect ${common} x="${n(rx)}" y="${n(ry)}" width="${n(Math.abs(p[2] - p[0]))}" height="${n(Math.abs(p[3] - p[1]))}" ${stroke} ` +
          `fill="${el.fill ? el.color : 'none'}" fill-opacity="${el.fill ? 0.25 : 0}"/>`);
        break;
      }
      case 'ellipse':
        parts.push(`<ellipse ${common} cx="${n((p[0] + p[2]) / 2)}" cy="${n((p[1] + p[3]) / 2)}" rx="${n(Math.abs(p[2] - p[0]) / 2)}" ` +
          `ry="${n(Math.abs(p[3] - p[1]) / 2)}" ${stroke} fill="${el.fill ? el.color : 'none'}" fill-opacity="${el.fill ? 0.25 : 0}"/>`);
        break;
      case 'text': {
        const { size, lines } = textLayout(el);
        const spans = lines.map((line, i) => `<tspan x="${n(p[0])}" y="${n(p[1] + i * size * TEXT_LINE_HEIGHT)}">${escapeXml(line)}</tspan>`).join('');
        parts.push(`<text ${common} font-family="${escapeXml(FONT_FAMILY)}" font-size="${size}" dominant-baseline="text-before-edge" fill="${el.color}">${spans}</text>`);
        break;
      }
      default:
        break;
    }
  }
  parts.push('</svg>');
  return parts.join('\n');
}

/** Offers a file to the person as a download. */
export function download(name, blob) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Checks an exported board and returns its elements, or throws with what is wrong. */
export function parseImport(text) {
  const document = JSON.parse(text);
  if (document?.format !== FORMAT || !Array.isArray(document.elements)) throw new Error('This is not a SharedCanvas board export.');
  return document.elements;
}

/**
 * Draws imported elements onto this board as this person's own operations: an add each, with long pen
 * strokes continued in point batches so that no message is too large, paced below the server's rate
 * limits (the welcome message says them). Returns the ids at once; `progress(done, total)` reports.
 */
export function importElements(connection, elements, limits, progress = () => {}) {
  const addsPerSecond = Math.max(1, Math.floor((limits?.addsPerSecond ?? 20) * 0.8));
  const ids = elements.map(source => source.id);
  let next = 0;
  const step = () => {
    const batch = elements.slice(next, next + addsPerSecond);
    sendElements(connection, batch, limits);
    next += batch.length;
    progress(next, elements.length);
    if (next < elements.length) setTimeout(step, 1000);
  };
  step();
  return ids;
}

function sendElements(connection, elements, limits) {
  const maxPoints = (limits?.maxPointsPerBatch ?? 1000) * 3;
  for (const source of elements) {
    const el = { id: source.id, t: source.t, color: source.color, width: source.width, opacity: source.opacity, pts: source.pts.slice(0, maxPoints) };
    if (source.t === 'rect' || source.t === 'ellipse') el.fill = !!source.fill;
    if (typeof source.rot === 'number' && Math.abs(source.rot) <= 3.1416 && source.rot !== 0) el.rot = source.rot;
    if (source.t === 'text') {
      el.text = source.text;
      if (typeof source.size === 'number') el.size = source.size;
    }
    const long = source.pts.length > maxPoints;
    if (!long) el.done = true;
    connection.send({ k: 'add', el });
    if (long) {
      for (let i = maxPoints; i < source.pts.length; i += maxPoints) {
        connection.send({ k: 'points', id: source.id, pts: source.pts.slice(i, i + maxPoints) });
      }
      connection.send({ k: 'end', id: source.id });
    }
  }
}
