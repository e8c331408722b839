import 'reflect-metadata';
import { DateTimeResolver } from 'graphql-scalars';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { CaseResolver } from './resolvers/case.resolver';
import { CaseStatsResolver } from './resolvers/case-stats.resolver';
import { AttachmentFieldsResolver, CaseFieldsResolver } from './resolvers/case-fields.resolver';
import { CaseModelUsageResolver, UsageModelUsageResolver } from './resolvers/model-usage.resolver';
import { SubscriptionResolver } from './resolvers/subscription.resolver';
import { CaseWebhooksResolver, WebhookSecretResolver } from './resolvers/webhook.resolver';

export async function buildOffloadSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [
      CaseResolver,
      CaseStatsResolver,
      CaseFieldsResolver,
      AttachmentFieldsResolver,
      SubscriptionResolver,
      CaseWebhooksResolver,
      WebhookSecretResolver,
      CaseModelUsageResolver,
      UsageModelUsageResolver,
    ],
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    // Inputs are validated by the shared zod schemas in the service layer, for GraphQL and REST alike.
    validate: false,
    // Every subscription supplies its own `subscribe` (the case feed); type-graphql insists on a pubSub anyway.
    pubSub: {
      publish: () => {
        throw new Error('subscriptions are fed by the case feed, not a pubSub');
      },
      subscribe: () => {
        throw new Error('subscriptions are fed by the case feed, not a pubSub');
      },
    },
  });
}

/** The SDL checked in at schema/schema.graphql; sorted so that it does not churn with declaration order. */
export async function printOffloadSchema(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await buildOffloadSchema()))}\n`;
}
