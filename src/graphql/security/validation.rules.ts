// Validation rules for the shape of a document (depth, aliases), run by Apollo and by the graphql-ws guard alike.
import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { QUERY_LIMITS } from './operation.limits';

const limitError = (message: string, limit: string, max: number, actual: number) =>
  new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit, max, actual } });

/**
 * The deepest field path under `selectionSet`, following fragments. Each fragment's depth is computed once (a
 * document can spread fragments into each other exponentially often); a fragment met again while it is being
 * computed is a cycle, which NoFragmentCyclesRule reports, so it counts 0 here.
 */
function depthOf(context: ValidationContext, selectionSet: SelectionSetNode, memo: Map<string, number>): number {
  let deepest = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value.startsWith('__')) continue; // introspection is exempt: its schema is in memory
      const below = selection.selectionSet ? depthOf(context, selection.selectionSet, memo) : 0;
      deepest = Math.max(deepest, 1 + below);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      deepest = Math.max(deepest, depthOf(context, selection.selectionSet, memo));
    } else {
      const name = selection.name.value;
      if (!memo.has(name)) {
        memo.set(name, 0);
        const fragment = context.getFragment(name);
        memo.set(name, fragment ? depthOf(context, fragment.selectionSet, memo) : 0);
      }
      deepest = Math.max(deepest, memo.get(name)!);
    }
  }
  return deepest;
}

export function depthLimitRule(maxDepth: number = QUERY_LIMITS.maxDepth): ValidationRule {
  return (context): ASTVisitor => ({
    OperationDefinition(node) {
      const depth = depthOf(context, node.selectionSet, new Map());
      if (depth > maxDepth)
        context.reportError(
          limitError(
            `Operation${node.name ? ` "${node.name.value}"` : ''} is ${depth} levels deep; the maximum is ${maxDepth}`,
            'depth',
            maxDepth,
            depth,
          ),
        );
    },
  });
}

export function aliasLimitRule(maxAliases: number = QUERY_LIMITS.maxAliases): ValidationRule {
  return (context): ASTVisitor => {
    let aliases = 0;
    return {
      Field(node) {
        if (node.alias) aliases += 1;
      },
      Document: {
        leave() {
          if (aliases > maxAliases)
            context.reportError(
              limitError(
                `Document uses ${aliases} aliases; the maximum is ${maxAliases}`,
                'aliases',
                maxAliases,
                aliases,
              ),
            );
        },
      },
    };
  };
}

export const shapeRules = (): ValidationRule[] => [depthLimitRule(), aliasLimitRule()];

/**
 * Refuses __schema and __type in production, in words for the API's users: graphql-js's and Apollo's own refusals
 * speak to whoever configures the server ("pass introspection: true to ApolloServer").
 */
export function introspectionDisabledRule(): ValidationRule {
  return (context): ASTVisitor => ({
    Field(node) {
      const name = node.name.value;
      if (name !== '__schema' && name !== '__type') return;
      context.reportError(
        new GraphQLError(
          `Introspection (${name}) is disabled on this server; the schema is published as schema/schema.graphql with Offload`,
          { nodes: node, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } },
        ),
      );
    },
  });
}
