// app.js: the live alert page. Demo mode signs in through demo/token; all URLs are relative to the page so the
// WAR works under any context path.
import { WspushClient } from './wspush-client.js';

const $ = (id) => document.getElementById(id);
const ui = {
  state: $('state'),
  stateDetail: $('stateDetail'),
  error: $('error'),
  notice: $('notice'),
  connectForm: $('connectForm'),
  userId: $('userId'),
  event: $('event'),
  connect: $('connect'),
  disconnect: $('disconnect'),
  pushForm: $('pushForm'),
  pushUser: $('pushUser'),
  pushEvent: $('pushEvent'),
  pushMessage: $('pushMessage'),
  pushSend: $('pushSend'),
  pushResult: $('pushResult'),
  notDemo: $('notDemo'),
  alerts: $('alerts'),
  alertsEmpty: $('alertsEmpty'),
  alertCount: $('alertCount'),
  clearAlerts: $('clearAlerts'),
};

const MAX_ALERTS = 200; // keep the DOM small on long-lived tabs

let client = null;
let connectedUser = null;
let connectedEvent = '';
let pushKey = null;
let countdown = null;

// --- demo token -------------------------------------------------------------------------------------------

class NotDemoMode extends Error {}

async function fetchDemoToken(userId) {
  const res = await fetch(`demo/token?userId=${encodeURIComponent(userId)}`, {
    cache: 'no-store',
    headers: { Accept: 'application/json' },
  });
  if (res.status === 404) throw new NotDemoMode('not in demo mode');
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.message || `demo/token answered HTTP ${res.status}`);
  pushKey = body.pushKey ?? pushKey;
  return body;
}

function showDemo() {
  for (const form of document.querySelectorAll('.demo-only')) form.hidden = false;
}

function showNotDemo() {
  client?.stop();
  client = null;
  for (const form of document.querySelectorAll('.demo-only')) form.hidden = true;
  ui.notDemo.hidden = false;
  setBadge('closed', 'token required');
}

// --- connection state ---------------------------------------------------------------------------------------

function setBadge(state, detail = '') {
  ui.state.textContent = state;
  ui.state.dataset.state = state;
  ui.stateDetail.textContent = detail;
}

/** The error banner: a sentence for people, then the technical detail (close reason and code) in small print. */
function showError(text, detail = '') {
  const main = document.createElement('span');
  main.className = 'error-text';
  main.textContent = text || '';
  const small = document.createElement('span');
  small.className = 'error-detail';
  small.textContent = detail;
  ui.error.replaceChildren(main, ...(detail ? [' ', small] : []));
  ui.error.hidden = !text;
}

// What a close means for the person looking at the page (codes: docs/PROTOCOL.md). The client reconnects by itself.
const CLOSE_TEXT = {
  1001: 'The server is restarting.',
  1003: 'The server refused a message from this page.',
  1009: 'The server refused a message that was too large.',
  1011: 'The server ran into an error.',
  1013: 'The server is full right now.',
  4000: 'The connection went silent.',
  4001: 'This page could not keep up with its alerts.',
  4002: 'You were signed out by the server.',
  4003: 'The server stopped hearing from this page.',
  4008: 'Signing in took too long.',
};

function describeError({ code, reason }) {
  if (code == null) return [reason?.startsWith('getToken failed') ? 'Cannot sign in.' : 'Cannot connect.', reason];
  let text = CLOSE_TEXT[code];
  if (code === 1006) text = reason === 'connection failed' ? 'Cannot reach the server.' : 'Connection lost.';
  if (code === 1008) {
    if (/token/i.test(reason)) text = 'The server refused the sign-in token.';
    else if (/too many connections/i.test(reason)) text = 'Too many open connections for this user.';
    else text = 'The server refused the connection.';
  }
  return [text ?? 'The connection closed.', `${reason || 'no reason given'} · code ${code}`];
}

function stopCountdown() {
  clearInterval(countdown);
  countdown = null;
}

function onState(e) {
  if (e.target !== client) return; // a previous client winding down
  const { state, delayMs, code, reason } = e.detail;
  stopCountdown();
  const running = state !== 'closed';
  ui.disconnect.disabled = !running;

  if (state === 'reconnecting') {
    // Count down to the retry; the reason of the last close stays visible next to it.
    const at = Date.now() + delayMs;
    const why = reason ? ` · ${reason}` : code ? ` · code ${code}` : '';
    const tick = () => setBadge('reconnecting', `in ${Math.max(0, Math.ceil((at - Date.now()) / 1000))} s${why}`);
    tick();
    countdown = setInterval(tick, 250);
  } else if (state === 'connected') {
    showError('');
    // The event this client registered with, not whatever the field holds now.
    setBadge('connected', `as ${connectedUser}${connectedEvent ? ` · event ${connectedEvent}` : ''}`);
  } else if (state === 'closed' && reason === 'no token') {
    setBadge('error', 'no token');
  } else if (state === 'closed') {
    setBadge('closed', 'disconnected');
  } else {
    setBadge(state, connectedUser ? `as ${connectedUser}` : '');
  }
}

function onError(e) {
  if (e.target !== client) return;
  const { code, reason, error } = e.detail;
  if (error instanceof NotDemoMode) return showNotDemo();
  showError(...describeError({ code, reason }));
}

// What a resume after a reconnect gave back (the client sends the last alert's offset; see docs/CLIENT.md).
function onResume(e) {
  if (e.target !== client) return;
  const { recovered, missed } = e.detail;
  if (recovered) {
    showNotice('ok', `Reconnected, ${missed} missed alert${missed === 1 ? '' : 's'} recovered.`);
  } else {
    const reload = document.createElement('button');
    reload.type = 'button';
    reload.className = 'link';
    reload.textContent = 'Reload';
    reload.addEventListener('click', () => location.reload());
    showNotice('warn', 'Reconnected, but some alerts may be missing: reload the page.', reload);
  }
}

function showNotice(kind, text, ...extra) {
  ui.notice.dataset.kind = kind;
  ui.notice.replaceChildren(text, ...extra);
  ui.notice.hidden = !text;
}

// --- alerts -------------------------------------------------------------------------------------------------

function formatTime(date) {
  const today = new Date().toDateString() === date.toDateString();
  return today ? date.toLocaleTimeString() : date.toLocaleString();
}

function addAlert({ message, event, ts }) {
  const when = new Date(Number.isFinite(ts) ? ts : Date.now());
  const li = document.createElement('li');
  li.className = 'alert';

  const msg = document.createElement('p');
  msg.className = 'alert-message';
  msg.textContent = message ?? ''; // textContent, never innerHTML: messages are untrusted

  const meta = document.createElement('div');
  meta.className = 'alert-meta';
  const ev = document.createElement('span');
  ev.className = 'alert-event';
  ev.textContent = event ?? '';
  const time = document.createElement('time');
  time.className = 'alert-time';
  time.dateTime = when.toISOString();
  time.title = when.toISOString();
  time.textContent = formatTime(when);
  meta.append(ev, time);

  li.append(msg, meta);
  ui.alerts.prepend(li);
  while (ui.alerts.children.length > MAX_ALERTS) ui.alerts.lastElementChild.remove();
  renderAlertCount();
}

function renderAlertCount() {
  const n = ui.alerts.children.length;
  ui.alertCount.textContent = String(n);
  ui.alertsEmpty.hidden = n > 0;
  ui.clearAlerts.hidden = n === 0;
}

// --- actions ------------------------------------------------------------------------------------------------

function connect(userId, event) {
  client?.stop();
  if (userId !== connectedUser) {
    ui.alerts.replaceChildren(); // alerts belong to the user they were sent to
    renderAlertCount();
  }
  connectedUser = userId;
  connectedEvent = event || '';
  showError('');
  showNotice('', '');
  client = new WspushClient({
    event: event || null,
    getToken: async () => (await fetchDemoToken(userId)).token,
  });
  client.addEventListener('state', onState);
  client.addEventListener('error', onError);
  client.addEventListener('message', (e) => e.target === client && addAlert(e.detail));
  client.addEventListener('resume', onResume);
  // A token renewed on the open connection changes nothing on screen; it only clears a failed attempt's error.
  client.addEventListener('refreshed', (e) => e.target === client && showError(''));
  client.start();
}

ui.connectForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const userId = ui.userId.value.trim();
  if (!userId) return showError('Enter a user id.');
  connect(userId, ui.event.value.trim());
});

ui.disconnect.addEventListener('click', () => {
  showError('');
  client?.stop();
});

// The push form follows the signed-in user until the user types another recipient.
ui.userId.addEventListener('input', () => {
  if (!ui.pushUser.dataset.edited) ui.pushUser.value = ui.userId.value.trim();
});
ui.pushUser.addEventListener('input', () => {
  ui.pushUser.dataset.edited = 'true';
});

ui.pushForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  ui.pushSend.disabled = true;
  ui.pushResult.className = 'push-result';
  ui.pushResult.textContent = 'Sending…';
  delete ui.pushResult.dataset.delivered;
  try {
    if (!pushKey) await fetchDemoToken(ui.pushUser.value.trim() || 'demo');
    const event = ui.pushEvent.value.trim();
    const res = await fetch('push', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${pushKey}` },
      // No client-side checks: the server's error message is the one worth showing.
      body: JSON.stringify({ userId: ui.pushUser.value.trim(), event: event || undefined, message: ui.pushMessage.value }),
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(body.message || `push answered HTTP ${res.status}`);
    const n = body.delivered;
    ui.pushResult.dataset.delivered = String(n);
    ui.pushResult.classList.add('ok');
    ui.pushResult.textContent = `Delivered to ${n} connection${n === 1 ? '' : 's'}`;
  } catch (err) {
    if (err instanceof NotDemoMode) return showNotDemo();
    ui.pushResult.classList.add('failed');
    ui.pushResult.textContent = err.message;
  } finally {
    ui.pushSend.disabled = false;
  }
});

ui.clearAlerts.addEventListener('click', () => {
  ui.alerts.replaceChildren();
  renderAlertCount();
});

// --- start --------------------------------------------------------------------------------------------------

// Find out up front whether demo mode is on: the demo forms (hidden in the HTML) are shown only when it is.
renderAlertCount();
fetchDemoToken(ui.userId.value.trim() || 'alice')
  .then(showDemo)
  .catch((err) => {
    if (err instanceof NotDemoMode) return showNotDemo();
    // Unknown mode: offer the forms anyway, so the user can retry once the server is back.
    showDemo();
    // fetch() rejects with a TypeError when the server cannot be reached; other errors carry the server's message.
    if (err instanceof TypeError) showError('Cannot reach the server.', err.message);
    else showError(err.message);
  });
