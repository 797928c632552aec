// Unit tests of the browser client with a fake WebSocket and mocked timers: no network, no npm packages.
// Run: node --test src/test/js/
import { test, beforeEach, afterEach, mock } from 'node:test';
import assert from 'node:assert/strict';
import { WspushClient, jwtExpMs } from '../../main/webapp/js/wspush-client.js';

/** Records what the client does; the test plays the server through open/receive/serverClose. */
class FakeWS {
  static all = [];
  constructor(url, protocols) {
    this.url = url;
    this.protocols = protocols;
    this.sent = [];
    this.closedWith = null;
    FakeWS.all.push(this);
  }
  send(data) {
    this.sent.push(JSON.parse(data));
  }
  close(code, reason) {
    this.closedWith = { code, reason };
  }
  open() {
    this.onopen?.({});
  }
  receive(obj) {
    this.onmessage?.({ data: JSON.stringify(obj) });
  }
  serverClose(code, reason = '') {
    this.onclose?.({ code, reason });
  }
  static get last() {
    return FakeWS.all.at(-1);
  }
}

const T0 = Date.UTC(2025, 0, 1); // mocked "now"

function jwt(claims) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}.sig`;
}

// Lets getToken's promise chain settle (setImmediate is not mocked).
const settle = () => new Promise((r) => setImmediate(r));

/** A client on a FakeWS; unless `getToken` is given, tokens numbered `n` that live `tokenSeconds` (default 1 h). */
function makeClient({ tokenSeconds = 3600, ...opts } = {}) {
  const calls = [];
  let n = 0;
  const client = new WspushClient({
    url: 'ws://example.test/app/ws',
    WebSocketImpl: FakeWS,
    getToken: async ({ reason }) => {
      calls.push(reason);
      return jwt({ sub: 'alice', n: ++n, exp: Math.floor(Date.now() / 1000) + tokenSeconds });
    },
    ...opts,
  });
  const states = [];
  const errors = [];
  const messages = [];
  client.addEventListener('state', (e) => states.push(e.detail));
  client.addEventListener('error', (e) => errors.push(e.detail));
  client.addEventListener('message', (e) => messages.push(e.detail));
  return { client, calls, states, errors, messages };
}

/** The refresh frames a socket sent. */
const refreshes = (ws) => ws.sent.filter((f) => f.type === 'refresh');

async function connectAndRegister(heartbeat = 25) {
  await settle();
  const ws = FakeWS.last;
  ws.open();
  ws.receive({ type: 'registered', userId: 'alice', event: null, heartbeat });
  return ws;
}

beforeEach(() => {
  FakeWS.all = [];
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: T0 });
});

afterEach(() => {
  mock.timers.reset();
  mock.method(Math, 'random').mock.restore();
});

test('registers with the subprotocol, the token and the event', async () => {
  const { client, calls, states } = makeClient({ event: 'news' });
  assert.equal(client.state, 'closed');
  client.start();
  assert.equal(client.state, 'connecting');
  await settle();
  const ws = FakeWS.last;
  assert.equal(ws.url, 'ws://example.test/app/ws');
  assert.deepEqual(ws.protocols, ['wspush.v1']);
  assert.deepEqual(calls, ['initial']);
  ws.open();
  assert.equal(client.state, 'registering');
  assert.equal(ws.sent.length, 1);
  assert.equal(ws.sent[0].event, 'news');
  assert.equal(jwtExpMs(ws.sent[0].token), T0 + 3600_000);
  ws.receive({ type: 'registered', userId: 'alice', event: 'news', heartbeat: 25 });
  assert.equal(client.state, 'connected');
  assert.deepEqual(states.map((s) => s.state), ['connecting', 'registering', 'connected']);
  client.stop();
});

test('no event is sent as null; http(s) urls become ws(s)', async () => {
  const { client } = makeClient({ url: 'https://example.test/ctx/ws' });
  assert.equal(client.url, 'wss://example.test/ctx/ws');
  client.start();
  await connectAndRegister();
  assert.equal(FakeWS.last.sent[0].event, null);
  client.stop();
});

test('message envelopes become message events; pings do not', async () => {
  const { client, messages } = makeClient();
  client.start();
  const ws = await connectAndRegister();
  ws.receive({ type: 'ping' });
  ws.receive({ type: 'message', event: 'news', message: 'hi', ts: 123 });
  ws.receive({ type: 'message', message: 'all', ts: 124 });
  assert.deepEqual(messages, [
    { message: 'hi', event: 'news', ts: 123, offset: null, epoch: null },
    { message: 'all', event: null, ts: 124, offset: null, epoch: null },
  ]);
  client.stop();
});

test('remembers the last offset and epoch and resumes with them as since', async () => {
  const { client, messages } = makeClient();
  const resumes = [];
  client.addEventListener('resume', (e) => resumes.push(e.detail));
  client.start();
  let ws = await connectAndRegister();
  assert.equal('since' in ws.sent[0], false, 'nothing to resume from on the first connect');
  assert.equal(client.position, null);
  ws.receive({ type: 'message', event: null, message: 'one', ts: 1, offset: 7, epoch: 'e1' });
  ws.receive({ type: 'message', event: null, message: 'two', ts: 2, offset: 8, epoch: 'e1' });
  assert.deepEqual(client.position, { offset: 8, epoch: 'e1' });
  ws.serverClose(1006);
  mock.timers.tick(60_000); // past the first retry's backoff
  await settle();
  ws = FakeWS.last;
  ws.open();
  assert.deepEqual(ws.sent[0].since, { offset: 8, epoch: 'e1' });
  ws.receive({ type: 'registered', userId: 'alice', event: null, heartbeat: 25, recovered: true, missed: 1 });
  ws.receive({ type: 'message', event: null, message: 'three', ts: 3, offset: 9, epoch: 'e1' });
  ws.receive({ type: 'message', event: null, message: 'three again', ts: 3, offset: 9, epoch: 'e1' }); // never shown twice
  assert.deepEqual(resumes, [{ recovered: true, missed: 1 }]);
  assert.deepEqual(messages.map((m) => [m.message, m.offset, m.epoch]), [['one', 7, 'e1'], ['two', 8, 'e1'], ['three', 9, 'e1']]);
  client.stop();
});

test('a resume the server cannot recover is reported; a new epoch is followed', async () => {
  const { client, messages } = makeClient({ since: { offset: 3, epoch: 'old' } });
  const resumes = [];
  client.addEventListener('resume', (e) => resumes.push(e.detail));
  client.start();
  await settle();
  const ws = FakeWS.last;
  ws.open();
  assert.deepEqual(ws.sent[0].since, { offset: 3, epoch: 'old' }, 'the since option resumes across page loads');
  ws.receive({ type: 'registered', userId: 'alice', event: null, heartbeat: 25, recovered: false, missed: 0 });
  assert.deepEqual(resumes, [{ recovered: false, missed: 0 }]);
  ws.receive({ type: 'message', event: null, message: 'fresh', ts: 1, offset: 1, epoch: 'new' });
  assert.equal(messages.length, 1);
  assert.deepEqual(client.position, { offset: 1, epoch: 'new' });
  client.stop();
});

test('4004 resume required reconnects at once and is not an error', async () => {
  mock.method(Math, 'random', () => 0.5);
  const { client, states, errors } = makeClient();
  client.start();
  const ws = await connectAndRegister();
  ws.receive({ type: 'message', event: null, message: 'one', ts: 1, offset: 1, epoch: 'e' });
  ws.serverClose(4004, 'resume required');
  const s = states.at(-1);
  assert.equal(s.state, 'reconnecting');
  assert.ok(s.delayMs <= 1000, `delay ${s.delayMs}`);
  assert.equal(errors.length, 0);
  mock.timers.tick(s.delayMs);
  await settle();
  FakeWS.last.open();
  assert.deepEqual(FakeWS.last.sent[0].since, { offset: 1, epoch: 'e' });
  client.stop();
});

test('reconnects after a drop with full-jitter exponential backoff, capped', async () => {
  mock.method(Math, 'random', () => 1); // upper bound of the jitter
  const { client, states, errors } = makeClient({ backoff: { initialMs: 100, maxMs: 1000, factor: 2 } });
  client.start();
  await settle();
  const delays = [];
  for (let i = 0; i < 6; i++) {
    FakeWS.last.serverClose(1006);
    const s = states.at(-1);
    assert.equal(s.state, 'reconnecting');
    assert.equal(s.attempt, i + 1);
    delays.push(s.delayMs);
    mock.timers.tick(s.delayMs);
    await settle();
  }
  assert.deepEqual(delays, [100, 200, 400, 800, 1000, 1000]);
  assert.equal(FakeWS.all.length, 7);
  assert.equal(errors[0].code, 1006);
  assert.equal(errors[0].reason, 'connection failed');
  client.stop();
});

test('jitter is drawn from [0, cap]', async () => {
  mock.method(Math, 'random', () => 0.25);
  const { client, states } = makeClient({ backoff: { initialMs: 1000 } });
  client.start();
  await connectAndRegister();
  FakeWS.last.serverClose(1011, 'internal error');
  assert.equal(states.at(-1).delayMs, 250);
  assert.equal(states.at(-1).reason, 'internal error');
  client.stop();
});

test('re-registers after reconnecting and resets the backoff once stable', async () => {
  mock.method(Math, 'random', () => 1);
  const { client, states } = makeClient({ backoff: { initialMs: 100, maxMs: 10_000, resetAfterMs: 5000 } });
  client.start();
  await settle();
  FakeWS.last.serverClose(1006); // attempt 1: 100
  mock.timers.tick(100);
  await settle();
  FakeWS.last.serverClose(1006); // attempt 2: 200
  mock.timers.tick(200);
  const ws = await connectAndRegister();
  assert.equal(ws.sent.length, 1, 'registered again on the new socket');
  mock.timers.tick(4000); // not yet stable
  ws.serverClose(4001, 'slow consumer');
  assert.equal(states.at(-1).delayMs, 400);
  mock.timers.tick(400);
  const ws2 = await connectAndRegister();
  mock.timers.tick(6000); // stable: back to the first step
  ws2.serverClose(4001, 'slow consumer');
  assert.equal(states.at(-1).delayMs, 100);
  assert.equal(states.at(-1).attempt, 1);
  client.stop();
});

test('1001 from a registered connection reconnects within 5 s (no hint from the server)', async () => {
  mock.method(Math, 'random', () => 0.5);
  const { client, states, errors } = makeClient({ backoff: { initialMs: 5000 } });
  client.start();
  await settle();
  FakeWS.last.serverClose(1006);
  mock.timers.tick(states.at(-1).delayMs);
  await connectAndRegister();
  FakeWS.last.serverClose(1001, 'server shutting down');
  const s = states.at(-1);
  assert.equal(s.state, 'reconnecting');
  assert.equal(s.code, 1001);
  assert.equal(s.delayMs, 2500, 'a random moment within 5 s');
  assert.equal(errors.length, 1, 'only the 1006, not the 1001, is an error');
  client.stop();
});

test('1001 with a reconnect-spread-ms hint reconnects at a random moment within that window', async () => {
  mock.method(Math, 'random', () => 0.5);
  const { client, states, errors } = makeClient({ backoff: { initialMs: 100 } });
  client.start();
  await connectAndRegister();
  FakeWS.last.serverClose(1001, 'server shutting down; reconnect-spread-ms=8000');
  let s = states.at(-1);
  assert.equal(s.state, 'reconnecting');
  assert.equal(s.delayMs, 4000, 'half of the window for Math.random() = 0.5');
  assert.equal(errors.length, 0);
  mock.timers.tick(3999);
  assert.equal(states.at(-1).state, 'reconnecting', 'not before its moment');
  mock.timers.tick(1);
  await settle();
  assert.equal(states.at(-1).state, 'connecting');
  await connectAndRegister();
  // An absurd hint is capped (5 minutes); a malformed one falls back to the 1 s jitter.
  FakeWS.last.serverClose(1001, 'server shutting down; reconnect-spread-ms=999999999');
  s = states.at(-1);
  assert.equal(s.delayMs, 150_000);
  client.stop();
  client.start();
  await connectAndRegister();
  FakeWS.last.serverClose(1001, 'server shutting down; reconnect-spread-ms=soon');
  assert.equal(states.at(-1).delayMs, 2500, 'the default window');
  client.stop();
});

for (const [code, reason, expected] of [
  [1008, 'invalid token', 'rejected'],
  [1008, 'token expired', 'rejected'],
  [1008, 'token revoked', 'rejected'],
  [1008, 'token without exp', 'rejected'],
  [1008, 'token issued in the future', 'rejected'],
  [4002, 'disconnected by operator', 'disconnected'],
]) {
  test(`close ${code} "${reason}" fetches a fresh token before reconnecting`, async () => {
    const { client, calls, states } = makeClient();
    client.start();
    const ws = await connectAndRegister();
    const oldToken = ws.sent[0].token;
    ws.serverClose(code, reason);
    mock.timers.tick(states.at(-1).delayMs);
    await connectAndRegister();
    assert.deepEqual(calls, ['initial', expected]);
    assert.notEqual(FakeWS.last.sent[0].token, oldToken);
    client.stop();
  });
}

test('other closes reuse the token', async () => {
  const { client, calls, states } = makeClient();
  client.start();
  await connectAndRegister();
  for (const [code, reason] of [[1008, 'too many connections for this user'], [1013, 'server full'], [4003, 'heartbeat timeout']]) {
    FakeWS.last.serverClose(code, reason);
    mock.timers.tick(states.at(-1).delayMs);
    await connectAndRegister();
  }
  assert.deepEqual(calls, ['initial']);
  client.stop();
});

test('refreshes the token 60 s before exp, without touching the open connection', async () => {
  const { client, calls } = makeClient({ tokenSeconds: 300 });
  client.start();
  const ws = await connectAndRegister();
  mock.timers.tick(239_000);
  await settle();
  assert.deepEqual(calls, ['initial']);
  ws.receive({ type: 'ping' }); // keep the watchdog quiet
  mock.timers.tick(1_000); // exp - 60 s
  await settle();
  assert.deepEqual(calls, ['initial', 'expiring']);
  assert.equal(FakeWS.all.length, 1);
  assert.equal(ws.closedWith, null);
  ws.serverClose(1006);
  mock.timers.tick(60_000);
  await settle();
  assert.deepEqual(calls, ['initial', 'expiring'], 'the refreshed token is still good');
  FakeWS.last.open();
  assert.equal(JSON.parse(Buffer.from(FakeWS.last.sent[0].token.split('.')[1], 'base64url')).n, 2);
  client.stop();
});

test('refreshes in place before exp: the refresh frame goes on the open socket, which stays', async () => {
  const { client, calls, states, errors } = makeClient({ tokenSeconds: 300 });
  const refreshed = [];
  client.addEventListener('refreshed', (e) => refreshed.push(e.detail));
  client.start();
  const ws = await connectAndRegister();
  const statesBefore = states.length;
  ws.receive({ type: 'ping' });
  mock.timers.tick(240_000); // exp - 60 s
  await settle();
  assert.deepEqual(calls, ['initial', 'expiring']);
  assert.equal(refreshes(ws).length, 1);
  assert.equal(JSON.parse(Buffer.from(refreshes(ws)[0].token.split('.')[1], 'base64url')).n, 2);
  const exp = jwtExpMs(refreshes(ws)[0].token) / 1000;
  ws.receive({ type: 'refreshed', exp });
  assert.deepEqual(refreshed, [{ exp: exp * 1000 }]);
  assert.equal(states.length, statesBefore, 'no state change: the page does not blink');
  assert.equal(client.state, 'connected');
  assert.equal(ws.closedWith, null);
  // The next refresh follows the new token: 240 s after the first one.
  ws.receive({ type: 'ping' });
  mock.timers.tick(239_000);
  await settle();
  assert.equal(refreshes(ws).length, 1);
  ws.receive({ type: 'ping' });
  mock.timers.tick(1_000);
  await settle();
  assert.deepEqual(calls, ['initial', 'expiring', 'expiring']);
  assert.equal(refreshes(ws).length, 2);
  assert.equal(FakeWS.all.length, 1, 'never reconnected');
  assert.equal(errors.length, 0);
  client.stop();
});

test('a refresh timer that wakes a moment before it is due still refreshes, even if the clock ticks meanwhile', async () => {
  // A browser cuts a setTimeout delay to whole milliseconds and its timers need not agree with Date.now(), so the
  // refresh timer can fire just before exp - lead: the client re-arms it, and must do so with a positive delay even
  // when Date.now() moves on between its two readings (it once returned without re-arming: no refresh, and the
  // server closed with 4005 after exp).
  const { client, calls } = makeClient({ tokenSeconds: 10 });
  client.start();
  const ws = await connectAndRegister();
  mock.timers.tick(7_999); // the refresh is due at exp - 2 s: T0 + 8 s
  await settle();
  assert.equal(refreshes(ws).length, 0);
  const clock = Date.now;
  let behind = 1; // the first reading when the timer fires is a millisecond behind the timer's clock
  const now = mock.method(Date, 'now', () => clock.call(Date) - (behind-- > 0 ? 1 : 0));
  mock.timers.tick(1); // fires: "not due yet" by the first reading, due (a delay of 0) by the second
  now.mock.restore();
  mock.timers.tick(1);
  await settle();
  assert.deepEqual(calls, ['initial', 'expiring']);
  assert.equal(refreshes(ws).length, 1, 'the refresh went out on the open socket');
  assert.equal(FakeWS.all.length, 1);
  client.stop();
});

test('short-lived tokens are refreshed when a fifth of their lifetime is left', async () => {
  const { client, calls } = makeClient({ tokenSeconds: 10 });
  client.start();
  const ws = await connectAndRegister();
  mock.timers.tick(7_999);
  await settle();
  assert.equal(ws.sent.length, 1);
  mock.timers.tick(1);
  await settle();
  assert.equal(ws.sent[1].type, 'refresh');
  ws.receive({ type: 'refreshed', exp: jwtExpMs(ws.sent[1].token) / 1000 });
  mock.timers.tick(8_000);
  await settle();
  assert.equal(ws.sent[2].type, 'refresh');
  assert.equal(calls.filter((r) => r === 'expiring').length, 2);
  assert.equal(FakeWS.all.length, 1);
  client.stop();
});

test('a failing getToken during an in-place refresh keeps the socket and retries with backoff before exp', async () => {
  mock.method(Math, 'random', () => 1);
  let fail = 0;
  const calls = [];
  const { client, states, errors } = makeClient({
    backoff: { initialMs: 1000, maxMs: 8000 },
    getToken: async ({ reason }) => {
      calls.push(reason);
      if (reason === 'expiring' && fail-- > 0) throw new Error('HTTP 503');
      return jwt({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 300 });
    },
  });
  client.start();
  const ws = await connectAndRegister();
  fail = 2;
  const statesBefore = states.length;
  ws.receive({ type: 'ping' });
  mock.timers.tick(240_000);
  await settle();
  assert.equal(errors.length, 1);
  assert.match(errors[0].reason, /getToken failed: HTTP 503/);
  assert.equal(errors[0].code, null);
  mock.timers.tick(999);
  await settle();
  assert.equal(calls.length, 2, 'not retried at once');
  mock.timers.tick(1);
  await settle();
  assert.equal(calls.length, 3, 'retried after 1 s');
  assert.equal(errors.length, 2);
  mock.timers.tick(2_000); // the second retry waits 2 s
  await settle();
  assert.deepEqual(calls, ['initial', 'expiring', 'expiring', 'expiring']);
  assert.equal(ws.sent.at(-1).type, 'refresh');
  assert.equal(ws.closedWith, null);
  assert.equal(FakeWS.all.length, 1);
  assert.equal(states.length, statesBefore, 'no state change');
  client.stop();
});

test('failed refreshes stop retrying at exp; 4005 then fetches a fresh token and resumes at once', async () => {
  mock.method(Math, 'random', () => 0.5);
  let down = false;
  const calls = [];
  const { client, states, errors, messages } = makeClient({
    backoff: { initialMs: 1000, maxMs: 30000 },
    getToken: async ({ reason }) => {
      calls.push(reason);
      if (down) throw new Error('token service down');
      return jwt({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 300 });
    },
  });
  client.start();
  const ws = await connectAndRegister();
  ws.receive({ type: 'message', event: null, message: 'one', ts: 1, offset: 5, epoch: 'e' });
  down = true;
  for (let t = 0; t < 300; t++) {
    ws.receive({ type: 'ping' });
    mock.timers.tick(1_000);
    await settle();
  }
  const attempts = calls.filter((r) => r === 'expiring').length;
  assert.ok(attempts >= 4 && attempts <= 12, `retried ${attempts} times within the last minute, not in a loop`);
  assert.deepEqual(refreshes(ws), [], 'no refresh frame without a token');
  down = false;
  ws.serverClose(4005, 'token expired');
  const s = states.at(-1);
  assert.equal(s.state, 'reconnecting');
  assert.equal(s.code, 4005);
  assert.ok(s.delayMs <= 1000, `reconnects at once, delay ${s.delayMs}`);
  assert.ok(errors.every((e) => e.code !== 4005), '4005 is not an error');
  mock.timers.tick(s.delayMs);
  await settle();
  assert.equal(calls.at(-1), 'expired');
  const ws2 = FakeWS.last;
  ws2.open();
  assert.deepEqual(ws2.sent[0].since, { offset: 5, epoch: 'e' }, 'resumes from the last message');
  assert.ok(jwtExpMs(ws2.sent[0].token) > Date.now(), 'with the fresh token');
  ws2.receive({ type: 'registered', userId: 'alice', event: null, heartbeat: 25, recovered: true, missed: 1 });
  ws2.receive({ type: 'message', event: null, message: 'two', ts: 2, offset: 6, epoch: 'e' });
  assert.deepEqual(messages.map((m) => m.message), ['one', 'two']);
  client.stop();
});

test('a token fetched while registering is sent as a refresh once registered', async () => {
  let n = 0;
  const { client } = makeClient({
    getToken: async () => jwt({ sub: 'alice', n: ++n, exp: Math.floor(Date.now() / 1000) + 300 }),
  });
  client.start();
  await settle();
  const ws = FakeWS.last;
  ws.open();
  const registeredWith = ws.sent[0].token;
  mock.timers.tick(240_000); // the refresh timer fires while the registration is unanswered
  await settle();
  assert.deepEqual(refreshes(ws), [], 'nothing but the registration before registered');
  assert.equal(FakeWS.last, ws);
  ws.receive({ type: 'registered', userId: 'alice', event: null, heartbeat: 25 });
  assert.equal(refreshes(ws).length, 1);
  assert.notEqual(refreshes(ws)[0].token, registeredWith);
  client.stop();
});

test('a token that expires within 60 s is replaced before connecting', async () => {
  const { client, calls } = makeClient({ tokenSeconds: 30 });
  client.start();
  const ws = await connectAndRegister();
  ws.serverClose(1006);
  mock.timers.tick(60_000);
  await settle();
  assert.deepEqual(calls, ['initial', 'expiring']);
  client.stop();
});

test('silence for the heartbeat timeout sends a ping, then drops and reconnects', async () => {
  const { client, states, errors } = makeClient();
  client.start();
  const ws = await connectAndRegister(2); // timeout = 2.5 x 2 s = 5 s
  mock.timers.tick(2499);
  assert.equal(ws.sent.length, 1);
  mock.timers.tick(1);
  assert.deepEqual(ws.sent[1], { type: 'ping' });
  ws.receive({ type: 'pong' }); // alive: restarts the clock
  mock.timers.tick(2500); // split ticks: a mocked tick runs callbacks at its end time, so nested timers count from there
  mock.timers.tick(2499);
  assert.equal(client.state, 'connected');
  mock.timers.tick(1);
  assert.equal(client.state, 'reconnecting');
  assert.deepEqual(ws.closedWith, { code: 4000, reason: 'heartbeat timeout' });
  assert.equal(errors.at(-1).code, 4000);
  assert.equal(states.at(-1).reason, 'heartbeat timeout');
  ws.serverClose(1006); // the late close of the abandoned socket changes nothing
  assert.equal(states.at(-1).state, 'reconnecting');
  mock.timers.tick(states.at(-1).delayMs);
  await connectAndRegister();
  assert.equal(FakeWS.all.length, 2);
  client.stop();
});

test('heartbeatTimeoutMs overrides the server heartbeat', async () => {
  const a = makeClient({ heartbeatTimeoutMs: 1000 });
  a.client.start();
  await connectAndRegister(25);
  mock.timers.tick(500);
  mock.timers.tick(500);
  assert.equal(a.client.state, 'reconnecting');
  a.client.stop();
});

test('without a server heartbeat the timeout falls back to 60 s', async () => {
  const b = makeClient();
  b.client.start();
  await connectAndRegister(null);
  mock.timers.tick(30_000);
  mock.timers.tick(29_999);
  assert.equal(b.client.state, 'connected');
  mock.timers.tick(1);
  assert.equal(b.client.state, 'reconnecting');
  b.client.stop();
});

test('a handshake that never completes is given up after the fallback timeout', async () => {
  const { client } = makeClient();
  client.start();
  await settle();
  mock.timers.tick(30_000);
  mock.timers.tick(30_000);
  assert.equal(client.state, 'reconnecting');
  assert.equal(FakeWS.all[0].closedWith.code, 4000);
  client.stop();
});

test('stop() closes with 1000 and never reconnects', async () => {
  const { client, states } = makeClient();
  client.start();
  const ws = await connectAndRegister();
  client.stop();
  assert.equal(client.state, 'closed');
  assert.deepEqual(ws.closedWith, { code: 1000, reason: 'client stop' });
  assert.deepEqual(states.at(-1), { state: 'closed', attempt: 0, delayMs: null, code: 1000, reason: 'client stop' });
  ws.serverClose(1000);
  mock.timers.tick(120_000);
  await settle();
  assert.equal(FakeWS.all.length, 1);
  assert.equal(client.state, 'closed');
});

test('stop() during backoff or during getToken wins', async () => {
  const { client, states } = makeClient();
  client.start();
  await connectAndRegister();
  FakeWS.last.serverClose(1006);
  client.stop();
  mock.timers.tick(60_000);
  await settle();
  assert.equal(FakeWS.all.length, 1);

  client.start(); // getToken in flight, then stop
  client.stop();
  await settle();
  assert.equal(FakeWS.all.length, 1);
  assert.equal(states.at(-1).state, 'closed');
});

test('stop() from an error listener is honoured', async () => {
  const { client } = makeClient();
  client.addEventListener('error', () => client.stop());
  client.start();
  await settle();
  FakeWS.last.serverClose(1006);
  mock.timers.tick(60_000);
  await settle();
  assert.equal(FakeWS.all.length, 1);
  assert.equal(client.state, 'closed');
});

test('getToken failure is an error event and is retried with backoff', async () => {
  let fail = true;
  const { client, states, errors } = makeClient({
    getToken: async () => {
      if (fail) throw new Error('HTTP 500');
      return jwt({ sub: 'alice' });
    },
  });
  client.start();
  await settle();
  assert.equal(FakeWS.all.length, 0);
  assert.match(errors[0].reason, /HTTP 500/);
  assert.ok(errors[0].error instanceof Error);
  assert.equal(states.at(-1).state, 'reconnecting');
  fail = false;
  mock.timers.tick(states.at(-1).delayMs);
  await connectAndRegister();
  assert.equal(client.state, 'connected');
  client.stop();
});

test('getToken throwing synchronously is handled too', async () => {
  const { client, errors } = makeClient({
    getToken: () => {
      throw new Error('boom');
    },
  });
  client.start();
  await settle();
  assert.match(errors[0].reason, /boom/);
  client.stop();
});

test('getToken resolving to no token closes the client', async () => {
  const { client, states } = makeClient({ getToken: async () => null });
  client.start();
  await settle();
  assert.equal(client.state, 'closed');
  assert.equal(states.at(-1).reason, 'no token');
  assert.equal(FakeWS.all.length, 0);
});

test('a proactive refresh that gets no token (signed out) closes the client at once', async () => {
  let signedIn = true;
  const calls = [];
  const { client, states } = makeClient({
    getToken: async ({ reason }) => {
      calls.push(reason);
      return signedIn ? jwt({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 300 }) : null;
    },
  });
  client.start();
  const ws = await connectAndRegister();
  signedIn = false;
  ws.receive({ type: 'ping' });
  mock.timers.tick(240_000); // exp - 60 s
  await settle();
  assert.deepEqual(calls, ['initial', 'expiring']);
  assert.equal(client.state, 'closed');
  assert.deepEqual(states.at(-1), { state: 'closed', attempt: 0, delayMs: null, code: null, reason: 'no token' });
  assert.equal(ws.closedWith.code, 1000);
  mock.timers.tick(600_000);
  await settle();
  assert.equal(FakeWS.all.length, 1, 'no reconnect');
  assert.deepEqual(calls, ['initial', 'expiring']);
});

test('a proactive refresh that ends after stop() changes nothing', async () => {
  let release;
  let n = 0;
  const { client, states, errors } = makeClient({
    getToken: async () => {
      if (++n === 1) return jwt({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 300 });
      return new Promise((resolve, reject) => (release = reject));
    },
  });
  client.start();
  const ws = await connectAndRegister();
  ws.receive({ type: 'ping' });
  mock.timers.tick(240_000);
  await settle();
  client.stop();
  const before = states.length;
  release(new Error('late'));
  await settle();
  assert.equal(states.length, before);
  assert.equal(errors.length, 0, 'a refresh failing after stop() is not reported');
});

test('jwtExpMs reads exp from base64url payloads and tolerates junk', () => {
  assert.equal(jwtExpMs(jwt({ exp: 1700000000, name: 'ü?>' })), 1700000000_000);
  assert.equal(jwtExpMs(jwt({ sub: 'x' })), 0);
  assert.equal(jwtExpMs('not a jwt'), 0);
  assert.equal(jwtExpMs(null), 0);
});

test('constructor requires getToken; default url is ../ws next to the module', () => {
  assert.throws(() => new WspushClient({}), TypeError);
  const c = new WspushClient({ getToken: async () => 't', WebSocketImpl: FakeWS });
  assert.ok(c.url.endsWith('/src/main/webapp/ws'), c.url);
});

// ---- receipts (docs/PROTOCOL.md "Receipts") ----

const acks = (ws) => ws.sent.filter((f) => f.type === 'ack').map((f) => f.offset);
const msg = (offset, message = `m${offset}`) => ({ type: 'message', event: null, message, ts: 1, offset, epoch: 'e1' });

/** Runs fn while uncaught errors (a throwing listener's, reported after dispatch) are collected, not fatal. */
async function collectingUncaught(fn) {
  const saved = process.listeners('uncaughtException');
  process.removeAllListeners('uncaughtException');
  const caught = [];
  process.on('uncaughtException', (e) => caught.push(e));
  try {
    await fn();
    await settle();
  } finally {
    process.removeAllListeners('uncaughtException');
    for (const l of saved) process.on('uncaughtException', l);
  }
  return caught;
}

test('acknowledges a message after its message handlers ran (default)', async () => {
  const { client } = makeClient();
  const seenAcks = [];
  client.addEventListener('message', () => seenAcks.push(acks(FakeWS.last).length));
  client.start();
  const ws = await connectAndRegister();
  ws.receive(msg(7));
  ws.receive(msg(8));
  assert.deepEqual(acks(ws), [7, 8]);
  assert.deepEqual(seenAcks, [0, 1], 'each ack goes out only after the handlers ran');
  client.stop();
});

test('a handler that throws means no ack; the error still surfaces', async () => {
  const { client, messages } = makeClient();
  const boom = () => {
    throw new Error('render failed');
  };
  client.addEventListener('message', boom);
  client.start();
  const ws = await connectAndRegister();
  const caught = await collectingUncaught(() => ws.receive(msg(3)));
  assert.deepEqual(caught.map((e) => e.message), ['render failed']);
  assert.deepEqual(acks(ws), []);
  assert.equal(messages.length, 1, 'the other handlers still ran');
  client.removeEventListener('message', boom);
  ws.receive(msg(4));
  assert.deepEqual(acks(ws), [4], 'removed through the original function');
  client.stop();
});

test("ack: 'on-receive' acknowledges before the handlers, even when one throws; ack: false never", async () => {
  const { client } = makeClient({ ack: 'on-receive' });
  const seenAcks = [];
  client.addEventListener('message', () => {
    seenAcks.push(acks(FakeWS.last).length);
    throw new Error('x');
  });
  client.start();
  const ws = await connectAndRegister();
  await collectingUncaught(() => ws.receive(msg(5)));
  assert.deepEqual(acks(ws), [5]);
  assert.deepEqual(seenAcks, [1]);
  client.stop();

  const off = makeClient({ ack: false });
  off.client.start();
  const ws2 = await connectAndRegister();
  ws2.receive(msg(6));
  assert.equal(off.messages.length, 1);
  assert.deepEqual(acks(ws2), []);
  off.client.stop();
});

test('messages without an offset (history off) and repeated offsets are not acknowledged', async () => {
  const { client, messages } = makeClient();
  client.start();
  const ws = await connectAndRegister();
  ws.receive({ type: 'message', event: null, message: 'no offset', ts: 1 });
  ws.receive(msg(9));
  ws.receive(msg(9));
  assert.equal(messages.length, 2);
  assert.deepEqual(acks(ws), [9]);
  client.stop();
});

test('handleEvent objects work as message listeners, and a bad ack option is refused', async () => {
  const got = [];
  const { client } = makeClient();
  client.addEventListener('message', { handleEvent: (e) => got.push(e.detail.offset) });
  client.start();
  const ws = await connectAndRegister();
  ws.receive(msg(2));
  assert.deepEqual(got, [2]);
  assert.deepEqual(acks(ws), [2]);
  client.stop();
  assert.throws(() => new WspushClient({ getToken: async () => 't', ack: 'always' }), TypeError);
});
