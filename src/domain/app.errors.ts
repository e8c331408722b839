// Expected failures carry a machine code; the faces (GraphQL, REST) map codes to their own shapes in one place each.

export const ERROR_CODES = [
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'CASE_NOT_FOUND',
  'ATTACHMENT_NOT_FOUND',
  'USAGE_LIMIT_REACHED',
  'CASE_NOT_WAITING_FOR_INPUT',
  'INPUT_REQUEST_NOT_PENDING',
  'INPUT_REQUEST_MISMATCH',
  'IDEMPOTENCY_KEY_REUSED',
  'RATE_LIMITED',
  'COUNTERPARTY_SUPPRESSED',
  'SMS_CONVERSATION_BUSY',
  'WEBHOOK_DELIVERY_NOT_FOUND',
  'CURSOR_EXPIRED',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface FieldIssue {
  path: string;
  message: string;
}

export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: { fields?: FieldIssue[]; [key: string]: unknown } = {},
  ) {
    super(message);
  }
}

export const badInput = (fields: FieldIssue[]): AppError =>
  new AppError('BAD_USER_INPUT', fields.map((f) => `${f.path}: ${f.message}`).join('; '), { fields });

/** One failing field: the usual shape of a refusal (`path: message`, with the path in extensions.fields). */
export const badField = (path: string, message: string): AppError => badInput([{ path, message }]);

export const caseNotFound = (): AppError => new AppError('CASE_NOT_FOUND', 'Case not found');
