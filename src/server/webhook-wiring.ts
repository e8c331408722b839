// Outbound webhooks: the outbox the state machine's EMIT_WEBHOOK effects write to, and the delivery handler.
import type { Config } from '../config/config';
import type { WebhookOutbox } from '../services/case-effects';
import type { ServiceContext } from '../services/service-context';

export interface WebhookWiring {
  outbox?: WebhookOutbox;
  deliver?: (deliveryId: string) => Promise<void>;
}

export function createWebhookWiring(_ctx: ServiceContext, _config: Config): WebhookWiring {
  return {};
}
