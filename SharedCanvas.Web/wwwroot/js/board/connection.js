// The connection to the realtime service (docs/protocol.md): token, socket, hello, resend of
// unacknowledged operations, in-band token renewal, reconnect with backoff and jitter, and telling offline
// and silent sockets apart from live ones. Where unsent operations are kept is pending-store.js.
// (Somewhat over 300 lines, on purpose: the session's states — connecting, live, offline, ended — and what
// each server message does to them are easier to check against the protocol when they are read together.)

import { PendingStore } from './pending-store.js';
import { BoardTelemetry } from './telemetry.js';

const RESUMABLE = new Set([1001, 1006, 1011, 1012, 1013, 4401]);

// A live socket is asked for a pong when nothing came for KEEPALIVE_MS; one that stays silent for
// SILENCE_MS (a network that went away without closing it) is given up and reconnected.
const KEEPALIVE_MS = 10_000;
const SILENCE_MS = 25_000;
const FINAL = new Set([1003, 1007, 1009, 4403, 4404]);

function randomId(length = 16) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, b => alphabet[b & 63]).join('');
}

export class BoardConnection extends EventTarget {
  /**
   * @param {{ boardId: string, tokenUrl: string, antiforgery: string, model: import('./model.js').BoardModel, telemetry?: BoardTelemetry }} options
   */
  constructor({ boardId, tokenUrl, antiforgery, model, telemetry }) {
    super();
    this.telemetry = telemetry ?? new BoardTelemetry(null, { boardId });
    this.boardId = boardId;
    this.tokenUrl = tokenUrl;
    this.antiforgery = antiforgery;
    this.model = model;
    this.store = new PendingStore(boardId);

    this.client = null;
    this.nextN = 1;
    this.unacked = [];                         // [{ n, op, tp?, at? }] in n order
    this.unconfirmed = [];                     // operations the server could not tell were stored (kept, not resent)

    this.state = 'connecting';
    this.socket = null;
    this.attempt = 0;
    this.refreshTimer = 0;
    this.reconnectTimer = 0;
    this.stopped = false;
    this.seqByN = new Map();          // own operation number → its sequence number, once known
    this.seqWaiters = new Map();      // operation number → resolvers waiting for it
    this.synced = false;
    this.helloSent = false;
    this.saveQueued = false;

    this.keepAlive = { interval: KEEPALIVE_MS, silence: SILENCE_MS };
    this.lastHeard = 0;
    this.lastPing = 0;

    addEventListener('pagehide', () => this.persist());
    addEventListener('online', () => { if (this.state === 'offline') this.connectSoon(0); });
    // The browser knows it has no network: say so at once, not a green "Live" over a dead socket.
    addEventListener('offline', () => this.lost());
  }

  get unsavedCount() {
    return this.unacked.length + this.unconfirmed.length;
  }

  /**
   * Unsaved work as a person counts it: strokes and actions, not operations. Every operation of one stroke
   * (its add, point batches and end) carries the stroke's trace id; an operation without one counts alone.
   */
  get unsavedStrokes() {
    const strokes = new Set();
    let loose = 0;
    for (const entries of [this.unacked, this.unconfirmed]) {
      for (const entry of entries) {
        if (entry.tp) strokes.add(entry.tp.split('-')[1]);
        else loose++;
      }
    }
    return strokes.size + loose;
  }

  /**
   * Takes up a session for the board (its client id and unacknowledged operations: see PendingStore.take),
   * then connects.
   */
  async start() {
    const saved = await this.store.take(() => ({ client: randomId(), nextN: 1, pending: [], unconfirmed: [] }));
    this.client = saved.client;
    this.nextN = saved.nextN;
    this.unacked = saved.pending;
    this.unconfirmed = saved.unconfirmed ?? [];
    for (const p of [...this.unconfirmed, ...this.unacked].sort((a, b) => a.n - b.n)) this.model.addPending(p.n, p.op);
    this.persist();
    this.emitState();
    setInterval(() => this.checkAlive(), 250);
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.refreshTimer);
    clearTimeout(this.reconnectTimer);
    this.socket?.close(1000, 'leaving');
  }

  /**
   * A trace for a new stroke or action (telemetry.js `trace`), sampled as the server asks
   * (welcome.traceSampleRatio): every operation sent in it is part of one trace in the dashboard.
   */
  newTrace(name = 'action', options = {}) {
    return this.telemetry.trace(name, { ...options, sampled: Math.random() < (this.traceSampleRatio ?? 1) });
  }

  /**
   * Sends one operation: applied locally at once, kept until the server acknowledges it. With a `trace`
   * (from `newTrace`), it carries a W3C traceparent in that trace. `at` is when the person's input that it
   * carries happened (Unix ms; now if absent), for the receivers' glass-to-glass latency.
   */
  send(op, trace, at = Date.now()) {
    if (trace?.sampled && op.k === 'add' && this.lastTrace?.id !== trace.id) {
      // The trace of the person's latest stroke or action, for the diagnostics panel.
      this.lastTrace = { id: trace.id };
      this.dispatchEvent(new CustomEvent('trace', { detail: this.lastTrace }));
    }
    const n = this.nextN++;
    const tp = this.telemetry.sent(n, op, trace);
    const entry = tp ? { n, op, tp, at: Math.round(at) } : { n, op, at: Math.round(at) };
    this.unacked.push(entry);
    this.model.addPending(n, op);
    this.persistSoon();
    if (this.helloSent) this.transmit(entry);
    this.emitState();
    return n;
  }

  /** The pointer (board coordinates, or null when it left) and, if given, the visible rectangle [x, y, w, h]. */
  sendCursor(x, y, view) {
    if (!this.synced) return;
    const message = { type: 'cursor', x, y };
    if (view) [message.vx, message.vy, message.vw, message.vh] = view;
    this.raw(message);
  }

  transmit(entry) {
    const message = { type: 'op', n: entry.n, op: entry.op };
    if (entry.tp) message.tp = entry.tp;
    if (entry.at) message.at = entry.at;
    this.raw(message);
  }

  raw(message) {
    if (this.socket?.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
    }
  }

  async fetchToken() {
    const response = await fetch(this.tokenUrl, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'RequestVerificationToken': this.antiforgery },
    });
    if (response.status === 401 || response.status === 403 || response.status === 404) {
      const error = new Error(`token refused (${response.status})`);
      error.final = true;
      throw error;
    }
    if (!response.ok) throw new Error(`token request failed (${response.status})`);
    return response.json();
  }

  async connect() {
    if (this.stopped) return;
    if (navigator.onLine === false) {
      this.setState('offline'); // the 'online' event reconnects
      return;
    }
    // After a silent socket the page says "Offline" until a socket is live again.
    this.setState(this.silent ? 'offline' : this.attempt === 0 ? 'connecting' : 'reconnecting');
    let token;
    try {
      token = await this.fetchToken();
    } catch (error) {
      if (error.final) {
        this.end('withdrawn', 'Access withdrawn');
        return;
      }
      this.scheduleReconnect();
      return;
    }

    // The token travels as an offered subprotocol, never in the URL (protocol §1); the server selects the
    // protocol name alone.
    const socket = new WebSocket(token.url, ['sharedcanvas.v1', `access_token.${token.accessToken}`]);
    this.socket = socket;
    this.lastHeard = performance.now();
    this.synced = false;
    this.helloSent = false;

    socket.addEventListener('open', () => {
      // batch: the server may put several messages in one frame, as an array (protocol §2).
      const hello = { type: 'hello', client: this.client, batch: true };
      if (this.model.seq > 0) hello.since = this.model.seq;
      socket.send(JSON.stringify(hello));
      this.helloSent = true;
      // Everything not yet acknowledged is sent again; the server recognises what it already holds.
      for (const entry of this.unacked) this.transmit(entry);
    });
    socket.addEventListener('message', event => this.receive(event.data));
    socket.addEventListener('close', event => this.closed(socket, event));
  }

  receive(data) {
    this.lastHeard = performance.now();
    let parsed;
    try {
      parsed = JSON.parse(data);
    } catch {
      return;
    }

    if (Array.isArray(parsed)) {
      // A batch (protocol §2): each message as if it had come alone; one that fails does not stop the rest.
      for (const message of parsed) {
        try {
          this.handle(message);
        } catch (error) {
          reportError(error);
        }
      }
    } else {
      this.handle(parsed);
    }
  }

  handle(message) {
    switch (message.type) {
      case 'welcome':
        this.model.me = message.me;
        this.telemetry.user = message.me?.user ?? null;
        this.traceSampleRatio = message.traceSampleRatio ?? 1;
        this.scheduleRefresh(message.expiresAt);
        this.dispatchEvent(new CustomEvent('welcome', { detail: message }));
        break;
      case 'snapshot':
        this.model.loadSnapshot(message.seq, message.elements);
        break;
      case 'op':
        // Our own operation, seen in a replay: it is in the log. A client id is bound to one user on the
        // server; the author is checked here too, so that nobody else's operation can pass for ours.
        if (message.client === this.client && message.author === this.model.me?.user) {
          this.learnSeq(message.n, message.seq);
          this.telemetry.settled(message.n, message.seq);
          this.acknowledge(message.n);
          this.model.forgetPending(message.n);
        } else if (this.synced) {
          this.telemetry.delivered(message, performance.now());
        }
        this.model.applyConfirmed(message.seq, message.op, message.author);
        break;
      case 'ack':
        // A duplicate is an operation the server proves it stored (with its seq when it still keeps it).
        this.telemetry.settled(message.n, message.seq);
        if (message.dup) {
          this.learnSeq(message.n, message.seq);
          this.acknowledge(message.n);
          this.model.forgetPending(message.n);
        } else {
          this.learnSeq(message.n, message.seq);
          this.acknowledge(message.n);
          this.model.confirmOwn(message.n, message.seq);
        }
        break;
      case 'synced':
        this.synced = true;
        this.attempt = 0;
        this.lastHeard = this.lastPing = performance.now();
        this.silent = false;
        this.setState('live');
        break;
      case 'auth.ok':
        this.scheduleRefresh(message.expiresAt);
        break;
      case 'error':
        if (typeof message.n === 'number' && message.code === 'unknown_op') {
          // The server cannot tell whether this (very old) operation was stored: stop resending it, but keep
          // it, and its effect on the page, among the changes not known to be saved.
          this.telemetry.settled(message.n, null, message.code);
          this.setAside(message.n);
        } else if (typeof message.n === 'number') {
          this.telemetry.settled(message.n, null, message.code);
          // The server refused operation n and will never apply it: stop resending it (a resend would be
          // taken for a duplicate of a later operation) and undo its local effect.
          this.learnSeq(message.n, null);
          this.acknowledge(message.n);
          this.model.forgetPending(message.n);
        }
        this.dispatchEvent(new CustomEvent('servererror', { detail: message }));
        break;
      default:
        this.dispatchEvent(new CustomEvent(message.type, { detail: message }));
        break;
    }
  }

  /** The sequence number of own operation `n`: at once if known, else when its acknowledgement arrives. */
  seqOf(n) {
    if (this.seqByN.has(n)) return Promise.resolve(this.seqByN.get(n));
    return new Promise(resolve => {
      const waiting = this.seqWaiters.get(n) ?? [];
      waiting.push(resolve);
      this.seqWaiters.set(n, waiting);
    });
  }

  learnSeq(n, seq) {
    if (seq === undefined) seq = null;
    if (this.seqByN.has(n) && seq === null) return;
    this.seqByN.set(n, seq);
    for (const resolve of this.seqWaiters.get(n) ?? []) resolve(seq);
    this.seqWaiters.delete(n);
  }

  /** Moves operation `n` from those to resend to those whose fate is unknown (counted as unsaved). */
  setAside(n) {
    const index = this.unacked.findIndex(p => p.n === n);
    if (index < 0) return;
    this.unconfirmed.push(...this.unacked.splice(index, 1));
    this.persistSoon();
    this.emitState();
  }

  acknowledge(n) {
    const index = this.unacked.findIndex(p => p.n === n);
    if (index >= 0) {
      this.unacked.splice(index, 1);
      this.persistSoon();
      this.emitState();
    }
  }

  /** Forgets the current socket: nothing more is sent on it, and its token is not renewed. */
  detach() {
    this.socket = null;
    this.synced = false;
    this.helloSent = false;
    clearTimeout(this.refreshTimer);
  }

  closed(socket, event) {
    if (socket !== this.socket) return;
    this.detach();
    if (this.stopped) return;
    if (event.code === 4404) {
      this.end('deleted', 'Board deleted');
      return;
    }
    if (event.code === 4403) {
      this.end('withdrawn', 'Access withdrawn');
      return;
    }
    if (FINAL.has(event.code) || (!RESUMABLE.has(event.code) && event.code >= 4000)) {
      this.end('refused', 'The connection was refused.');
      return;
    }
    this.scheduleReconnect();
  }

  /** Pings a quiet live socket; gives up one that stayed silent (state "Offline", then reconnect). */
  checkAlive() {
    if (!this.socket) return;
    const now = performance.now();
    if (now - this.lastHeard > this.keepAlive.silence) {
      // Silent since the last message, or since the socket was opened (a sync that never comes).
      this.lost();
    } else if (this.synced && now - this.lastHeard > this.keepAlive.interval && now - this.lastPing > this.keepAlive.interval) {
      this.lastPing = now;
      this.raw({ type: 'ping', t: Math.round(now) });
    }
  }

  /** The network is gone (the browser says so, or the socket went silent): show it, and reconnect when it can. */
  lost() {
    if (this.stopped) return;
    this.silent = true;
    this.setState('offline');
    const socket = this.socket;
    if (!socket) return;
    this.detach();
    try {
      socket.close(1000, 'silent');
    } catch { /* already closing */ }
    this.attempt++;
    this.connectSoon(navigator.onLine === false ? 1000 : 250);
  }

  scheduleReconnect() {
    this.attempt++;
    // 0.25 s doubling up to 10 s, with ±50 % jitter so that a restarted server is not stampeded.
    const base = Math.min(10_000, 250 * 2 ** (this.attempt - 1));
    const delay = base * (0.5 + Math.random());
    this.setState(navigator.onLine === false || this.silent ? 'offline' : 'reconnecting');
    this.connectSoon(delay);
  }

  connectSoon(delay) {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  /** Renews the token in-band a minute before it expires (or at 80 % of its life if shorter). */
  scheduleRefresh(expiresAt) {
    clearTimeout(this.refreshTimer);
    const remaining = expiresAt * 1000 - Date.now();
    const delay = Math.max(5_000, Math.min(remaining - 60_000, remaining * 0.8));
    this.refreshTimer = setTimeout(async () => {
      try {
        const token = await this.fetchToken();
        this.raw({ type: 'auth', token: token.accessToken });
      } catch (error) {
        if (!error.final) this.scheduleRefresh(expiresAt);
      }
    }, delay);
  }

  /**
   * The end of this page's session with the board: `why` is 'withdrawn' (removed, account gone, or no token
   * any more), 'deleted' (the board is gone) or 'refused' (the server would not take this client's messages).
   * Nothing reconnects; what was not acknowledged stays listed, for the page to offer as a file.
   */
  end(why, reason) {
    this.ended = why;
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.setState('closed', reason);
  }

  setState(state, reason) {
    this.state = state;
    this.reason = reason ?? null;
    this.emitState();
  }

  emitState() {
    const detail = { state: this.state, unsaved: this.unsavedCount, strokes: this.unsavedStrokes, reason: this.reason, ended: this.ended ?? null };
    this.telemetry.state(detail);
    this.dispatchEvent(new CustomEvent('state', { detail }));
  }

  persistSoon() {
    if (this.saveQueued) return;
    this.saveQueued = true;
    setTimeout(() => { this.saveQueued = false; this.persist(); }, 200);
  }

  persist() {
    this.store.save({ client: this.client, nextN: this.nextN, pending: this.unacked, unconfirmed: this.unconfirmed });
  }
}
