// Selection geometry (geometry.js): resizing a selection's box by a corner, fitting elements into it, and
// what a click inside a hollow shape hits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hits, resizedBox, scaledInto } from '../../SharedCanvas.Web/wwwroot/js/board/geometry.js';

const box = { minX: 100, minY: 100, maxX: 300, maxY: 200 };

test('dragging the south-east corner keeps the north-west one', () => {
  assert.deepEqual(resizedBox(box, 'se', 500, 260, false), { minX: 100, minY: 100, maxX: 500, maxY: 260 });
});

test('dragging the north-west corner keeps the south-east one, and never turns the box inside out', () => {
  assert.deepEqual(resizedBox(box, 'nw', 50, 80, false), { minX: 50, minY: 80, maxX: 300, maxY: 200 });
  const flipped = resizedBox(box, 'nw', 400, 400, false);
  assert.equal(flipped.maxX, 300);
  assert.equal(flipped.maxX - flipped.minX, 1);
});

test('Shift keeps the proportions, by the larger of the two stretches', () => {
  const r = resizedBox(box, 'se', 700, 210, true);
  assert.equal((r.maxX - r.minX) / (r.maxY - r.minY), 2);
  assert.equal(r.maxX - r.minX, 600);
});

test('an element fitted into a box twice as big has its points scaled about the box, pressure kept', () => {
  const pen = { t: 'pen', pts: [100, 100, 0.3, 300, 200, 0.9] };
  assert.deepEqual(scaledInto(pen, box, { minX: 100, minY: 100, maxX: 500, maxY: 300 }).pts, [100, 100, 0.3, 500, 300, 0.9]);
});

test('a text keeps its place in the box and its size follows the smaller stretch', () => {
  const text = { t: 'text', pts: [200, 150], size: 20, text: 'hi' };
  const fitted = scaledInto(text, box, { minX: 100, minY: 100, maxX: 500, maxY: 250 });
  assert.deepEqual(fitted.pts, [300, 175]);
  assert.equal(fitted.size, 30);
});

test('a click inside a hollow rectangle selects it but does not erase it', () => {
  const rect = { t: 'rect', width: 2, fill: false, pts: [0, 0, 100, 100], v: 1 };
  assert.equal(hits(rect, 50, 50, 2), false);
  assert.equal(hits(rect, 50, 50, 2, { inside: true }), true);
  const ellipse = { t: 'ellipse', width: 2, fill: false, pts: [0, 0, 100, 60], v: 1 };
  assert.equal(hits(ellipse, 50, 30, 2), false);
  assert.equal(hits(ellipse, 50, 30, 2, { inside: true }), true);
});

test('a selection box is the geometry itself, without the stroke', async () => {
  const { selectionBox } = await import('../../SharedCanvas.Web/wwwroot/js/board/geometry.js');
  const rect = { t: 'rect', width: 8, pts: [300, 200, 500, 300], v: 1 };
  const line = { t: 'line', width: 4, pts: [650, 250, 750, 210], v: 1 };
  assert.deepEqual(selectionBox([rect, line]), { minX: 300, minY: 200, maxX: 750, maxY: 300 });
});

test('turning an element about the selection centre turns its own centre too and adds to its rotation', async () => {
  const { turnedAbout, normalAngle } = await import('../../SharedCanvas.Web/wwwroot/js/board/geometry.js');
  const line = { t: 'line', width: 4, pts: [100, 0, 120, 0], v: 1 };
  const turned = turnedAbout(line, Math.PI / 2, 0, 0);
  assert.equal(turned.rot, 1.5708);
  // Its centre (110, 0) turned a quarter about the origin is (0, 110): the points moved by (-110, 110).
  assert.deepEqual(turned.pts, [-10, 110, 10, 110]);
  assert.equal(normalAngle(3 * Math.PI / 2), -1.5708);
  assert.equal(normalAngle(Math.PI), 3.1416);
});

test('a turned element is hit where it is drawn, and its bounds follow it', async () => {
  const { hits, bounds } = await import('../../SharedCanvas.Web/wwwroot/js/board/geometry.js');
  const line = { t: 'line', width: 2, pts: [0, 0, 100, 0], rot: Math.PI / 2, v: 1 };
  assert.equal(hits(line, 50, 40, 2), true, 'the turned line runs from (50, -50) to (50, 50)');
  assert.equal(hits(line, 90, 0, 2), false);
  const box = bounds(line);
  assert.ok(Math.abs(box.minY + 51) < 0.01 && Math.abs(box.maxY - 51) < 0.01);
});
