// Builds CaseContexts for the agent tests: a plausible case with every field overridable.
import type { CaseContext, ThreadMessage } from '../../../src/agent/agent.types';

const T0 = Date.parse('2025-03-01T09:00:00Z');
const HOUR = 3_600_000;

export function outbound(
  text: string,
  hoursAfterStart = 0,
  subject = 'Acme Corp: Collect the March invoice number',
): ThreadMessage {
  return { direction: 'outbound', from: 'dana@acme.test', subject, text, at: new Date(T0 + hoursAfterStart * HOUR) };
}

export function inbound(text: string, hoursAfterStart = 1, subject: string | null = 'Re: invoice'): ThreadMessage {
  return {
    direction: 'inbound',
    from: 'Vendor Bob <bob@vendor.test>',
    subject,
    text,
    at: new Date(T0 + hoursAfterStart * HOUR),
  };
}

export function at(hoursAfterStart: number): string {
  return new Date(T0 + hoursAfterStart * HOUR).toISOString();
}

export function makeContext(overrides: Partial<CaseContext> = {}): CaseContext {
  return {
    caseId: 'case-0001',
    goal: { objective: 'Collect the March invoice number', knowledge: { vendorSince: 2021 } },
    counterparty: { address: 'bob@vendor.test', name: 'Bob', company: 'Vendor Ltd', timezone: 'Europe/Berlin' },
    senderPersona: { name: 'Dana', role: 'Accounts Payable', company: 'Acme Corp', tone: 'friendly' },
    constraints: { neverOffer: 'discounts' },
    resultSchema: null,
    attemptCount: 1,
    maxAttempts: 3,
    thread: [outbound('Hello Bob, could you send the March invoice number?', 0)],
    ...overrides,
  };
}

export const INVOICE_SCHEMA = {
  type: 'object',
  properties: {
    invoiceNumber: { type: 'string' },
    amount: { type: 'number' },
    paid: { type: 'boolean' },
  },
  required: ['invoiceNumber', 'amount'],
} as const satisfies Record<string, unknown>;
