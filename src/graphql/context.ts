import { GraphQLError } from 'graphql';
import type { AuthenticatedAccount } from '../services/accounts/account.service';
import { AppError } from '../domain/errors';
import type { Services } from '../services/service.registry';

export interface GraphQLContext {
  account: AuthenticatedAccount;
  services: Services;
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

export async function authenticate(
  services: Services,
  headers: Record<string, unknown>,
): Promise<AuthenticatedAccount> {
  const key = apiKeyFrom(headers);
  try {
    if (!key) throw new AppError('UNAUTHENTICATED', 'Missing API key: send x-api-key or Authorization: Bearer');
    return await services.accounts.authenticate(key);
  } catch (error) {
    if (error instanceof AppError) {
      const status = error.code === 'FORBIDDEN' ? 403 : 401;
      throw new GraphQLError(error.message, { extensions: { code: error.code, http: { status } } });
    }
    throw error;
  }
}
