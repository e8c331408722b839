// How much one GraphQL operation may ask for. The schema has no cycles, so depth is bounded anyway; cost is what
// stops a query from fanning out into thousands of database reads, and the token and alias caps stop a cheap-looking
// document from being expensive to parse and validate.
import { getNamedType, isLeafType } from 'graphql';
import type { ComplexityEstimatorArgs } from 'graphql-query-complexity';
import { MAX_PAGE } from '../../services/cases/case-list.service';

export const QUERY_LIMITS = {
  /** graphql-js stops parsing past this many tokens; the largest checked-in operation has about 300. */
  maxTokens: 5_000,
  /** Selection depth, root fields at 1; the deepest useful path (cases.edges.node.attachments.download.url) is 6. */
  maxDepth: 10,
  /** Aliased fields in one document. */
  maxAliases: 30,
  /** Estimated cost (see `fieldCost`): 100 cases with every scalar field pass; 100 cases with all their lists do not. */
  maxCost: 5_000,
} as const;

/** Cost of reading one field that needs a query of its own, and how many items a list of it is assumed to hold. */
export const LOADED_LISTS: Record<string, { load: number; items: number }> = {
  'Case.messages': { load: 10, items: 20 },
  'Case.timeline': { load: 10, items: 20 },
  'Case.attachments': { load: 10, items: 10 },
  'Case.webhookDeliveries': { load: 10, items: 10 },
  'WebhookDelivery.attempts': { load: 0, items: 5 }, // loaded with the delivery
  'CaseStats.byStatus': { load: 0, items: 5 }, // one per status, loaded with the stats
  'CaseStats.perDay': { load: 0, items: 30 }, // the last 30 days, loaded with the stats
  'Query.webhookEndpoints': { load: 5, items: 20 }, // an account has at most 20
  'SuppressionConnection.edges': { load: 0, items: 100 }, // one page (first <= 100), loaded with Query.suppressions
  'Mutation.createCases': { load: 100, items: 100 }, // at most 100 inputs, written in a few statements
};

const LOADED_FIELDS: Record<string, number> = {
  'Query.case': 5,
  'Query.usage': 5,
  'Query.caseStats': 10, // two aggregate queries over the account's cases
  'Case.transcript': 10,
  'Attachment.download': 5, // signs a URL, or asks the mail provider for one
  'Mutation.createCase': 20,
  'Mutation.submitInput': 10,
  'Mutation.cancelCase': 10,
  'Mutation.rotateWebhookSecret': 10,
  'Mutation.deleteCase': 20,
  'Mutation.suppressAddress': 10,
  'Mutation.unsuppressAddress': 10,
  'Mutation.createWebhookEndpoint': 10,
  'Mutation.deleteWebhookEndpoint': 10,
  'Mutation.redeliverWebhook': 10,
  'Query.suppressions': 5,
  'Subscription.caseUpdated': 10,
  'Subscription.caseUpdates': 10,
};

/** The arguments `fieldCost` reads: a document whose variables reach none of them (nor a directive) has one cost. */
export const COST_ARGUMENTS: ReadonlySet<string> = new Set(['first']);

/**
 * The estimator for graphql-query-complexity: leaves are free (they come with their row), objects cost 1, fields
 * that load from the database cost their load, and lists multiply their items' cost by the page size or the
 * assumed length.
 */
export function fieldCost({ type, field, args, childComplexity }: ComplexityEstimatorArgs): number {
  if (field.name.startsWith('__')) return 0; // introspection reads the in-memory schema
  const key = `${type.name}.${field.name}`;
  if (key === 'Query.cases') {
    const first = typeof args.first === 'number' ? Math.min(Math.max(args.first, 1), MAX_PAGE) : 20;
    return 10 + first * childComplexity;
  }
  const list = LOADED_LISTS[key];
  if (list) return list.load + list.items * (1 + childComplexity);
  const loaded = LOADED_FIELDS[key];
  if (loaded !== undefined) return loaded + childComplexity;
  return isLeafType(getNamedType(field.type)) ? 0 : 1 + childComplexity;
}
