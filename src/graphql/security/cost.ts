// The cost limit needs the operation's variables (cases(first: $n)), so it runs once the operation is resolved: in
// an Apollo plugin for HTTP and in the graphql-ws guard for sockets.
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError, type DocumentNode, type GraphQLSchema } from 'graphql';
import { getComplexity } from 'graphql-query-complexity';
import { fieldCost, QUERY_LIMITS } from './limits';

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

/** The error refusing the operation, or null when its estimated cost is within QUERY_LIMITS.maxCost. */
export function checkCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | null | undefined,
  operationName: string | null | undefined,
): GraphQLError | null {
  let cost: number;
  try {
    cost = getComplexity({
      schema,
      query: document,
      variables: variables ?? {},
      ...(operationName ? { operationName } : {}),
      estimators: [fieldCost],
    });
  } catch (error) {
    if (error instanceof Error && error.message === TOO_MANY_NODES)
      return costError(`Operation is too large to estimate: ${TOO_MANY_NODES}`, null);
    // Variables that do not coerce: execution refuses them before any resolver runs, with a precise message.
    return null;
  }
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
