// What the board page adds to a stroke's trace (telemetry.js, docs/observability.md "The browser's part"),
// with a recording stand-in for the OpenTelemetry SDK: which spans exist, who their parents are, which
// traceparent each operation carries, and what the metrics record.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';

const storage = new Map();
globalThis.addEventListener ??= () => {};
globalThis.sessionStorage ??= { getItem: k => storage.get(k) ?? null, setItem: (k, v) => storage.set(k, v) };

const { BoardConnection } = await import('../../SharedCanvas.Web/wwwroot/js/board/connection.js');
const { BoardModel } = await import('../../SharedCanvas.Web/wwwroot/js/board/model.js');
const { BoardTelemetry } = await import('../../SharedCanvas.Web/wwwroot/js/board/telemetry.js');

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;

/** Records spans and metrics the way the SDK would be asked for them. */
function recordingSdk() {
  let counter = 0;
  const hex = (value, length) => value.toString(16).padStart(length, '0');
  const sdk = {
    spans: [],
    histograms: {},
    counters: {},
    gauges: {},
    meter: {
      createHistogram: name => ({ record: (value, attributes) => (sdk.histograms[name] ??= []).push({ value, attributes }) }),
      createCounter: name => ({ add: value => { sdk.counters[name] = (sdk.counters[name] ?? 0) + value; } }),
      createObservableGauge: name => ({ addCallback: callback => { sdk.gauges[name] = callback; } }),
    },
    startSpan(name, { parent, startTime, attributes, kind } = {}) {
      const parentMatch = TRACEPARENT.exec(parent ?? '');
      const span = {
        name, kind, startTime, attributes: { ...attributes }, status: null, ended: false, endTime: undefined,
        traceId: parentMatch ? parentMatch[1] : hex(++counter, 32),
        parentSpanId: parentMatch ? parentMatch[2] : null,
        spanId: hex(++counter, 16),
        spanContext() { return { traceId: this.traceId, spanId: this.spanId, traceFlags: 1 }; },
        setAttribute(key, value) { this.attributes[key] = value; },
        end(time) { this.ended = true; this.endTime = time; },
      };
      sdk.spans.push(span);
      return span;
    },
    traceparent: span => `00-${span.traceId}-${span.spanId}-01`,
    fail(span, message) { span.status = { message }; },
    flush() {},
  };
  return sdk;
}

let sdk;
let connection;
const sentMessages = [];

beforeEach(() => {
  storage.clear();
  sentMessages.length = 0;
  sdk = recordingSdk();
  const model = new BoardModel();
  model.me = { user: 'ada', name: 'Ada', role: 'editor' };
  connection = new BoardConnection({ boardId: 'b'.repeat(32), tokenUrl: '/t', antiforgery: '', model, telemetry: new BoardTelemetry(sdk, { boardId: 'b'.repeat(32) }) });
  connection.telemetry.user = 'ada';
  connection.client = 'ada-client-1';
  connection.persistSoon = () => {};
  connection.helloSent = true;
  connection.raw = message => sentMessages.push(message);
});

const pen = id => ({ k: 'add', el: { id, t: 'pen', pts: [1, 1, 0.5] } });
const named = name => sdk.spans.filter(s => s.name === name);

test("a stroke is one trace: a draw span from the pointer-down, one send span per operation, each operation carrying its send's context", () => {
  const trace = connection.newTrace('draw', { open: true, startTime: 1000, attributes: { 'sharedcanvas.element.id': 's1' } });
  connection.send(pen('s1'), trace, 1000);
  connection.send({ k: 'points', id: 's1', pts: [2, 2, 0.5] }, trace, 1030);
  connection.send({ k: 'end', id: 's1' }, trace);
  trace.end();

  const [draw] = named('draw');
  assert.equal(draw.startTime, 1000);
  assert.equal(draw.parentSpanId, null);
  assert.equal(draw.attributes['enduser.id'], 'ada');
  assert.equal(draw.attributes['sharedcanvas.board.id'], 'b'.repeat(32));
  assert.ok(draw.ended);
  const sends = sdk.spans.filter(s => s.name.startsWith('send '));
  assert.deepEqual(sends.map(s => s.name), ['send add', 'send points', 'send end']);
  for (const [i, message] of sentMessages.entries()) {
    const [, traceId, spanId, flags] = TRACEPARENT.exec(message.tp);
    assert.equal(traceId, draw.traceId);
    assert.equal(spanId, sends[i].spanId, 'the server continues the send span, not the draw span');
    assert.equal(flags, '01');
    assert.equal(sends[i].parentSpanId, draw.spanId);
    assert.equal(sends[i].attributes['sharedcanvas.element.id'], 's1');
  }
  assert.deepEqual(sentMessages.slice(0, 2).map(m => m.at), [1000, 1030], 'each operation says when its input happened');
});

test('a send span ends at its acknowledgement, with the sequence number; a refused one ends failed', () => {
  const trace = connection.newTrace('draw', { open: true });
  connection.send(pen('s1'), trace);
  connection.send(pen('s2'), trace);
  const [first, second] = named('send add');
  assert.ok(!first.ended, 'open until the server says it is durable');
  connection.handle({ type: 'ack', n: 1, seq: 41 });
  assert.ok(first.ended);
  assert.equal(first.attributes['sharedcanvas.seq'], 41);
  connection.handle({ type: 'error', n: 2, code: 'rate_limited', message: 'slow down' });
  assert.ok(second.ended);
  assert.equal(second.status.message, 'rate_limited');
});

test('an action that is not held open ends its root span once its operations are sent', async () => {
  const trace = connection.newTrace('delete');
  connection.send({ k: 'delete', ids: ['x'] }, trace);
  assert.ok(!named('delete')[0].ended);
  await new Promise(resolve => setTimeout(resolve, 5));
  assert.ok(named('delete')[0].ended);
});

test('an unsampled stroke makes no spans and marks its operations unsampled', () => {
  connection.traceSampleRatio = 0;
  const trace = connection.newTrace('draw', { open: true });
  connection.send(pen('s1'), trace);
  trace.end();
  assert.equal(sdk.spans.length, 0);
  assert.match(sentMessages[0].tp, /-00$/);
});

test("someone else's live operation gets a render span under its delivered context, ended by the next paint, and a glass-to-glass figure", () => {
  connection.synced = true;
  const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const at = Date.now() - 40;
  connection.handle({ type: 'op', seq: 5, client: 'ben-client-1', n: 1, tp, eid: 'b1', at, author: 'ben', op: pen('b1') });
  assert.equal(named('render').length, 0, 'not painted yet');
  const paintedAt = performance.now();
  connection.telemetry.painted(paintedAt);
  const [render] = named('render');
  assert.equal(render.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(render.parentSpanId, '00f067aa0ba902b7');
  assert.equal(render.attributes['sharedcanvas.element.id'], 'b1');
  assert.equal(render.attributes['sharedcanvas.seq'], 5);
  assert.ok(render.startTime <= render.endTime);
  const [glass] = sdk.histograms['sharedcanvas.board.glass_to_glass'];
  assert.ok(glass.value >= 40 && glass.value < 5000, `glass-to-glass ${glass.value} ms`);
  connection.telemetry.painted(performance.now());
  assert.equal(named('render').length, 1, 'each delivery is rendered once');
});

test('a replay, an unsampled delivery and a time from a clock far off record nothing', () => {
  const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  connection.handle({ type: 'op', seq: 5, client: 'ben-client-1', n: 1, tp, author: 'ben', op: pen('b1') }); // before 'synced'
  connection.synced = true;
  connection.handle({ type: 'op', seq: 6, client: 'ben-client-1', n: 2, tp: tp.replace(/-01$/, '-00'), author: 'ben', op: pen('b2') });
  connection.handle({ type: 'op', seq: 7, client: 'ben-client-1', n: 3, tp, at: Date.now() + 3_600_000, author: 'ben', op: pen('b3') });
  connection.telemetry.painted(performance.now());
  assert.deepEqual(named('render').map(s => s.attributes['sharedcanvas.seq']), [7]);
  assert.equal(sdk.histograms['sharedcanvas.board.glass_to_glass'], undefined);
});

test('reconnects are counted when the page is live again, and the unsaved gauges follow the connection', () => {
  for (const state of ['connecting', 'live', 'reconnecting', 'live']) connection.setState(state);
  connection.send(pen('s1'), connection.newTrace('draw', { open: true }));
  connection.setState('live');
  assert.equal(sdk.counters['sharedcanvas.board.reconnects'], 1);
  const observed = [];
  sdk.gauges['sharedcanvas.board.unsaved']({ observe: value => observed.push(value) });
  sdk.gauges['sharedcanvas.board.unsaved.operations']({ observe: value => observed.push(value) });
  assert.deepEqual(observed, [1, 1]);
});

test('without a collector, traces still get W3C ids and nothing is recorded', () => {
  const off = new BoardTelemetry(null, { boardId: 'b'.repeat(32) });
  const trace = off.trace('draw', { sampled: true, open: true });
  assert.match(trace.id, /^[0-9a-f]{32}$/);
  const tp = off.sent(1, pen('s1'), trace);
  assert.equal(TRACEPARENT.exec(tp)[1], trace.id);
  off.delivered({ tp, seq: 1, op: pen('s1') }, 0);
  off.painted(1);
  off.state({ state: 'live', unsaved: 0, strokes: 0 });
  trace.end();
  assert.equal(off.enabled, false);
});
