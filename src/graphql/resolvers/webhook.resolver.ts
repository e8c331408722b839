// Webhook faces: the deliveries of a case, redelivery, the account's endpoints, and rotating the signing secret.
import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { WebhookDeliveryRecord } from '../../services/webhooks/webhook-record.service';
import type { GraphQLContext } from '../graphql.context';
import { Case } from '../types/case.types';
import { CreateWebhookEndpointInput, WebhookDelivery, WebhookEndpoint } from '../types/webhook.types';

const toDelivery = (r: WebhookDeliveryRecord): WebhookDelivery => ({
  ...r,
  payload: JSON.parse(r.payload) as Record<string, unknown>,
});

@Resolver(() => Case)
export class CaseWebhooksResolver {
  @FieldResolver(() => [WebhookDelivery], { description: 'Every webhook event sent for this case, oldest first' })
  async webhookDeliveries(@Root() c: Case, @Ctx() { services, account }: GraphQLContext): Promise<WebhookDelivery[]> {
    const records = await services.webhooks.forCase(account.id, c.id);
    return records.map(toDelivery);
  }
}

@Resolver()
export class WebhookEndpointResolver {
  @Query(() => [WebhookEndpoint], { description: "The account's webhook endpoints, oldest first" })
  async webhookEndpoints(@Ctx() { services, account }: GraphQLContext): Promise<WebhookEndpoint[]> {
    return services.webhookEndpoints.list(account.id);
  }

  @Mutation(() => WebhookEndpoint)
  async createWebhookEndpoint(
    @Arg('input', () => CreateWebhookEndpointInput) input: CreateWebhookEndpointInput,
    @Ctx() { services, account }: GraphQLContext,
  ): Promise<WebhookEndpoint> {
    return services.webhookEndpoints.create(account.id, { ...input });
  }

  @Mutation(() => Boolean, { description: 'False when there is no such endpoint; its pending deliveries are dropped' })
  async deleteWebhookEndpoint(
    @Arg('id', () => ID) id: string,
    @Ctx() { services, account }: GraphQLContext,
  ): Promise<boolean> {
    return services.webhookEndpoints.delete(account.id, id);
  }

  @Mutation(() => WebhookDelivery, {
    description: 'One new attempt now of a DELIVERED or FAILED delivery, with the same webhook-id and body',
  })
  async redeliverWebhook(
    @Arg('deliveryId', () => ID) deliveryId: string,
    @Ctx() { services, account }: GraphQLContext,
  ): Promise<WebhookDelivery> {
    return toDelivery(await services.webhooks.redeliver(account.id, deliveryId));
  }
}

@Resolver()
export class WebhookSecretResolver {
  @Mutation(() => String, {
    description: "Replaces the account's webhook signing secret and returns the new one; retries sign with it too",
  })
  async rotateWebhookSecret(@Ctx() { services, account }: GraphQLContext): Promise<string> {
    return services.accounts.rotateWebhookSecret(account.id);
  }
}
