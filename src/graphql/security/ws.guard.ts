// graphql-ws hooks that give socket operations the same limits as HTTP ones (tokens, depth, aliases, cost,
// introspection, rate), cap open subscriptions per connection and per account, and format errors the same way.
// The caps answer RATE_LIMITED (with extensions.limit saying which), the contract's code for "too much at once".
import {
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import type { Context, ServerOptions } from 'graphql-ws';
import type { AuthenticatedAccount } from '../../services/accounts/account.service';
import type { KeyRateLimit } from '../../services/accounts/key-rate.types';
import { rateLimitedError } from './rate-limit.guard';
import type { ErrorFormatter } from './client.errors';
import { checkCost } from './cost.guard';
import { QUERY_LIMITS } from './operation.limits';
import { introspectionDisabledRule, shapeRules } from './validation.rules';
import { checkValidationBudget } from './validation-budget.guard';

// A type alias, not an interface: graphql-ws wants extra to be a Record.
export type WsExtra = { account?: AuthenticatedAccount };
type WsContext = Context<Record<string, unknown>, WsExtra>;
type Hooks = Pick<ServerOptions<Record<string, unknown>, WsExtra>, 'onSubscribe' | 'onNext' | 'onError' | 'onClose'>;

export interface WsGuardOptions {
  schema: GraphQLSchema;
  limiter: KeyRateLimit;
  format: ErrorFormatter;
  introspection: boolean;
  maxSubscriptionsPerConnection: number;
  maxSubscriptionsPerAccount: number;
}

const refusal = (message: string, code: string, extra: Record<string, unknown> = {}) =>
  new GraphQLError(message, { extensions: { code, ...extra } });

/** graphql-js's own errors carry no code; give them the ones Apollo gives over HTTP. */
const withCode = (error: GraphQLError, code: string) =>
  error.extensions.code
    ? error
    : new GraphQLError(error.message, { nodes: error.nodes ?? null, extensions: { ...error.extensions, code } });

export function wsGuard(options: WsGuardOptions): Hooks {
  const { schema, limiter, format } = options;
  // Connections by account, to count an account's open operations across its sockets; graphql-ws keeps each
  // socket's open operations in ctx.subscriptions (the new one included while onSubscribe runs).
  const connections = new Map<string, Set<WsContext>>();
  const rules: ValidationRule[] = [
    ...specifiedRules,
    ...shapeRules(),
    ...(options.introspection ? [] : [introspectionDisabledRule()]),
  ];
  const open = (ctx: WsContext) => Object.keys(ctx.subscriptions).length;

  const track = (ctx: WsContext, accountId: string): number => {
    const mine = connections.get(accountId) ?? new Set<WsContext>();
    mine.add(ctx);
    connections.set(accountId, mine);
    let total = 0;
    for (const c of mine) total += open(c);
    return total;
  };

  const limitError = (ctx: WsContext, account: AuthenticatedAccount): GraphQLError | null => {
    const rate = limiter.take(account.keyId);
    if (!rate.allowed) return rateLimitedError(rate.retryAfterSeconds, limiter.perMinute, { http: false });
    if (open(ctx) > options.maxSubscriptionsPerConnection)
      return refusal(
        `Too many operations open on this connection: at most ${options.maxSubscriptionsPerConnection}; complete one first`,
        'RATE_LIMITED',
        { limit: 'subscriptionsPerConnection', max: options.maxSubscriptionsPerConnection },
      );
    if (track(ctx, account.id) > options.maxSubscriptionsPerAccount)
      return refusal(
        `Too many operations open for this account: at most ${options.maxSubscriptionsPerAccount} across all connections`,
        'RATE_LIMITED',
        { limit: 'subscriptionsPerAccount', max: options.maxSubscriptionsPerAccount },
      );
    return null;
  };

  const parseDocument = (query: string): DocumentNode | GraphQLError => {
    try {
      return parse(query, { maxTokens: QUERY_LIMITS.maxTokens, noLocation: true });
    } catch (error) {
      if (error instanceof GraphQLError) return withCode(error, 'GRAPHQL_PARSE_FAILED');
      throw error;
    }
  };

  /**
   * Parsed and validated documents by query text. Thousands of clients subscribe with the same few queries; sharing
   * one document (parsed without locations) keeps each subscription from holding its own syntax tree.
   */
  const validDocuments = new Map<string, DocumentNode>();
  const validDocument = (query: string): DocumentNode | GraphQLError[] => {
    const known = validDocuments.get(query);
    if (known) return known;
    const document = parseDocument(query);
    if (document instanceof GraphQLError) return [document];
    const overBudget = checkValidationBudget(document);
    if (overBudget) return [overBudget];
    const invalid = validate(schema, document, rules);
    if (invalid.length) return invalid.map((e) => withCode(e, 'GRAPHQL_VALIDATION_FAILED'));
    if (validDocuments.size >= 1000) validDocuments.delete(validDocuments.keys().next().value!);
    validDocuments.set(query, document);
    return document;
  };

  const formatAll = (errors: readonly GraphQLError[]) => errors.map((e) => format(e.toJSON(), e));

  return {
    onSubscribe: (ctx, _id, payload) => {
      const account = ctx.extra.account;
      if (!account) return [refusal('Not authenticated', 'UNAUTHENTICATED')];
      const refused = limitError(ctx, account);
      if (refused) return [refused];
      const document = validDocument(payload.query);
      if (Array.isArray(document)) return document;
      const tooCostly = checkCost(schema, document, payload.variables, payload.operationName);
      if (tooCostly) return [tooCostly];
      return {
        schema,
        document,
        ...(payload.variables ? { variableValues: payload.variables } : {}),
        ...(payload.operationName ? { operationName: payload.operationName } : {}),
      };
    },
    onError: (_ctx, _id, _payload, errors) => formatAll(errors),
    onNext: (_ctx, _id, _payload, _args, result) =>
      result.errors ? { ...result, errors: formatAll(result.errors) } : undefined,
    onClose: (ctx) => {
      const accountId = ctx.extra.account?.id;
      const mine = accountId ? connections.get(accountId) : undefined;
      if (!mine) return;
      mine.delete(ctx);
      if (mine.size === 0) connections.delete(accountId!);
    },
  };
}
