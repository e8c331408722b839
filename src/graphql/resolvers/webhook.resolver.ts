// Webhook faces: the deliveries of a case, and rotating the account's signing secret.
import { Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../graphql.context';
import { Case } from '../types/case.types';
import { WebhookDelivery } from '../types/webhook.types';

@Resolver(() => Case)
export class CaseWebhooksResolver {
  @FieldResolver(() => [WebhookDelivery], { description: 'Every webhook event sent for this case, oldest first' })
  async webhookDeliveries(@Root() c: Case, @Ctx() { services, account }: GraphQLContext): Promise<WebhookDelivery[]> {
    const records = await services.webhooks.forCase(account.id, c.id);
    return records.map((r) => ({ ...r, payload: JSON.parse(r.payload) as Record<string, unknown> }));
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
