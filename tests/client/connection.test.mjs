// The board page's connection logic (connection.js) without a browser: what it does with what the server
// sends about its own operations (docs/protocol.md §4.2, §4.3, §4.8).
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';

// The few browser globals the module touches.
const storage = new Map();
globalThis.addEventListener ??= () => {};
globalThis.sessionStorage ??= { getItem: k => storage.get(k) ?? null, setItem: (k, v) => storage.set(k, v) };

const { BoardConnection } = await import('../../SharedCanvas.Web/wwwroot/js/board/connection.js');
const { BoardModel } = await import('../../SharedCanvas.Web/wwwroot/js/board/model.js');

let connection;
let model;

beforeEach(() => {
  storage.clear();
  model = new BoardModel();
  model.me = { user: 'alice', name: 'alice', role: 'editor' };
  connection = new BoardConnection({ boardId: 'b'.repeat(32), tokenUrl: '/t', antiforgery: '', model });
  connection.client = 'alice-client-1';
  connection.persistSoon = () => {};
});

const pen = id => ({ k: 'add', el: { id, t: 'pen', pts: [1, 1, 0.5] } });

test("someone else's operation under our client id is not taken for ours", () => {
  connection.send(pen('mine'));
  connection.handle({ type: 'op', seq: 7, client: 'alice-client-1', n: 1, author: 'mallory', op: pen('theirs') });
  assert.equal(connection.unsavedCount, 1, 'our operation 1 must still wait for its acknowledgement');
  assert.ok(model.element('mine'), 'our stroke is still shown');
});

test('our own operation seen in a replay is saved', () => {
  connection.send(pen('mine'));
  connection.handle({ type: 'op', seq: 7, client: 'alice-client-1', n: 1, author: 'alice', op: pen('mine') });
  assert.equal(connection.unsavedCount, 0);
  assert.equal(model.seq, 7);
});

test('a duplicate acknowledgement is proof of storage: the operation is no longer resent', () => {
  connection.send(pen('a'));
  connection.handle({ type: 'ack', n: 1, dup: true });
  assert.equal(connection.unsavedCount, 0);
});

test('an operation the server cannot place is kept, shown and counted unsaved, but not resent', () => {
  connection.send(pen('old'));
  connection.handle({ type: 'error', code: 'unknown_op', n: 1, message: 'too old' });
  assert.equal(connection.unsavedCount, 1);
  assert.equal(connection.unacked.length, 0, 'nothing left to resend');
  assert.ok(model.element('old'));
  connection.persist();
  assert.equal(JSON.parse([...storage.values()][0]).unconfirmed.length, 1, 'kept across a reload');
});

test('a refused operation is dropped with its effect', () => {
  connection.send(pen('bad'));
  connection.handle({ type: 'error', code: 'invalid_op', n: 1, message: 'no' });
  assert.equal(connection.unsavedCount, 0);
  assert.equal(model.element('bad'), undefined);
});
