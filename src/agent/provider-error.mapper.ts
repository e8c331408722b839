// Turns what the openai client throws into an AgentCallError whose kind says what a retry can achieve (see
// agent.types.ts). Anything that is not a provider error (a bug, an AgentOutputError) passes through untouched.
import { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import { AgentCallError, type AgentFailureKind } from './agent.types';
import { declaredRequestLimit, waitFromHeaders } from './reset-header.parser';

/** Error codes that mean "this key or model cannot be used", whatever the status says. */
const UNAVAILABLE_CODES = new Set(['insufficient_quota', 'model_not_found', 'invalid_api_key', 'account_deactivated']);

export function classifyProviderError(error: unknown, now = Date.now()): unknown {
  if (!(error instanceof APIError) || error instanceof APIUserAbortError) return error;
  const status = typeof error.status === 'number' ? error.status : null;
  const code = typeof error.code === 'string' ? error.code : null;
  const kind = kindOf(error, status, code);
  const waitMs = kind === 'rate_limited' || kind === 'transient' ? waitFromHeaders(error.headers, now) : null;
  const declaredPerMinute = kind === 'rate_limited' ? declaredRequestLimit(error.headers) : null;
  return new AgentCallError(
    { kind, message: error.message, status, code, waitMs, declaredPerMinute },
    { cause: error },
  );
}

function kindOf(error: APIError, status: number | null, code: string | null): AgentFailureKind {
  if (code && UNAVAILABLE_CODES.has(code)) return 'unavailable';
  if (error instanceof APIConnectionError || status === null) return 'transient';
  if (status === 401 || status === 403 || status === 404) return 'unavailable';
  if (status === 429 || status === 503) return 'rate_limited';
  if (status === 408 || status === 409 || status >= 500) return 'transient';
  return 'invalid_request';
}
