import {
  buildWebhookEnvelope,
  webhookEventTypeFor,
  type WebhookCaseSnapshot,
} from '../../../src/webhooks/webhook-payload.mapper';

const CASE_ID = '3f1c2a9e-6b7d-4e1a-9c55-0d2f8e7b6a41';
const UPDATED_AT = new Date(1767225600123);

const attachment = {
  attachmentId: 'att_1',
  name: 'w9.pdf',
  size: 48213,
  type: 'application/pdf',
  messageId: '<msg-1@example.com>',
  inboxId: 'case-abc@mail.example.com',
  receivedAt: 1767225500000,
};

function snapshot(overrides: Partial<WebhookCaseSnapshot>): WebhookCaseSnapshot {
  return {
    caseId: CASE_ID,
    status: 'RUNNING',
    channel: 'EMAIL',
    attemptCount: 2,
    attachments: [],
    clientReferenceId: null,
    metadata: null,
    result: null,
    resultStatus: null,
    failureReason: null,
    inputRequest: null,
    updatedAt: UPDATED_AT,
    ...overrides,
  };
}

// Compared as JSON text so that key order, omitted keys and null-versus-absent are all part of the contract.
const json = (value: unknown): string => JSON.stringify(value);

describe('buildWebhookEnvelope', () => {
  it('builds case.completed with result, resultStatus and the optional echoes', () => {
    const envelope = buildWebhookEnvelope(
      'case.completed',
      snapshot({
        status: 'COMPLETED',
        attachments: [{ ...attachment, downloadUrl: 'https://leak.example/x' } as typeof attachment],
        clientReferenceId: 'vendor-42',
        metadata: { tier: 'gold', tags: ['a'] },
        result: { signed: true },
        resultStatus: 'goal_achieved',
      }),
    );
    expect(json(envelope)).toBe(
      json({
        event_id: `evt_${CASE_ID}_case_completed_1767225600123`,
        event_type: 'case.completed',
        timestamp: 1767225600123,
        data: {
          caseId: CASE_ID,
          status: 'COMPLETED',
          channel: 'EMAIL',
          attemptCount: 2,
          attachments: [attachment],
          clientReferenceId: 'vendor-42',
          metadata: { tier: 'gold', tags: ['a'] },
          result: { signed: true },
          resultStatus: 'goal_achieved',
        },
      }),
    );
  });

  it('builds case.failed with failureReason when there is one, and no result', () => {
    const envelope = buildWebhookEnvelope(
      'case.failed',
      snapshot({
        status: 'FAILED',
        resultStatus: 'BOUNCED',
        failureReason: 'mailbox does not exist',
        result: { x: 1 },
      }),
    );
    expect(json(envelope)).toBe(
      json({
        event_id: `evt_${CASE_ID}_case_failed_1767225600123`,
        event_type: 'case.failed',
        timestamp: 1767225600123,
        data: {
          caseId: CASE_ID,
          status: 'FAILED',
          channel: 'EMAIL',
          attemptCount: 2,
          attachments: [],
          resultStatus: 'BOUNCED',
          failureReason: 'mailbox does not exist',
        },
      }),
    );
  });

  it('omits failureReason on a failure without one', () => {
    const envelope = buildWebhookEnvelope('case.failed', snapshot({ status: 'FAILED', resultStatus: 'max_retries' }));
    expect(envelope.data).not.toHaveProperty('failureReason');
    expect(envelope.data.resultStatus).toBe('max_retries');
  });

  it('builds case.input_needed with the question flattened into four fields', () => {
    const envelope = buildWebhookEnvelope(
      'case.input_needed',
      snapshot({
        status: 'INPUT_NEEDED',
        clientReferenceId: 'po-7',
        inputRequest: {
          id: 'ir_9',
          question: 'Which PO number should the invoice carry?',
          status: 'PENDING',
          requestedAt: new Date(1767225590000),
        },
      }),
    );
    expect(json(envelope)).toBe(
      json({
        event_id: `evt_${CASE_ID}_case_input_needed_1767225600123`,
        event_type: 'case.input_needed',
        timestamp: 1767225600123,
        data: {
          caseId: CASE_ID,
          status: 'INPUT_NEEDED',
          channel: 'EMAIL',
          attemptCount: 2,
          attachments: [],
          clientReferenceId: 'po-7',
          inputRequest: 'Which PO number should the invoice carry?',
          inputRequestId: 'ir_9',
          inputRequestStatus: 'PENDING',
          inputRequestedAt: 1767225590000,
        },
      }),
    );
  });

  it('sends result: null on a completion without a result rather than dropping the key', () => {
    const envelope = buildWebhookEnvelope('case.completed', snapshot({ status: 'COMPLETED', result: undefined }));
    expect(json(envelope.data)).toContain('"result":null');
  });

  it('refuses case.input_needed without an input request', () => {
    expect(() => buildWebhookEnvelope('case.input_needed', snapshot({ status: 'INPUT_NEEDED' }))).toThrow(
      /without an input request/,
    );
  });

  it('is deterministic, so a rebuilt event has the same id and bytes', () => {
    const s = snapshot({ status: 'COMPLETED', result: { a: 1 } });
    expect(json(buildWebhookEnvelope('case.completed', s))).toBe(json(buildWebhookEnvelope('case.completed', s)));
  });
});

describe('webhookEventTypeFor', () => {
  it.each([
    ['COMPLETED', 'case.completed'],
    ['FAILED', 'case.failed'],
    ['INPUT_NEEDED', 'case.input_needed'],
    ['CREATED', null],
    ['RUNNING', null],
  ] as const)('%s -> %s', (status, expected) => {
    expect(webhookEventTypeFor(status)).toBe(expected);
  });
});
