// Following someone's view: the rectangle their screen shows, shown whole on a screen of another size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { viewShowing, MAX_SCALE } from '../../SharedCanvas.Web/wwwroot/js/board/view.js';

test('the same screen size shows exactly the same view', () => {
  assert.deepEqual(viewShowing([100, 50, 600, 400], 1200, 800), { x: 100, y: 50, scale: 2 });
});

test('a narrower screen keeps the centre and fits the whole width', () => {
  const { x, y, scale } = viewShowing([0, 0, 1200, 800], 390, 844);
  assert.equal(scale, 390 / 1200);
  assert.equal(x + 390 / 2 / scale, 600);
  assert.equal(y + 844 / 2 / scale, 400);
});

test('a tiny rectangle never zooms past the limit', () => {
  assert.equal(viewShowing([0, 0, 0.001, 0.001], 1200, 800).scale, MAX_SCALE);
});
