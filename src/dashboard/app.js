// The dashboard: the account's cases, live; one case's thread, timeline and webhook deliveries; the input form.
// Every piece of case data goes into the page as text (textContent), never as HTML: mail bodies are untrusted.
/* global document, localStorage, location, history, URLSearchParams, setInterval, clearInterval */
import { gql, QUERIES, subscribeUpdates } from './api.js';

const KEY_STORAGE = 'offload.apiKey';
const DELIVERIES_REFRESH_MS = 3000;
const $ = (selector) => document.querySelector(selector);
const state = { key: null, cases: new Map(), selected: null, stopLive: null, loading: null, deliveriesTimer: null };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === 'class') node.className = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child ?? '');
  return node;
}

const time = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
const badge = (status) => el('span', { class: `status status-${status}` }, status);

function showError(error) {
  const box = $('#error');
  box.textContent = error ? String(error.message ?? error) : '';
  box.hidden = !error;
  // A refused key: ask for another one rather than showing an empty account.
  if (error?.authFailed) signOut();
}

function setLive(live) {
  const node = $('#live-status');
  node.textContent = live ? 'live' : 'offline';
  node.className = live ? 'live' : 'offline';
}

function renderList() {
  const rows = [...state.cases.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  $('#empty-hint').hidden = rows.length > 0;
  $('#cases tbody').replaceChildren(
    ...rows.map((c) => {
      const row = el(
        'tr',
        { 'data-case-id': c.id, class: c.id === state.selected ? 'selected' : '' },
        el('td', {}, badge(c.status)),
        el('td', { class: 'objective' }, c.goal.objective),
        el('td', {}, `${c.counterparty.name} <${c.counterparty.address}>`),
        el('td', {}, time(c.createdAt)),
      );
      row.addEventListener('click', () => void select(c.id));
      return row;
    }),
  );
}

/** "MON TUE 09:00-17:00 Europe/Paris, next open <time>", or "any time". */
function sendWindowText(w) {
  if (!w) return 'any time';
  return `${w.days.join(' ')} ${w.start}-${w.end} ${w.timezone}, next open ${time(w.nextOpenAt)}`;
}

function renderSummary(c) {
  $('#detail-title').replaceChildren(badge(c.status), ' ', c.goal.objective);
  const facts = [
    ['Case', c.id],
    ['Counterparty', `${c.counterparty.name} <${c.counterparty.address}>`],
    ['Attempts', `${c.attemptCount} of ${c.maxAttempts}`],
    ['Follow-ups', `${c.followUpCount} of ${c.maxAttempts} since their last message`],
    ['Next action', time(c.nextActionAt)],
    ['Send window', sendWindowText(c.sendWindow)],
    ['Result status', c.resultStatus ?? '—'],
    ['Result', c.result === null || c.result === undefined ? '—' : JSON.stringify(c.result)],
    ['Failure reason', c.failureReason ?? '—'],
  ];
  $('#summary').replaceChildren(
    ...facts.flatMap(([name, value]) => [el('dt', {}, name), el('dd', { 'data-field': name }, value)]),
  );
}

function renderInputForm(c) {
  const form = $('#input-form');
  const pending = c.status === 'INPUT_NEEDED' && c.inputRequest?.status === 'PENDING';
  if (pending && form.dataset.requestId !== c.inputRequest.id) {
    form.dataset.requestId = c.inputRequest.id;
    $('#input-answer').value = '';
    $('#input-sent').hidden = true;
  }
  $('#input-question').textContent = pending ? c.inputRequest.question : '';
  form.hidden = !pending;
}

function renderThread(messages) {
  $('#thread').replaceChildren(
    ...messages.map((m) =>
      el(
        'li',
        { class: `message ${m.direction.toLowerCase()}` },
        el(
          'div',
          { class: 'meta' },
          `${m.direction} · ${m.from} → ${m.to.join(', ')} · ${time(m.sentAt ?? m.receivedAt)}`,
        ),
        el('div', { class: 'subject' }, m.subject ?? '(no subject)'),
        el('pre', { class: 'body' }, m.text ?? ''),
      ),
    ),
  );
}

function renderTimeline(events) {
  $('#timeline').replaceChildren(
    ...events.map((e) =>
      el(
        'li',
        { 'data-type': e.type },
        el('time', {}, time(e.occurredAt)),
        ` ${e.type}`,
        e.fromStatus !== e.toStatus ? ` (${e.fromStatus ?? '—'} → ${e.toStatus})` : '',
      ),
    ),
  );
}

function renderDeliveries(deliveries) {
  if (!deliveries) {
    $('#deliveries').replaceChildren(el('li', { class: 'hint' }, 'This server does not report webhook deliveries.'));
    return;
  }
  if (!deliveries.length) {
    $('#deliveries').replaceChildren(el('li', { class: 'hint' }, 'No webhook sent (yet) for this case.'));
    return;
  }
  $('#deliveries').replaceChildren(
    ...deliveries.map((d) => {
      const last = d.attempts.at(-1);
      const outcome = last ? (last.ok ? `HTTP ${last.statusCode}` : (last.errorCode ?? `HTTP ${last.statusCode}`)) : '';
      return el(
        'li',
        { 'data-event-type': d.eventType, 'data-status': d.status },
        el('span', { class: `status status-${d.status}` }, d.status),
        ` ${d.eventType} → ${d.url} · ${d.attemptCount} attempt(s) ${outcome}`,
      );
    }),
  );
}

async function loadDeliveries() {
  const id = state.selected;
  if (!id || !state.key) return;
  const deliveries = await gql(state.key, QUERIES.deliveries, { id }).then(
    (data) => data.case?.webhookDeliveries ?? [],
    () => null,
  );
  if (id === state.selected) renderDeliveries(deliveries);
}

/** Loads the selected case; overlapping reloads (a burst of live updates) collapse into one more run. */
async function loadDetail() {
  if (state.loading) return void (state.loading.again = true);
  const run = (state.loading = { again: false });
  try {
    const id = state.selected;
    const { case: c } = await gql(state.key, QUERIES.detail, { id });
    if (id !== state.selected || !c) return;
    state.cases.set(c.id, { ...state.cases.get(c.id), ...c });
    $('#detail').hidden = false;
    renderSummary(c);
    renderInputForm(c);
    renderThread(c.messages);
    renderTimeline(c.timeline);
    await loadDeliveries();
    clearInterval(state.deliveriesTimer);
    // Deliveries have no subscription: while a case with a webhook URL is open, they are re-read every few seconds.
    if (c.clientWebhookUrl) state.deliveriesTimer = setInterval(() => void loadDeliveries(), DELIVERIES_REFRESH_MS);
  } catch (error) {
    showError(error);
  } finally {
    state.loading = null;
    if (run.again) void loadDetail();
  }
}

async function select(id) {
  state.selected = id;
  renderList();
  await loadDetail();
}

async function loadCases() {
  try {
    const { cases } = await gql(state.key, QUERIES.cases);
    for (const { node } of cases.edges) state.cases.set(node.id, { ...state.cases.get(node.id), ...node });
    renderList();
    showError(null);
  } catch (error) {
    showError(error);
  }
}

function onUpdate(update) {
  state.cases.set(update.case.id, { ...state.cases.get(update.case.id), ...update.case });
  renderList();
  if (update.case.id === state.selected) void loadDetail();
}

function connect(key) {
  state.key = key;
  localStorage.setItem(KEY_STORAGE, key);
  $('#key-form').hidden = true;
  $('#forget-key').hidden = false;
  state.stopLive?.();
  state.stopLive = subscribeUpdates(key, {
    onUpdate,
    onConnected: ({ resumed }) => {
      setLive(true);
      // A resumed subscription replays what was missed; only a fresh one needs a reload.
      if (resumed) return;
      void loadCases();
      if (state.selected) void loadDetail();
    },
    onClosed: () => setLive(false),
    onError: showError,
  });
  void loadCases();
}

function signOut() {
  state.stopLive?.();
  state.stopLive = null;
  state.key = null;
  state.selected = null;
  state.cases.clear();
  clearInterval(state.deliveriesTimer);
  localStorage.removeItem(KEY_STORAGE);
  setLive(false);
  renderList();
  $('#detail').hidden = true;
  $('#key-form').hidden = false;
  $('#forget-key').hidden = true;
}

$('#key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  connect($('#api-key').value.trim());
});
$('#forget-key').addEventListener('click', () => {
  showError(null);
  signOut();
});
$('#input-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  try {
    await gql(state.key, QUERIES.submitInput, {
      input: {
        caseId: state.selected,
        inputRequestId: form.dataset.requestId,
        providedContext: $('#input-answer').value,
      },
    });
    $('#input-sent').hidden = false;
    await loadDetail();
  } catch (error) {
    showError(error);
  }
});

// `/#key=ofk_…` opens the dashboard signed in (the fragment never reaches a server); it is then removed from the URL.
const fromHash = new URLSearchParams(location.hash.slice(1)).get('key');
if (fromHash) history.replaceState(null, '', location.pathname);
const saved = fromHash ?? localStorage.getItem(KEY_STORAGE);
if (saved) connect(saved);
