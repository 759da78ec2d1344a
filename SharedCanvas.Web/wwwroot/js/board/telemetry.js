// What the board page adds to a stroke's trace, and the metrics it reports (docs/observability.md,
// "The browser's part"). Off unless the site names an OTLP/HTTP collector (the AppHost names the Aspire
// dashboard); then the OpenTelemetry web SDK (lib/browser-telemetry.js, loaded only then) exports:
//
// - a `draw` span (or `move`, `edit`, `delete`…) from the sender's pointer-down to its pointer-up, with a
//   `send <kind>` child per operation, from the moment it is sent to its acknowledgement. The operation
//   carries that child's traceparent, so the server's spans continue the same trace;
// - a `render` span in each receiving page, a child of the delivered operation's trace context, from the
//   message's arrival to the end of the frame that painted it;
// - metrics: glass-to-glass latency (the sender's pointer to this page's paint), reconnects, unsaved work.
//
// Without a collector every method is cheap and records nothing; traces still get random W3C ids so that
// the server's spans of one stroke share one trace.

const MAX_WAITING_PAINT = 2000;   // render spans waiting for a frame (a hidden page paints none)
const GLASS_LIMIT_MS = 60_000;    // beyond this the two machines' clocks disagree, not the network

function randomHex(bytes) {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), b => b.toString(16).padStart(2, '0')).join('');
}

/** Unix milliseconds of a performance.now() (or event.timeStamp) value. */
export const epochOf = performanceTime => performance.timeOrigin + performanceTime;

/** The element an operation is about, for span attributes (as the server tags its own spans). */
function elementOf(op) {
  return op.el?.id ?? op.id ?? (op.ids?.length === 1 ? op.ids[0] : undefined);
}

export class BoardTelemetry {
  /**
   * @param {object|null} sdk what lib/browser-telemetry.js `start` returns (or a test's stand-in); null: off
   * @param {{ boardId: string }} options
   */
  constructor(sdk, { boardId, resourceName = null }) {
    this.sdk = sdk;
    this.boardId = boardId;
    this.resourceName = resourceName; // how the dashboard names this page: service name and instance id
    this.user = null;
    this.sends = new Map();        // own operation number → its `send` span, until acknowledged
    this.waitingPaint = [];        // delivered operations not yet painted: { tp, at, receivedAt, attributes }
    this.lastState = null;
    this.liveBefore = false;
    if (!sdk) return;

    const { meter } = sdk;
    this.glassToGlass = meter.createHistogram('sharedcanvas.board.glass_to_glass', {
      unit: 'ms',
      description: "From the sender's pointer to this page's paint of the same operation (both machines' clocks).",
      advice: { explicitBucketBoundaries: [5, 10, 25, 50, 75, 100, 150, 250, 500, 1000, 2500, 5000, 10000] },
    });
    this.reconnects = meter.createCounter('sharedcanvas.board.reconnects', {
      unit: '{reconnect}',
      description: 'Times this page became live again after it had been live.',
    });
    this.unsaved = { operations: 0, strokes: 0 };
    meter.createObservableGauge('sharedcanvas.board.unsaved', {
      unit: '{stroke}',
      description: 'Strokes and actions on this page that the server has not acknowledged yet.',
    }).addCallback(result => result.observe(this.unsaved.strokes));
    meter.createObservableGauge('sharedcanvas.board.unsaved.operations', {
      unit: '{operation}',
      description: 'Operations on this page that the server has not acknowledged yet.',
    }).addCallback(result => result.observe(this.unsaved.operations));
  }

  /**
   * Loads the SDK and starts exporting, where the page names a collector (data-otlp-endpoint on the board);
   * otherwise, or if it cannot load, telemetry stays off and the board works as before.
   */
  static async start(root, boardId) {
    const endpoint = root.dataset.otlpEndpoint;
    if (!endpoint) return new BoardTelemetry(null, { boardId });
    try {
      const { start } = await import('/lib/browser-telemetry.js');
      const service = root.dataset.otlpServiceName || 'browser';
      const instance = randomHex(8);
      const sdk = start({
        endpoint,
        headers: JSON.parse(root.dataset.otlpHeaders || '{}'),
        attributes: { 'service.name': service, 'service.instance.id': instance },
      });
      addEventListener('pagehide', () => sdk.flush());
      return new BoardTelemetry(sdk, { boardId, resourceName: `${service}-${instance}` });
    } catch (error) {
      console.warn('Browser telemetry is off: its SDK did not load.', error);
      return new BoardTelemetry(null, { boardId });
    }
  }

  get enabled() {
    return this.sdk !== null;
  }

  /**
   * A new trace for one stroke or action: { id, sampled, span, end() }. Sampled ones get a root span named
   * `name` from `startTime` (Unix ms; now if absent). `open` traces (a stroke being drawn, a drag) end when
   * the caller says; others end once the current task has sent their operations.
   */
  trace(name, { sampled, startTime, attributes, open = false }) {
    if (!this.sdk || !sampled) return { id: randomHex(16), sampled, span: null, end() {} };
    const span = this.sdk.startSpan(name, { startTime, attributes: { ...this.tags(), ...attributes } });
    const id = span.spanContext().traceId;
    let ended = false;
    const trace = { id, sampled, span, end: () => { if (!ended) { ended = true; span.end(); } } };
    if (!open) setTimeout(trace.end, 0);
    return trace;
  }

  /** The traceparent operation `n` carries: a `send` span under the trace's root, or a random span id. */
  sent(n, op, trace) {
    if (!trace) return undefined;
    if (!trace.span) return `00-${trace.id}-${randomHex(8)}-${trace.sampled ? '01' : '00'}`;
    const attributes = { ...this.tags(), 'sharedcanvas.op.kind': op.k, 'sharedcanvas.op.n': n };
    const element = elementOf(op);
    if (element) attributes['sharedcanvas.element.id'] = element;
    const span = this.sdk.startSpan(`send ${op.k}`, { parent: this.sdk.traceparent(trace.span), kind: 'client', attributes });
    this.sends.set(n, span);
    return this.sdk.traceparent(span);
  }

  /** Operation `n` is durable at `seq` (or, with `refused`, will never be stored). */
  settled(n, seq, refused) {
    const span = this.sends.get(n);
    if (!span) return;
    this.sends.delete(n);
    if (typeof seq === 'number') span.setAttribute('sharedcanvas.seq', seq);
    if (refused) this.sdk.fail(span, refused);
    span.end();
  }

  /** Someone else's operation arrived live (not in a replay): its render span waits for the next paint. */
  delivered(message, receivedAt) {
    if (!this.sdk || typeof message.tp !== 'string' || !message.tp.endsWith('-01')) return;
    if (this.waitingPaint.length >= MAX_WAITING_PAINT) return;
    const attributes = { ...this.tags(), 'sharedcanvas.op.kind': message.op?.k, 'sharedcanvas.seq': message.seq };
    if (message.eid) attributes['sharedcanvas.element.id'] = message.eid;
    if (message.author) attributes['sharedcanvas.author.id'] = message.author;
    this.waitingPaint.push({ tp: message.tp, at: message.at, receivedAt, attributes });
  }

  /** A frame was painted at `paintedAt` (performance.now()): what arrived before it is on the screen. */
  painted(paintedAt) {
    if (this.waitingPaint.length === 0) return;
    const waiting = this.waitingPaint;
    this.waitingPaint = [];
    const paintedEpoch = epochOf(paintedAt);
    for (const { tp, at, receivedAt, attributes } of waiting) {
      const span = this.sdk.startSpan('render', { parent: tp, kind: 'consumer', startTime: epochOf(receivedAt), attributes });
      span.end(paintedEpoch);
      const glass = paintedEpoch - at;
      if (typeof at === 'number' && glass >= 0 && glass <= GLASS_LIMIT_MS) {
        this.glassToGlass.record(glass, { 'sharedcanvas.op.kind': attributes['sharedcanvas.op.kind'] });
      }
    }
  }

  /** The connection's state changed: counts reconnects and keeps the unsaved figures for the gauges. */
  state({ state, unsaved, strokes }) {
    if (!this.sdk) return;
    this.unsaved = { operations: unsaved, strokes };
    if (state === 'live' && this.lastState !== 'live') {
      if (this.liveBefore) this.reconnects.add(1);
      this.liveBefore = true;
    }
    this.lastState = state;
  }

  tags() {
    const tags = { 'sharedcanvas.board.id': this.boardId };
    if (this.user) tags['enduser.id'] = this.user;
    return tags;
  }
}
