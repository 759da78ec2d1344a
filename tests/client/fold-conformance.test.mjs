// The browser's fold (model.js) against the shared cases in tests/conformance/fold, which the C# fold
// (BoardState.cs) runs too: both end with the same board.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BoardModel } from '../../SharedCanvas.Web/wwwroot/js/board/model.js';

const folder = new URL('../conformance/fold/', import.meta.url).pathname;
const files = readdirSync(folder).filter(f => f.endsWith('.json')).sort();

test('the cases are there', () => assert.ok(files.length >= 9, `only ${files.length} cases in ${folder}`));

for (const file of files) {
  const { description, ops, expected } = JSON.parse(readFileSync(join(folder, file), 'utf8'));
  test(`${file}: ${description}`, () => {
    const model = new BoardModel();
    for (const { seq, author, op } of ops) model.applyConfirmed(seq, op, author);
    const actual = Array.from(model.confirmed.values(), ({ v, ...element }) => element);
    assert.deepStrictEqual(actual, expected);
  });
}
