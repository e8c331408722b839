// The one way a request proves who it is, for every face (GraphQL over HTTP and graphql-ws, REST, the local inbound
// route): an API key in `x-api-key` or `Authorization: Bearer`. Faces map the AppError to their own shape.
import { AppError } from '../../domain/app.errors';
import type { AuthenticatedAccount } from './account.service';

export interface KeyAuthenticator {
  authenticate(apiKey: string): Promise<AuthenticatedAccount>;
}

/** The API key from `x-api-key` or `Authorization: Bearer`, in HTTP headers or graphql-ws connectionParams. */
export function apiKeyFrom(headers: Record<string, unknown>): string | null {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const direct = lower['x-api-key'];
  if (typeof direct === 'string' && direct.trim()) return direct.trim();
  const auth = lower.authorization;
  if (typeof auth === 'string') {
    const match = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (match?.[1]) return match[1].trim();
  }
  return null;
}

export async function authenticateRequest(
  accounts: KeyAuthenticator,
  headers: Record<string, unknown>,
): Promise<AuthenticatedAccount> {
  const key = apiKeyFrom(headers);
  if (!key) throw new AppError('UNAUTHENTICATED', 'Missing API key: send x-api-key or Authorization: Bearer');
  return accounts.authenticate(key);
}
