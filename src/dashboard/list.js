// The list view: counts per status (which double as the status filter), search, the page of cases, paging links,
// and the overview beside it (usage against the plan, cases per day).
/* global document, CSS, URLSearchParams */
import { renderChart } from './chart.js';
import { $, badge, el, relative, time } from './dom.js';

export const STATUSES = ['CREATED', 'RUNNING', 'INPUT_NEEDED', 'COMPLETED', 'FAILED'];

/** The list's URL for a filter: `/?status=FAILED&q=vera&after=…`; empty values are left out. */
export function listHref({ status = null, q = '', after = null } = {}) {
  const params = new URLSearchParams();
  if (status) params.set('status', status);
  if (q) params.set('q', q);
  if (after) params.set('after', after);
  const query = params.toString();
  return query ? `/?${query}` : '/';
}

export function renderCounts(route, stats) {
  const counts = new Map((stats?.byStatus ?? []).map((s) => [s.status, s.count]));
  const chip = (status, label, count) =>
    el(
      'li',
      {},
      el(
        'a',
        {
          href: listHref({ status, q: route.q }),
          'data-nav': true,
          'data-status-filter': status ?? 'ALL',
          class: `chip ${status ? `status-${status}` : ''}`,
          'aria-current': (route.status ?? null) === status ? 'page' : false,
        },
        `${label} `,
        el('span', { class: 'count' }, stats ? String(count) : '…'),
      ),
    );
  $('#status-counts').replaceChildren(
    chip(null, 'All', stats?.total ?? 0),
    ...STATUSES.map((status) => chip(status, status.replace('_', ' ').toLowerCase(), counts.get(status) ?? 0)),
  );
}

export function renderUsage(usage) {
  // An account without a monthly limit reports the largest Int (SPEC §14): say so rather than print the number.
  if (usage.limit >= 2147483647) {
    $('#usage').replaceChildren(
      el(
        'p',
        { class: 'usage-line', 'data-usage': `${usage.createdThisMonth}/none` },
        el('strong', {}, `${usage.createdThisMonth}`),
        ' cases created, no monthly limit',
      ),
      el('p', { class: 'hint' }, `${usage.billableThisMonth} billable finished · ${usage.plan} plan`),
    );
    return;
  }
  const used = Math.max(usage.createdThisMonth, usage.billableThisMonth);
  const share = Math.min(100, Math.round((100 * used) / Math.max(1, usage.limit)));
  const bar = el('div', { class: `usage-bar ${share >= 90 ? 'full' : ''}` });
  // A width from JS (CSSOM), not an inline style attribute: allowed under a strict style-src.
  bar.style.width = `${share}%`;
  $('#usage').replaceChildren(
    el(
      'p',
      { class: 'usage-line', 'data-usage': `${usage.createdThisMonth}/${usage.limit}` },
      el('strong', {}, `${usage.createdThisMonth} of ${usage.limit}`),
      ' cases created',
    ),
    el('div', { class: 'usage-track', role: 'presentation' }, bar),
    el(
      'p',
      { class: 'hint' },
      `${usage.billableThisMonth} billable finished · ${usage.plan} plan · resets on the 1st (UTC)`,
    ),
  );
}

export function renderOverview(route, overview) {
  renderCounts(route, overview.caseStats);
  renderUsage(overview.usage);
  renderChart($('#chart'), overview.caseStats.perDay);
}

function caseRow(c) {
  const href = `/case/${encodeURIComponent(c.id)}`;
  const row = el(
    'tr',
    { 'data-case-id': c.id },
    el('td', {}, badge(c.status)),
    el(
      'td',
      { class: 'objective' },
      el('a', { href, 'data-nav': true, title: c.goal.objective }, c.goal.objective),
      c.clientReferenceId ? el('span', { class: 'ref' }, c.clientReferenceId) : null,
    ),
    el(
      'td',
      { class: 'counterparty' },
      el('span', {}, c.counterparty.name),
      el('span', { class: 'address' }, c.counterparty.address),
    ),
    el(
      'td',
      { class: 'col-created' },
      el('time', { datetime: c.createdAt, title: time(c.createdAt) }, relative(c.createdAt)),
    ),
  );
  // The whole row opens the case for a pointer; the link inside is what the keyboard reaches.
  row.addEventListener('click', (event) => {
    if (event.target.closest('a')) return;
    row.querySelector('a').click();
  });
  return row;
}

export function renderList(route, page, pages) {
  const rows = page.edges.map((e) => e.node);
  const filtered = Boolean(route.status || route.q);
  const hint = $('#empty-hint');
  hint.hidden = rows.length > 0;
  hint.textContent = filtered
    ? 'No case matches this filter.'
    : 'No cases yet. Create one with “New case” above, or through the GraphQL or REST API with this key.';
  $('#cases tbody').replaceChildren(...rows.map(caseRow));

  const prevAfter = pages.at(-1);
  const prev = $('#prev-page');
  const next = $('#next-page');
  const first = $('#first-page');
  first.hidden = !route.after;
  first.href = listHref({ status: route.status, q: route.q });
  prev.hidden = !route.after;
  prev.href = listHref({ status: route.status, q: route.q, after: prevAfter ?? null });
  prev.dataset.historyState = JSON.stringify({ pages: pages.slice(0, -1) });
  next.hidden = !page.pageInfo.hasNextPage;
  next.href = listHref({ status: route.status, q: route.q, after: page.pageInfo.endCursor });
  next.dataset.historyState = JSON.stringify({ pages: [...pages, route.after ?? null] });
  $('#page-info').textContent = `Page ${pages.length + 1}${rows.length ? ` · ${rows.length} shown` : ''}`;
}

/** Updates one row in place from a live update; false when the case is not on this page. */
export function updateRow(c) {
  const old = document.querySelector(`#cases tr[data-case-id="${CSS.escape(c.id)}"]`);
  if (!old) return false;
  old.replaceWith(caseRow(c));
  return true;
}
