// The case view: summary with the next action and why, the result checked against resultSchema, the thread (with
// attachments and unverified mail marked), the timeline, and webhook deliveries with every attempt.
import { $, badge, bytes, el, relative, time } from './dom.js';

const TERMINAL = new Set(['COMPLETED', 'FAILED']);
export const isTerminal = (status) => TERMINAL.has(status);

/** What Offload will do next for this case, and why, from its status and schedule. */
export function nextAction(c, extras = {}) {
  const at = (iso) => `${time(iso)} (${relative(iso)})`;
  switch (c.status) {
    case 'CREATED':
      return extras.startAt && new Date(extras.startAt) > new Date()
        ? `Outreach at ${at(extras.startAt)}: the case was scheduled to start then.`
        : 'Writing and sending the first email now.';
    case 'RUNNING':
      if (!c.nextActionAt) return 'Reading the latest reply: the agent decides what to do with it.';
      // followUpCount (SPEC §9) counts follow-ups since their last message; older servers only have attemptCount.
      return (
        extras.followUpCount !== undefined ? extras.followUpCount >= c.maxAttempts : c.attemptCount > c.maxAttempts
      )
        ? `Giving up at ${at(c.nextActionAt)} unless they reply: all ${c.maxAttempts} follow-ups have been sent.`
        : `Follow-up at ${at(c.nextActionAt)} if no reply comes: ${c.attemptCount} message(s) sent, up to ${c.maxAttempts} follow-ups.`;
    case 'INPUT_NEEDED':
      return 'Waiting for you: answer the question below and the case goes on.';
    case 'COMPLETED':
      return `Nothing: the goal was achieved (${c.resultStatus ?? 'completed'}).`;
    case 'FAILED':
      return `Nothing: the case failed (${c.resultStatus ?? 'failed'}${c.failureReason ? `: ${c.failureReason}` : ''}).`;
    default:
      return '—';
  }
}

export function renderSummary(c, extras) {
  $('#detail-title').replaceChildren(badge(c.status), ' ', el('span', {}, c.goal.objective));
  $('#next-action').replaceChildren(el('strong', {}, 'Next: '), nextAction(c, extras));
  const persona = [c.senderPersona.name, c.senderPersona.role, c.senderPersona.company].filter(Boolean).join(', ');
  const window = extras.sendWindow
    ? `${extras.sendWindow.days.join(' ')} ${extras.sendWindow.start}–${extras.sendWindow.end} ${extras.sendWindow.timezone ?? ''}` +
      (extras.sendWindow.nextOpenAt ? `, next open ${time(extras.sendWindow.nextOpenAt)}` : '')
    : null;
  const facts = [
    ['Case', el('code', { id: 'case-id' }, c.id)],
    ['Channel', c.channel === 'SMS' ? 'SMS (text messages)' : 'Email'],
    [
      'Counterparty',
      `${c.counterparty.name} <${c.counterparty.address}>${c.counterparty.company ? `, ${c.counterparty.company}` : ''}`,
    ],
    ['Sender', persona],
    ['Reference', c.clientReferenceId ?? '—'],
    ['Attempts', `${c.attemptCount} sent · up to ${c.maxAttempts} follow-ups every ${c.followUpDelayHours} h`],
    ['Next action', c.nextActionAt ? `${time(c.nextActionAt)} (${relative(c.nextActionAt)})` : '—'],
    extras.startAt !== undefined ? ['Starts', time(extras.startAt)] : null,
    window ? ['Send window', window] : null,
    extras.followUpCount !== undefined
      ? ['Follow-ups', `${extras.followUpCount} of ${c.maxAttempts} since their last message`]
      : null,
    ['Result status', c.resultStatus ?? '—'],
    ['Failure reason', c.failureReason ?? '—'],
    ['Webhook URL', c.clientWebhookUrl ?? '—'],
    ['Created', time(c.createdAt)],
  ].filter(Boolean);
  $('#summary').replaceChildren(
    ...facts.flatMap(([name, value]) => [el('dt', {}, name), el('dd', { 'data-field': name }, value)]),
  );
  $('#cancel-open').hidden = isTerminal(c.status);
  if (isTerminal(c.status)) $('#cancel-form').hidden = true;
}

export function renderInputForm(c) {
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

const typeOf = (value) =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
const typeMatches = (expected, value) => {
  const types = [expected].flat().filter(Boolean);
  const actual = typeOf(value);
  return !types.length || types.includes(actual) || (actual === 'integer' && types.includes('number'));
};

/** The result beside its schema: one row per declared property with its value and whether it fits. */
export function renderResult(c) {
  const box = $('#result');
  const props = c.resultSchema?.properties;
  const hasResult = c.result !== null && c.result !== undefined;
  const parts = [];
  if (!hasResult) parts.push(el('p', { class: 'hint' }, isTerminal(c.status) ? 'No result.' : 'No result yet.'));
  if (props && typeof props === 'object') {
    const required = new Set(c.resultSchema.required ?? []);
    const result = hasResult && typeof c.result === 'object' ? c.result : {};
    const rows = Object.entries(props).map(([name, schema]) => {
      const present = Object.prototype.hasOwnProperty.call(result, name);
      const ok = present ? typeMatches(schema?.type, result[name]) : !required.has(name);
      const verdict = !hasResult ? 'pending' : ok ? 'ok' : present ? 'wrong type' : 'missing';
      return el(
        'tr',
        { 'data-property': name, 'data-verdict': verdict },
        el('th', { scope: 'row' }, name),
        el('td', {}, `${[schema?.type ?? 'any'].flat().join(' | ')}${required.has(name) ? ' · required' : ''}`),
        el('td', { class: 'mono' }, present ? JSON.stringify(result[name]) : '—'),
        el('td', {}, el('span', { class: `verdict verdict-${verdict.replace(' ', '-')}` }, verdict)),
      );
    });
    parts.push(
      el(
        'div',
        { class: 'table-wrap' },
        el(
          'table',
          { class: 'result-table' },
          el('caption', {}, 'Result against the case’s resultSchema'),
          el(
            'thead',
            {},
            el(
              'tr',
              {},
              ['Property', 'Schema', 'Value', 'Check'].map((h) => el('th', { scope: 'col' }, h)),
            ),
          ),
          el('tbody', {}, rows),
        ),
      ),
    );
  }
  if (hasResult) parts.push(el('pre', { class: 'json', 'data-field': 'Result' }, JSON.stringify(c.result)));
  box.replaceChildren(...parts);
}

export function renderThread(c, verified) {
  const byMessage = new Map();
  for (const a of c.attachments) byMessage.set(a.messageId ?? '', [...(byMessage.get(a.messageId ?? '') ?? []), a]);
  const attachmentList = (list) =>
    list?.length
      ? el(
          'ul',
          { class: 'attachments' },
          list.map((a) =>
            el(
              'li',
              {},
              el(
                'a',
                { href: a.download.url, download: a.name ?? 'attachment', 'data-attachment-id': a.id },
                a.name ?? 'attachment',
              ),
              ` ${a.type ?? ''} · ${bytes(a.size)}`,
            ),
          ),
        )
      : null;
  // In the order they happened: a reply can be stored before the outreach it answers has been recorded as sent.
  const at = (m) => m.sentAt ?? m.receivedAt ?? '';
  const messages = c.messages.map((m, i) => [m, i]).sort(([a, i], [b, j]) => at(a).localeCompare(at(b)) || i - j);
  // A text has no subject: the thread shows numbers and bodies only.
  const sms = c.channel === 'SMS';
  const items = messages.map(([m]) => {
    const unverified = verified?.get(m.id) === false;
    const received = m.direction.toLowerCase() === 'inbound';
    return el(
      'li',
      { class: `message ${m.direction.toLowerCase()}`, 'data-message-id': m.id },
      el(
        'div',
        { class: 'meta' },
        el('span', { class: 'direction' }, `${received ? 'Received' : 'Sent'}${sms ? ' text' : ''}`),
        ` ${m.from} → ${m.to.join(', ')} · ${time(m.sentAt ?? m.receivedAt)}`,
        m.deliveryStatus ? ` · ${m.deliveryStatus}` : '',
        unverified
          ? el(
              'span',
              { class: 'unverified', title: 'The sender could not be verified (SPF/DKIM)' },
              'unverified sender',
            )
          : null,
      ),
      sms ? null : el('div', { class: 'subject' }, m.subject ?? '(no subject)'),
      el('pre', { class: 'body' }, m.text ?? ''),
      attachmentList(byMessage.get(m.id)),
    );
  });
  const known = new Set(c.messages.map((m) => m.id));
  const loose = c.attachments.filter((a) => !known.has(a.messageId ?? ''));
  if (loose.length)
    items.push(
      el('li', { class: 'message' }, el('div', { class: 'meta' }, 'Other attachments'), attachmentList(loose)),
    );
  if (!items.length) items.push(el('li', { class: 'hint' }, 'No messages yet.'));
  $('#thread').replaceChildren(...items);
}

export function renderTimeline(events) {
  $('#timeline').replaceChildren(
    ...events.map((e) =>
      el(
        'li',
        { 'data-type': e.type },
        el('time', { datetime: e.occurredAt }, time(e.occurredAt)),
        ` ${e.type}`,
        e.fromStatus !== e.toStatus ? ` (${e.fromStatus ?? 'new'} → ${e.toStatus})` : '',
      ),
    ),
  );
}

/** `onRedeliver(delivery)`: null hides the buttons (the server has no redeliverWebhook). */
export function renderDeliveries(deliveries, onRedeliver) {
  const list = $('#deliveries');
  if (!deliveries)
    return list.replaceChildren(el('li', { class: 'hint' }, 'This server does not report webhook deliveries.'));
  if (!deliveries.length)
    return list.replaceChildren(el('li', { class: 'hint' }, 'No webhook sent (yet) for this case.'));
  list.replaceChildren(
    ...deliveries.map((d) =>
      el(
        'li',
        { class: 'delivery', 'data-delivery-id': d.id, 'data-event-type': d.eventType, 'data-status': d.status },
        el(
          'div',
          { class: 'delivery-head' },
          el('span', { class: `status status-${d.status}` }, d.status),
          ` ${d.eventType} → `,
          el('span', { class: 'url' }, d.url),
          onRedeliver && ['DELIVERED', 'FAILED'].includes(d.status)
            ? el(
                'button',
                { type: 'button', class: 'small redeliver', on: { click: () => onRedeliver(d) } },
                'Redeliver',
              )
            : null,
        ),
        d.nextAttemptAt ? el('div', { class: 'hint' }, `next attempt ${time(d.nextAttemptAt)}`) : null,
        el(
          'ol',
          { class: 'attempts' },
          d.attempts.map((a) =>
            el(
              'li',
              { 'data-ok': String(a.ok) },
              `#${a.attemptNumber} ${time(a.attemptedAt)} · `,
              a.ok ? `HTTP ${a.statusCode}` : (a.errorCode ?? `HTTP ${a.statusCode ?? '—'}`),
              a.durationMs !== null && a.durationMs !== undefined ? ` · ${a.durationMs} ms` : '',
              !a.ok && a.errorMessage ? ` · ${a.errorMessage}` : '',
            ),
          ),
        ),
      ),
    ),
  );
}
