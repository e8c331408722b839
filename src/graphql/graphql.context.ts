import type { AuthenticatedAccount } from '../services/accounts/account.service';
import { authenticateRequest } from '../services/accounts/request-auth.service';
import { AppError } from '../domain/app.errors';
import type { Services } from '../services/service.registry';
import type { KeyRateLimit } from '../services/accounts/key-rate.types';
import { toGraphQLError } from './graphql.errors';

export interface GraphQLContext {
  account: AuthenticatedAccount;
  services: Services;
  /** The per-key budget, for operations that cost more than one request (createCases). */
  limiter: KeyRateLimit;
}

/** The shared authentication, with its refusal as a GraphQL error (401/403 on HTTP). */
export async function authenticate(
  services: Services,
  headers: Record<string, unknown>,
): Promise<AuthenticatedAccount> {
  try {
    return await authenticateRequest(services.accounts, headers);
  } catch (error) {
    if (error instanceof AppError) throw toGraphQLError(error);
    throw error;
  }
}
