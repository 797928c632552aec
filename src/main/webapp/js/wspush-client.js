// wspush-client.js: a dependency-free client for the `wspush.v1` WebSocket protocol (docs/PROTOCOL.md).
// Plain ES module, served as-is from the WAR; also runs in Node 20+ when a WebSocketImpl (e.g. `ws`) is passed.

const SUBPROTOCOL = 'wspush.v1';
const REFRESH_BEFORE_EXP_MS = 60_000; // fetch a new token this long before the current one expires ...
const REFRESH_LIFETIME_SHARE = 0.2; // ... or, for short-lived tokens, when this share of its lifetime is left
const MIN_REFRESH_RETRY_MS = 250; // a failed refresh is not retried closer to exp than this (4005 then reconnects)
const FALLBACK_TIMEOUT_MS = 60_000; // dead-connection timeout until the server has told us its heartbeat
const SHUTDOWN_JITTER_MS = 5_000; // spread reconnects after a 1001 without the server's hint (e.g. the container's own)
const MAX_SHUTDOWN_SPREAD_MS = 300_000; // cap on the server's reconnect-spread-ms hint (its setting's maximum)
const MAX_TIMER_MS = 2 ** 31 - 1; // setTimeout overflows (fires at once) above this
const LOCAL_TIMEOUT_CODE = 4000; // close code the client uses when it gives up on a silent connection
const RESUME_REQUIRED_CODE = 4004; // the server missed pushes for this connection: resume from history at once
const RESUME_JITTER_MS = 1_000; // spread of those immediate resumes
const TOKEN_EXPIRED_CODE = 4005; // the connection's token expired without a refresh: new token, then reconnect

/**
 * Events: `state` {state, attempt, delayMs, code, reason}, `message` {message, event, ts, offset, epoch},
 * `resume` {recovered, missed}, `refreshed` {exp}, `error` {code, reason, error}. See docs/CLIENT.md.
 * Acknowledges each message with an offset (receipts, docs/PROTOCOL.md) per the `ack` option.
 */
export class WspushClient extends EventTarget {
  #url;
  #getToken;
  #event;
  #heartbeatTimeoutMs;
  #backoff;
  #WS;
  #ping;

  #state = 'closed';
  #running = false;
  #gen = 0; // bumped by start/stop so late async work (getToken, timers) from an older run is ignored
  #ws = null; // the current socket; frames/closes from any other socket are ignored
  #failures = 0; // consecutive failed attempts: drives the backoff, reset once a connection proves stable
  #registeredAt = 0;
  #timeoutMs = FALLBACK_TIMEOUT_MS;

  #token = null;
  #tokenExpMs = 0; // 0 = unknown (no proactive refresh)
  #tokenLeadMs = 0; // how long before #tokenExpMs the token is refreshed
  #connToken = null; // the token the current connection holds (registered or refreshed with)
  #sentToken = null; // the token sent on the current socket and not yet confirmed (registration or refresh)
  #refreshFailures = 0; // consecutive failed proactive refreshes: their retry backoff
  #tokenStale = null; // getToken reason to use before the next connect, set when the server refused the token
  #tokenPromise = null; // the one getToken call in flight, shared by its callers

  #position = null; // {offset, epoch} of the last message seen: sent as `since` when reconnecting

  #ack; // 'after-handlers' | 'on-receive' | false
  #handlerThrew = null; // {threw} while a `message` event is dispatched
  #wrapped = new WeakMap(); // the application's `message` listener -> the wrapper that notices it throwing

  #retryTimer;
  #idleTimer;
  #refreshTimer;

  constructor({ url, getToken, event = null, heartbeatTimeoutMs, backoff = {}, WebSocketImpl, ping = true, since = null,
    ack = 'after-handlers' } = {}) {
    super();
    if (ack !== 'after-handlers' && ack !== 'on-receive' && ack !== false) {
      throw new TypeError("WspushClient: ack must be 'after-handlers', 'on-receive' or false");
    }
    this.#ack = ack;
    if (typeof getToken !== 'function') throw new TypeError('WspushClient: getToken must be an async function');
    // Default: the `ws` endpoint next to this module's folder, so any context path works.
    this.#url = toWsUrl(url ?? new URL('../ws', import.meta.url));
    this.#getToken = getToken;
    this.#event = event || null;
    this.#heartbeatTimeoutMs = heartbeatTimeoutMs > 0 ? heartbeatTimeoutMs : null;
    this.#backoff = { initialMs: 1_000, maxMs: 30_000, factor: 2, resetAfterMs: 10_000, ...backoff };
    this.#WS = WebSocketImpl ?? globalThis.WebSocket;
    this.#ping = ping;
    if (validPosition(since)) this.#position = { offset: since.offset, epoch: since.epoch };
  }

  /** {offset, epoch} of the last message received, or null: what the client resumes from (store it to resume
   *  across page loads and pass it back as the `since` option). */
  get position() {
    return this.#position && { ...this.#position };
  }

  // `message` listeners are wrapped so the client knows whether one threw (then the message is not acknowledged);
  // the error still propagates as it would from any listener.
  addEventListener(type, listener, options) {
    if (type !== 'message' || listener == null) return super.addEventListener(type, listener, options);
    let w = this.#wrapped.get(listener);
    if (!w) {
      w = (e) => {
        try {
          return typeof listener === 'function' ? listener.call(this, e) : listener.handleEvent(e);
        } catch (error) {
          if (this.#handlerThrew) this.#handlerThrew.threw = true;
          throw error;
        }
      };
      this.#wrapped.set(listener, w);
    }
    return super.addEventListener(type, w, options);
  }

  removeEventListener(type, listener, options) {
    const w = type === 'message' && listener != null ? this.#wrapped.get(listener) : null;
    return super.removeEventListener(type, w ?? listener, options);
  }

  /** connecting | registering | connected | reconnecting | closed */
  get state() {
    return this.#state;
  }

  get url() {
    return this.#url;
  }

  /** Connects and keeps reconnecting until stop(). No-op while already running. */
  start() {
    if (this.#running) return;
    if (typeof this.#WS !== 'function') throw new Error('WspushClient: no WebSocket implementation, pass WebSocketImpl');
    this.#running = true;
    this.#gen++;
    this.#failures = 0;
    this.#scheduleRefresh();
    this.#connect();
  }

  /** Closes with 1000 and stops reconnecting. */
  stop() {
    this.#halt(1000, 'client stop');
  }

  #halt(code, reason) {
    if (!this.#running) return;
    this.#running = false;
    this.#gen++;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#refreshTimer);
    const ws = this.#ws;
    this.#ws = null;
    if (ws) tryClose(ws, 1000, reason);
    this.#setState('closed', { code, reason });
  }

  async #connect() {
    const gen = this.#gen;
    this.#setState('connecting');
    let token;
    try {
      token = await this.#currentToken();
    } catch (error) {
      if (gen !== this.#gen) return;
      const reason = `getToken failed: ${error?.message ?? error}`;
      this.#emitError({ reason, error });
      this.#retry(this.#backoffDelay(), { reason });
      return;
    }
    if (gen !== this.#gen) return;
    if (!token) {
      // The application has no token to give (e.g. signed out): nothing to reconnect with.
      this.#halt(null, 'no token');
      return;
    }

    let ws;
    try {
      ws = new this.#WS(this.#url, [SUBPROTOCOL]);
    } catch (error) {
      const reason = `cannot open WebSocket: ${error?.message ?? error}`;
      this.#emitError({ reason, error });
      this.#retry(this.#backoffDelay(), { reason });
      return;
    }
    this.#ws = ws;
    this.#timeoutMs = this.#heartbeatTimeoutMs ?? FALLBACK_TIMEOUT_MS;
    this.#armWatchdog(); // also bounds a handshake or registration that never completes

    ws.onopen = () => {
      if (ws !== this.#ws) return;
      this.#setState('registering');
      try {
        const since = this.#position; // resume: the server replays what we missed, or says it cannot
        this.#sentToken = token;
        ws.send(JSON.stringify(since ? { token, event: this.#event, since } : { token, event: this.#event }));
      } catch {
        // the socket is already closing; its close event drives the reconnect
      }
    };
    ws.onmessage = (e) => {
      if (ws === this.#ws) this.#onFrame(e.data);
    };
    ws.onclose = (e) => {
      if (ws === this.#ws) this.#onDrop(e.code, e.reason);
    };
    ws.onerror = () => {}; // a close event always follows, and carries the code
  }

  #onFrame(data) {
    this.#armWatchdog(); // any frame proves the connection is alive
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return; // not an envelope; nothing in wspush.v1 sends such frames
    }
    switch (frame?.type) {
      case 'registered':
        this.#registeredAt = Date.now();
        this.#timeoutMs = this.#heartbeatTimeoutMs ?? (frame.heartbeat > 0 ? frame.heartbeat * 2_500 : FALLBACK_TIMEOUT_MS);
        this.#armWatchdog();
        this.#connToken = this.#sentToken;
        this.#setState('connected');
        this.#sendRefresh(); // a token fetched while registering goes out at once
        if (typeof frame.recovered === 'boolean') {
          // Missed messages (when recovered) follow as ordinary `message` events; when not, the application should
          // reload its state from its own backend.
          this.dispatchEvent(
            new CustomEvent('resume', { detail: { recovered: frame.recovered, missed: frame.missed ?? 0 } })
          );
        }
        break;
      case 'message': {
        const offset = Number.isSafeInteger(frame.offset) && frame.offset > 0 ? frame.offset : null;
        const epoch = offset && typeof frame.epoch === 'string' ? frame.epoch : null;
        if (offset && epoch) {
          const last = this.#position;
          // The server delivers each offset once; this guard only keeps a misbehaving path from showing one twice.
          if (last && last.epoch === epoch && offset <= last.offset) break;
          this.#position = { offset, epoch };
        }
        const ws = this.#ws;
        if (offset && this.#ack === 'on-receive') this.#sendAck(ws, offset);
        const outer = this.#handlerThrew; // a handler may dispatch another message (a fake server in tests)
        const handlers = (this.#handlerThrew = { threw: false });
        try {
          this.dispatchEvent(
            new CustomEvent('message', {
              detail: { message: frame.message, event: frame.event ?? null, ts: frame.ts, offset, epoch },
            })
          );
        } finally {
          this.#handlerThrew = outer;
        }
        if (offset && this.#ack === 'after-handlers' && !handlers.threw) this.#sendAck(ws, offset);
        break;
      }
      case 'refreshed': {
        // The open connection now holds the token sent in the refresh frame; nothing else changes (no state event).
        this.#connToken = this.#sentToken;
        const exp = Number.isSafeInteger(frame.exp) && frame.exp > 0 ? frame.exp * 1000 : null;
        this.dispatchEvent(new CustomEvent('refreshed', { detail: { exp } }));
        break;
      }
      default: // ping, pong and unknown types only count as liveness
    }
  }

  // A receipt: the pusher may be waiting for it. Sent on the socket that delivered the message, if still open.
  #sendAck(ws, offset) {
    if (!ws || ws !== this.#ws) return;
    try {
      ws.send(JSON.stringify({ type: 'ack', offset }));
    } catch {
      // closing already: the pusher's wait counts this device as not acknowledged
    }
  }

  // Two stages: after half the timeout of silence send a ping (the server answers with a pong, so an explicit
  // heartbeatTimeoutMs shorter than the server's heartbeat still works); after the full timeout give up.
  #armWatchdog() {
    clearTimeout(this.#idleTimer);
    const ws = this.#ws;
    const half = this.#timeoutMs / 2;
    this.#idleTimer = setTimeout(() => {
      if (ws !== this.#ws) return;
      if (this.#ping && this.#state === 'connected') {
        try {
          ws.send('{"type":"ping"}');
        } catch {
          // closing already; the close event or the second stage handles it
        }
      }
      this.#idleTimer = setTimeout(() => {
        if (ws !== this.#ws) return;
        // A dead TCP connection may take minutes to report its close: drop it now and reconnect.
        this.#onDrop(LOCAL_TIMEOUT_CODE, 'heartbeat timeout');
        tryClose(ws, LOCAL_TIMEOUT_CODE, 'heartbeat timeout');
      }, half);
    }, half);
  }

  #onDrop(code, reason) {
    const wasConnected = this.#state === 'connected';
    if (wasConnected && Date.now() - this.#registeredAt >= this.#backoff.resetAfterMs) this.#failures = 0;
    if (!reason && code === 1006) reason = this.#state === 'connecting' ? 'connection failed' : 'connection lost';
    reason ??= '';
    this.#ws = null;
    this.#connToken = this.#sentToken = null;
    clearTimeout(this.#idleTimer);

    // The token is no good any more: ask the application for a new one before reconnecting.
    if (code === 4002) this.#tokenStale = 'disconnected';
    else if (code === TOKEN_EXPIRED_CODE) this.#tokenStale = 'expired';
    else if (code === 1008 && /token/i.test(reason)) this.#tokenStale = 'rejected';

    if (code !== 1000 && code !== 1001 && code !== RESUME_REQUIRED_CODE && code !== TOKEN_EXPIRED_CODE) {
      this.#emitError({ code, reason });
    }
    // A node going away is not our fault: reconnect (to another node) soon, at a random moment within the window
    // the server names ("...; reconnect-spread-ms=N"), so the clients of a stopping node do not all land at once.
    // A 4004 (the server asks us to resume from history) and a 4005 (the token expired before it was refreshed:
    // a new one is fetched first) reconnect at once, with a little jitter, and resume from the last offset.
    let delay = this.#backoffDelay();
    if (wasConnected && code === 1001) delay = Math.random() * shutdownSpreadMs(reason);
    else if (wasConnected && (code === RESUME_REQUIRED_CODE || code === TOKEN_EXPIRED_CODE)) {
      delay = Math.random() * RESUME_JITTER_MS;
    }
    this.#retry(delay, { code, reason });
  }

  // Full jitter: uniform in [0, min(maxMs, initialMs * factor^failures)].
  #backoffDelay() {
    const { initialMs, maxMs, factor } = this.#backoff;
    return Math.random() * Math.min(maxMs, initialMs * factor ** this.#failures);
  }

  #retry(delayMs, { code = null, reason = null }) {
    if (!this.#running) return; // an error listener may have called stop()
    this.#failures++;
    delayMs = Math.round(delayMs);
    const gen = this.#gen;
    this.#retryTimer = setTimeout(() => gen === this.#gen && this.#connect(), delayMs);
    this.#setState('reconnecting', { delayMs, code, reason });
  }

  async #currentToken() {
    const reason = this.#tokenStale ?? (!this.#token ? 'initial' : this.#expiresSoon() ? 'expiring' : null);
    if (reason) await this.#refreshToken(reason);
    return this.#token;
  }

  #refreshToken(reason) {
    if (!this.#tokenPromise) {
      // Promise.resolve().then(...) turns a synchronous throw in getToken into a rejection too.
      this.#tokenPromise = Promise.resolve()
        .then(() => this.#getToken({ reason }))
        .then((token) => this.#setToken(token))
        .finally(() => {
          this.#tokenPromise = null;
        });
    }
    return this.#tokenPromise;
  }

  #setToken(token) {
    this.#token = token || null;
    this.#tokenStale = null;
    this.#refreshFailures = 0;
    this.#tokenExpMs = jwtExpMs(this.#token);
    // 60 s before exp, or when a fifth of the lifetime is left for tokens shorter than 5 minutes.
    // Whole ms, so the due time is one a timer can hit (a fractional one made every refresh timer fire early).
    this.#tokenLeadMs = Math.ceil(
      Math.min(REFRESH_BEFORE_EXP_MS, Math.max(0, this.#tokenExpMs - Date.now()) * REFRESH_LIFETIME_SHARE)
    );
    this.#scheduleRefresh();
  }

  #refreshDueInMs() {
    return this.#tokenExpMs - this.#tokenLeadMs - Date.now();
  }

  #expiresSoon() {
    return this.#tokenExpMs > 0 && this.#tokenExpMs - Date.now() <= this.#tokenLeadMs;
  }

  // Refresh ahead of expiry: the new token goes to the server on the open connection (`refresh` frame), which
  // keeps it past the old token's exp without a reconnect, and a reconnect never has to present an expired token.
  #scheduleRefresh(delay = this.#refreshDueInMs()) {
    clearTimeout(this.#refreshTimer);
    if (!this.#running || !this.#tokenExpMs) return;
    if (delay <= 0) return; // already due: the next connect refreshes it
    const gen = this.#gen;
    this.#refreshTimer = setTimeout(() => {
      if (!this.#running) return;
      // Woke early (a browser cuts the delay to whole ms; timers clamp): re-arm, and with at least 1 ms, since the
      // clock may have ticked since #expiresSoon read it and a delay of 0 would mean no refresh at all (then 4005).
      if (!this.#expiresSoon()) return this.#scheduleRefresh(Math.max(1, this.#refreshDueInMs()));
      this.#refreshToken('expiring').then(
        () => {
          if (gen !== this.#gen) return;
          // No token any more (e.g. signed out): stop, as on any other getToken call, instead of keeping the
          // connection until it drops and then asking again as if it were the first connect.
          if (!this.#token) return this.#halt(null, 'no token');
          this.#sendRefresh();
        },
        (error) => {
          if (gen !== this.#gen) return;
          this.#emitError({ reason: `getToken failed: ${error?.message ?? error}`, error });
          this.#retryRefresh();
        }
      );
    }, Math.min(delay, MAX_TIMER_MS));
  }

  // A failed proactive refresh leaves the connection alone and tries again with backoff, while there is time
  // before exp; after that the server closes with 4005 and the reconnect asks for a token itself.
  #retryRefresh() {
    const left = this.#tokenExpMs - Date.now();
    const delay = Math.min(this.#refreshBackoffDelay(), left / 2);
    if (delay < MIN_REFRESH_RETRY_MS) return;
    this.#refreshFailures++;
    this.#scheduleRefresh(delay);
  }

  #refreshBackoffDelay() {
    const { initialMs, maxMs, factor } = this.#backoff;
    const cap = Math.min(maxMs, initialMs * factor ** this.#refreshFailures);
    return cap / 2 + (Math.random() * cap) / 2; // half jitter: never a retry at once
  }

  // Hands the current token to the server on the open, registered connection when it holds an older one.
  #sendRefresh() {
    const ws = this.#ws;
    const token = this.#token;
    if (!ws || this.#state !== 'connected' || !token || token === this.#connToken || token === this.#sentToken) return;
    try {
      ws.send(JSON.stringify({ type: 'refresh', token }));
      this.#sentToken = token;
    } catch {
      // closing already; the reconnect presents the new token
    }
  }

  #setState(state, { delayMs = null, code = null, reason = null } = {}) {
    this.#state = state;
    this.dispatchEvent(
      new CustomEvent('state', { detail: { state, attempt: this.#failures, delayMs, code, reason } })
    );
  }

  #emitError({ code = null, reason = null, error = null }) {
    this.dispatchEvent(new CustomEvent('error', { detail: { code, reason, error } }));
  }
}

function validPosition(p) {
  return p != null && Number.isSafeInteger(p.offset) && p.offset >= 0 && typeof p.epoch === 'string';
}

/** The `exp` claim of a JWT in epoch ms, or 0 when absent or unreadable. Not a verification. */
export function jwtExpMs(token) {
  try {
    const b64 = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const exp = JSON.parse(atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, '='))).exp;
    return typeof exp === 'number' && exp > 0 ? exp * 1000 : 0;
  } catch {
    return 0;
  }
}

// Resolves a relative URL against the page and maps http(s) to ws(s).
function toWsUrl(url) {
  const u = new URL(url, globalThis.location?.href);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  return u.href;
}

function tryClose(ws, code, reason) {
  try {
    ws.close(code, reason);
  } catch {
    // already closed
  }
}

/** The reconnect window a 1001 close reason names (`reconnect-spread-ms=N`), else SHUTDOWN_JITTER_MS. */
function shutdownSpreadMs(reason) {
  const m = /(?:^|[;\s])reconnect-spread-ms=(\d{1,9})(?:$|[;\s])/.exec(reason ?? '');
  return m ? Math.min(Number(m[1]), MAX_SHUTDOWN_SPREAD_MS) : SHUTDOWN_JITTER_MS;
}
