// Outbound webhooks: the outbox the state machine's EMIT_WEBHOOK effects write to, the delivery handler of the
// 'webhooks' queue, and the read side clients use to see every attempt.
import type { WebhookOutbox } from '../services/transitions/transition.writer';
import type { ServiceContext } from '../services/service.context';
import { WebhookDeliveryService, type WebhookObserver } from '../services/webhooks/webhook-delivery.service';
import { WebhookOutboxService } from '../services/webhooks/webhook-outbox.service';
import { WebhookRecords } from '../services/webhooks/webhook-record.service';

export interface WebhookWiring {
  outbox: WebhookOutbox;
  deliver: (deliveryId: string) => Promise<void>;
  records: WebhookRecords;
}

export function createWebhookWiring(ctx: ServiceContext, observer: WebhookObserver): WebhookWiring {
  const delivery = new WebhookDeliveryService(ctx, { observer });
  return {
    outbox: new WebhookOutboxService(ctx),
    deliver: (deliveryId) => delivery.deliver(deliveryId),
    records: new WebhookRecords(ctx.db),
  };
}
