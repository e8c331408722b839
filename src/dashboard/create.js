// The "New case" form: the seed's createCase fields, resultSchema, and the scheduling fields (startAt, sendWindow)
// when the server has them. JSON fields are parsed here only to report a typo early; the server validates everything.
/* global crypto, FormData */
import { $, el } from './dom.js';

const DAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'];

export function setUpCreateForm({ scheduling }) {
  $('#scheduling').hidden = !scheduling;
  if (!$('#f-days').childElementCount)
    $('#f-days').replaceChildren(
      ...DAYS.map((day) =>
        el(
          'label',
          { class: 'day' },
          el('input', { type: 'checkbox', name: 'days', value: day, checked: !['SAT', 'SUN'].includes(day) }),
          ` ${day}`,
        ),
      ),
    );
  const channel = $('#f-channel');
  if (!channel.dataset.bound) {
    channel.addEventListener('change', syncAddressField);
    channel.dataset.bound = 'true';
  }
  syncAddressField();
  const form = $('#create-form');
  // One key per filled-in form: a double submit or a retry after a lost answer creates one case, not two.
  if (!form.dataset.idempotencyKey) form.dataset.idempotencyKey = crypto.randomUUID();
}

/** SMS texts an E.164 number (SPEC §13): the address field asks for one, and the browser stops checking for an email. */
function syncAddressField() {
  const sms = $('#f-channel').value === 'SMS';
  const input = $('#f-cp-address');
  input.type = sms ? 'tel' : 'email';
  input.placeholder = sms ? '+15551234567' : '';
  $('label[for="f-cp-address"]').textContent = sms ? 'Phone number, E.164 (required)' : 'Email address (required)';
}

export function resetCreateForm() {
  const form = $('#create-form');
  form.reset();
  syncAddressField();
  delete form.dataset.idempotencyKey;
  showFieldErrors([]);
}

class FormError extends Error {
  constructor(fields) {
    super(fields.map((f) => `${f.path}: ${f.message}`).join('; '));
    this.fields = fields;
  }
}

function json(name, value, { object = false } = {}) {
  if (!value.trim()) return undefined;
  let parsed;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new FormError([{ path: name, message: `not valid JSON (${error.message})` }]);
  }
  if (object && (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)))
    throw new FormError([{ path: name, message: 'must be a JSON object' }]);
  return parsed;
}

const text = (value) => (value.trim() ? value.trim() : undefined);
const int = (value) => (value.trim() ? Number(value) : undefined);

/** The CreateCaseInput this form describes; throws FormError naming the field when a JSON field does not parse. */
export function readCreateForm(scheduling) {
  const data = new FormData($('#create-form'));
  const get = (name) => String(data.get(name) ?? '');
  const knowledgeText = get('knowledge').trim();
  const knowledge = knowledgeText.startsWith('{')
    ? json('goal.knowledge', knowledgeText, { object: true })
    : text(knowledgeText);
  const input = {
    channel: get('channel') || 'EMAIL',
    goal: { objective: get('objective').trim(), knowledge },
    counterparty: {
      address: get('cpAddress').trim(),
      name: get('cpName').trim(),
      company: text(get('cpCompany')),
      timezone: text(get('cpTimezone')),
    },
    senderPersona: {
      name: get('spName').trim(),
      role: text(get('spRole')),
      company: text(get('spCompany')),
      tone: text(get('spTone')),
    },
    clientReferenceId: text(get('clientReferenceId')),
    resultSchema: json('resultSchema', get('resultSchema'), { object: true }),
    constraints: json('constraints', get('constraints')),
    metadata: json('metadata', get('metadata'), { object: true }),
    clientWebhookUrl: text(get('clientWebhookUrl')),
    maxAttempts: int(get('maxAttempts')),
    followUpDelayHours: int(get('followUpDelayHours')),
  };
  if (scheduling) {
    const startAt = get('startAt');
    if (startAt) input.startAt = new Date(startAt).toISOString();
    const [start, end] = [get('windowStart'), get('windowEnd')];
    if (start && end)
      input.sendWindow = { days: data.getAll('days').map(String), start, end, timezone: text(get('windowTimezone')) };
  }
  return input;
}

/** Lists the failing fields under the form (the server's BAD_USER_INPUT paths, or a JSON typo found here). */
export function showFieldErrors(fields) {
  const list = $('#create-errors');
  list.hidden = !fields.length;
  list.replaceChildren(...fields.map((f) => el('li', { 'data-path': f.path }, `${f.path}: ${f.message}`)));
  if (fields.length) list.focus?.();
}

export function fieldErrorsOf(error) {
  if (error instanceof FormError) return error.fields;
  const fields = (error.errors ?? []).flatMap((e) => e.extensions?.fields ?? []);
  return fields.length ? fields : [{ path: '(input)', message: error.message }];
}
