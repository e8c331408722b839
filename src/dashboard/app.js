// The dashboard: an operator's console over one account. Three views, each with its own URL so it can be linked and
// reloaded: the list (`/?status=&q=&after=`), a case (`/case/:id`) and the new-case form (`/new`). Everything stays
// live over one graphql-ws subscription. Every piece of case data goes into the page as text, never as HTML.
/* global document, localStorage, location, history, URLSearchParams, setInterval, clearInterval, setTimeout,
   clearTimeout, window */
import { gql, QUERIES, subscribeUpdates } from './api.js';
import {
  renderDeliveries,
  renderInputForm,
  renderResult,
  renderSummary,
  renderThread,
  renderTimeline,
} from './case-view.js';
import { wireActions } from './actions.js';
import { setUpCreateForm } from './create.js';
import { $, el } from './dom.js';
import { renderList, renderOverview, STATUSES, updateRow } from './list.js';

const KEY_STORAGE = 'offload.apiKey';
const PAGE_SIZE = 20;
const DELIVERIES_REFRESH_MS = 3000;
const state = {
  key: null,
  route: null,
  stopLive: null,
  overview: null,
  detail: null,
  extras: {},
  loading: null,
  deliveriesTimer: null,
  features: { scheduling: null, redeliver: true },
  timers: {},
};

// ---- routing ----------------------------------------------------------------------------------------------------

function parseRoute() {
  const caseMatch = /^\/case\/([^/]+)$/.exec(location.pathname);
  if (caseMatch) return { view: 'case', id: decodeURIComponent(caseMatch[1]) };
  if (location.pathname === '/new') return { view: 'new' };
  const params = new URLSearchParams(location.search);
  const status = params.get('status');
  return {
    view: 'list',
    status: STATUSES.includes(status) ? status : null,
    q: (params.get('q') ?? '').slice(0, 200),
    after: params.get('after'),
  };
}

async function navigate(href, historyState = null) {
  history.pushState(historyState, '', href);
  window.scrollTo(0, 0);
  const shown = show();
  // Like a page load for a screen reader or keyboard user: focus starts at the top of the new view.
  if (state.route.view !== 'new') $('#main').focus();
  await shown;
}

// Links marked data-nav change the view without a page load; a modified click still opens a new tab.
document.addEventListener('click', (event) => {
  const link = event.target.closest?.('a[data-nav]');
  if (!link || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  void navigate(link.getAttribute('href'), link.dataset.historyState ? JSON.parse(link.dataset.historyState) : null);
});
window.addEventListener('popstate', () => void show());

/** Shows the view of the current URL and loads its data. */
async function show() {
  const route = (state.route = parseRoute());
  const signedIn = Boolean(state.key);
  $('#signin').hidden = signedIn;
  $('#list-view').hidden = !signedIn || route.view !== 'list';
  $('#case-view').hidden = !signedIn || route.view !== 'case';
  $('#new-view').hidden = !signedIn || route.view !== 'new';
  clearInterval(state.deliveriesTimer);
  if (!signedIn) {
    document.title = 'Sign in · Offload';
    return;
  }
  if (route.view === 'list') {
    $('#search').value = route.q;
    document.title =
      route.status || route.q
        ? `Cases (${[route.status, route.q].filter(Boolean).join(', ')}) · Offload`
        : 'Cases · Offload';
    if (state.overview) renderOverview(route, state.overview);
    await Promise.all([loadList(), loadOverview()]);
  } else if (route.view === 'case') {
    if (state.detail?.id !== route.id) {
      state.detail = null;
      state.extras = {};
      $('#detail-title').textContent = 'Loading…';
      for (const id of ['#summary', '#thread', '#timeline', '#deliveries', '#result', '#next-action'])
        $(id).replaceChildren();
      $('#input-form').hidden = true;
      $('#cancel-form').hidden = true;
    }
    await loadDetail();
  } else {
    document.title = 'New case · Offload';
    if (state.features.scheduling === null) state.features.scheduling = await probe(QUERIES.scheduling);
    setUpCreateForm({ scheduling: state.features.scheduling });
    $('#f-objective').focus();
  }
}

// ---- messages -----------------------------------------------------------------------------------------------------

function showError(error) {
  const box = $('#error');
  box.textContent = error ? String(error.message ?? error) : '';
  box.hidden = !error;
  // A refused key: ask for another one rather than showing an empty account.
  if (error?.authFailed) signOut();
}

function notify(message) {
  const box = $('#notice');
  box.textContent = message;
  box.hidden = false;
  clearTimeout(state.timers.notice);
  state.timers.notice = setTimeout(() => (box.hidden = true), 4000);
}

/** "Signed in · BASE_PRO plan · key …abcd": which account this is, without showing the key. */
function showAccount(plan) {
  $('#account-label').replaceChildren(
    'Signed in',
    plan ? ` · ${plan} plan` : '',
    el('span', { class: 'key-hint' }, ` · key …${state.key.slice(-4)}`),
  );
}

function setLive(live) {
  const node = $('#live-status');
  node.textContent = live ? 'live' : 'offline';
  node.className = live ? 'live' : 'offline';
}

/** Runs `fn` once after a burst of calls under `name` settles: a burst of live updates costs one reload. */
function debounce(name, fn, ms = 250) {
  clearTimeout(state.timers[name]);
  state.timers[name] = setTimeout(fn, ms);
}

async function probe(query) {
  try {
    await gql(state.key, query);
    return true;
  } catch (error) {
    if (error.authFailed) showError(error);
    return false;
  }
}

// ---- list and overview --------------------------------------------------------------------------------------------

async function loadList() {
  const route = state.route;
  if (route.view !== 'list') return;
  const filter = {};
  if (route.status) filter.status = [route.status];
  if (route.q) filter.search = route.q;
  try {
    const { cases } = await gql(state.key, QUERIES.cases, { filter, first: PAGE_SIZE, after: route.after });
    if (state.route !== route) return;
    renderList(route, cases, history.state?.pages ?? []);
    showError(null);
  } catch (error) {
    showError(error);
  }
}

async function loadOverview() {
  try {
    const overview = (state.overview = await gql(state.key, QUERIES.overview));
    showAccount(overview.usage.plan);
    if (state.route.view === 'list') renderOverview(state.route, overview);
  } catch (error) {
    showError(error);
  }
}

// ---- one case -----------------------------------------------------------------------------------------------------

async function loadDeliveries() {
  const id = state.route.id;
  if (!id || !state.key) return;
  const deliveries = await gql(state.key, QUERIES.deliveries, { id }).then(
    (data) => data.case?.webhookDeliveries ?? [],
    () => null,
  );
  if (id === state.route.id) renderDeliveries(deliveries, state.features.redeliver ? redeliver : null);
}

/** Loads the open case; overlapping reloads (a burst of live updates) collapse into one more run. */
async function loadDetail() {
  if (state.loading) return void (state.loading.again = true);
  const run = (state.loading = { again: false });
  try {
    const id = state.route.id;
    const [{ case: c }, extras] = await Promise.all([
      gql(state.key, QUERIES.detail, { id }),
      // Fields other engineers are adding; without them the view simply leaves them out.
      gql(state.key, QUERIES.detailExtras, { id }).then(
        (data) => data.case ?? {},
        () => ({}),
      ),
    ]);
    if (id !== state.route.id) return;
    if (!c) {
      $('#detail-title').textContent = 'No such case';
      $('#next-action').textContent = 'This account has no case with that id.';
      $('#cancel-open').hidden = true;
      return;
    }
    state.detail = c;
    state.extras = extras;
    document.title = `${c.status} · ${c.goal.objective.slice(0, 60)} · Offload`;
    renderSummary(c, extras);
    renderInputForm(c);
    renderResult(c);
    renderThread(c, extras.messages ? new Map(extras.messages.map((m) => [m.id, m.verified])) : null);
    renderTimeline(c.timeline);
    await loadDeliveries();
    clearInterval(state.deliveriesTimer);
    // Deliveries have no subscription: while a case with a webhook URL is open, they are re-read every few seconds.
    if (c.clientWebhookUrl && state.route.view === 'case')
      state.deliveriesTimer = setInterval(() => void loadDeliveries(), DELIVERIES_REFRESH_MS);
  } catch (error) {
    showError(error);
  } finally {
    state.loading = null;
    if (run.again) void loadDetail();
  }
}

async function redeliver(delivery) {
  try {
    await gql(state.key, QUERIES.redeliver, { id: delivery.id });
    notify(`Webhook ${delivery.eventType} queued for redelivery.`);
    await loadDeliveries();
  } catch (error) {
    if (error.unsupported) {
      // redeliverWebhook is being added (SPEC §11); until the server has it, the buttons go away.
      state.features.redeliver = false;
      notify('This server cannot redeliver webhooks yet.');
      await loadDeliveries();
    } else showError(error);
  }
}

// ---- live updates -------------------------------------------------------------------------------------------------

function onUpdate(update) {
  const route = state.route;
  if (route.view === 'list') {
    const visible = !route.status || update.case.status === route.status;
    if (!visible || !updateRow(update.case)) debounce('list', () => void loadList());
    else if (!route.q && update.type === 'case.created') debounce('list', () => void loadList());
  }
  debounce('overview', () => void loadOverview(), 400);
  if (route.view === 'case' && update.case.id === route.id) void loadDetail();
}

function connect(key) {
  state.key = key;
  localStorage.setItem(KEY_STORAGE, key);
  $('#account').hidden = false;
  showAccount(null);
  state.stopLive?.();
  state.stopLive = subscribeUpdates(key, {
    onUpdate,
    onConnected: () => {
      setLive(true);
      // Nothing is replayed after a reconnect yet: reload what is on screen so a missed change still shows. Once
      // caseUpdates takes `after` (SPEC §10), pass the last cursor seen here and drop these reloads.
      void loadOverview();
      if (state.route?.view === 'list') void loadList();
      if (state.route?.view === 'case') void loadDetail();
    },
    onClosed: () => setLive(false),
    onError: showError,
  });
  void show();
}

function signOut() {
  state.stopLive?.();
  state.stopLive = null;
  state.key = null;
  state.overview = null;
  state.detail = null;
  state.features = { scheduling: null, redeliver: true };
  clearInterval(state.deliveriesTimer);
  localStorage.removeItem(KEY_STORAGE);
  setLive(false);
  $('#account').hidden = true;
  $('#account-label').textContent = '';
  $('#cases tbody').replaceChildren();
  $('#api-key').value = '';
  void show();
}

wireActions({ state, connect, signOut, navigate, loadDetail, notify, showError });

// `/#key=ofk_…` opens the dashboard signed in (the fragment never reaches a server); it is then removed from the URL.
const fromHash = new URLSearchParams(location.hash.slice(1)).get('key');
if (fromHash) history.replaceState(history.state, '', location.pathname + location.search);
const saved = fromHash ?? localStorage.getItem(KEY_STORAGE);
if (saved) connect(saved);
else void show();
