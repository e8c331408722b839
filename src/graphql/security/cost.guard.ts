// The cost limit needs the operation's variables (cases(first: $n)), so it runs once the operation is resolved: in
// an Apollo plugin for HTTP and in the graphql-ws guard for sockets.
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError, visit, type DocumentNode, type GraphQLSchema } from 'graphql';
import { getComplexity } from 'graphql-query-complexity';
import { COST_ARGUMENTS, fieldCost, QUERY_LIMITS } from './operation.limits';

const TOO_MANY_NODES = 'Query exceeds the maximum allowed number of nodes.';

const costError = (message: string, actual: number | null) =>
  new GraphQLError(message, {
    extensions: {
      code: 'GRAPHQL_VALIDATION_FAILED',
      limit: 'cost',
      max: QUERY_LIMITS.maxCost,
      ...(actual === null ? {} : { actual }),
      http: { status: 400 },
    },
  });

type Cost = number | 'too-large';

/**
 * Costs of documents whose variables cannot change their cost, by schema, document and operation name. Apollo hands
 * every request for a query it has seen the same parsed document, so the hot operations (createCase above all) are
 * estimated once rather than walked again on every request.
 */
const fixedCosts = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, Cost>>>();

/** Whether a variable reaches an argument the estimator reads, or a directive (@skip/@include change what is counted). */
function variablesAffectCost(document: DocumentNode): boolean {
  let affects = false;
  let depth = 0; // how many cost arguments or directives the visitor is inside
  const enter = () => void (depth += 1);
  const leave = () => void (depth -= 1);
  visit(document, {
    Argument: {
      enter: (node) => (COST_ARGUMENTS.has(node.name.value) ? enter() : undefined),
      leave: (node) => (COST_ARGUMENTS.has(node.name.value) ? leave() : undefined),
    },
    Directive: { enter, leave },
    Variable: () => void (affects ||= depth > 0),
  });
  return affects;
}

/** The estimated cost, or null when the variables do not coerce (execution then refuses them with a precise message). */
function estimate(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | null | undefined,
  operationName: string | null | undefined,
): Cost | null {
  try {
    return getComplexity({
      schema,
      query: document,
      variables: variables ?? {},
      ...(operationName ? { operationName } : {}),
      estimators: [fieldCost],
    });
  } catch (error) {
    if (error instanceof Error && error.message === TOO_MANY_NODES) return 'too-large';
    return null;
  }
}

function costOf(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | null | undefined,
  operationName: string | null | undefined,
): Cost | null {
  let byDocument = fixedCosts.get(schema);
  if (!byDocument) fixedCosts.set(schema, (byDocument = new WeakMap()));
  let byOperation = byDocument.get(document);
  if (!byOperation) {
    if (variablesAffectCost(document)) return estimate(schema, document, variables, operationName);
    byDocument.set(document, (byOperation = new Map()));
  }
  const key = operationName ?? '';
  const known = byOperation.get(key);
  if (known !== undefined) return known;
  const cost = estimate(schema, document, variables, operationName);
  // Not cached when the variables did not coerce: the next request's may, and must then be estimated.
  if (cost !== null) byOperation.set(key, cost);
  return cost;
}

/** The error refusing the operation, or null when its estimated cost is within QUERY_LIMITS.maxCost. */
export function checkCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | null | undefined,
  operationName: string | null | undefined,
): GraphQLError | null {
  const cost = costOf(schema, document, variables, operationName);
  if (cost === null) return null;
  if (cost === 'too-large') return costError(`Operation is too large to estimate: ${TOO_MANY_NODES}`, null);
  if (cost <= QUERY_LIMITS.maxCost) return null;
  return costError(
    `Operation costs ${cost}, more than the maximum of ${QUERY_LIMITS.maxCost}: ask for fewer cases (first) or fewer list fields per case`,
    cost,
  );
}

export function costLimitPlugin<T extends BaseContext>(): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, request }) {
          const error = checkCost(schema, document, request.variables, request.operationName);
          if (error) throw error;
        },
      };
    },
  };
}
