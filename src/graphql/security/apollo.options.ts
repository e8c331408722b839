// The Apollo Server options that limit what one request may ask for; http.server.ts spreads them into the constructor.
import type { ApolloServerOptions, BaseContext } from '@apollo/server';
import type { Config } from '../../config/env.config';
import type { ErrorFormatter } from './client.errors';
import { clientErrorFormatter } from './client.errors';
import { costLimitPlugin } from './cost.guard';
import { QUERY_LIMITS } from './operation.limits';
import { introspectionDisabledRule, shapeRules } from './validation.rules';

type SecurityOptions<T extends BaseContext> = Pick<
  ApolloServerOptions<T>,
  | 'introspection'
  | 'includeStacktraceInErrorResponses'
  | 'csrfPrevention'
  | 'allowBatchedHttpRequests'
  | 'parseOptions'
  | 'validationRules'
  | 'formatError'
  | 'persistedQueries'
>;

export const isProduction = (config: Pick<Config, 'NODE_ENV'>): boolean => config.NODE_ENV === 'production';

export function apolloSecurityOptions<T extends BaseContext>(
  config: Pick<Config, 'NODE_ENV'>,
  format: ErrorFormatter,
): SecurityOptions<T> {
  return {
    // Apollo's own refusal is worded for operators; ours (in validationRules) for the API's users.
    introspection: true,
    includeStacktraceInErrorResponses: false,
    // Refuses simple (CORS-less) requests: a browser on another site cannot make them with the user's cookies.
    csrfPrevention: true,
    // One operation per request, so the per-request limits below are per-operation limits.
    allowBatchedHttpRequests: false,
    // Automatic persisted queries would let a client store documents in our cache; nothing here uses them.
    persistedQueries: false,
    parseOptions: { maxTokens: QUERY_LIMITS.maxTokens },
    validationRules: [...shapeRules(), ...(isProduction(config) ? [introspectionDisabledRule()] : [])],
    formatError: clientErrorFormatter(format, isProduction(config)),
  };
}

/**
 * The cost limit, which needs the variables and so runs after validation. (The validation budget runs before
 * Apollo: validation-budget.guard.ts.)
 */
export const apolloSecurityPlugins = <T extends BaseContext>() => [costLimitPlugin<T>()];
