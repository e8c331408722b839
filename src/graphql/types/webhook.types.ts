// The GraphQL view of outbound webhook deliveries: every event sent for a case and every attempt made.
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { WebhookDeliveryStatus } from '../../services/webhooks/webhook-record.service';
import { DateTimeScalar, JSONObjectScalar } from './graphql.scalars';

export const WebhookDeliveryStatusEnum = { PENDING: 'PENDING', DELIVERED: 'DELIVERED', FAILED: 'FAILED' } as const;
registerEnumType(WebhookDeliveryStatusEnum, {
  name: 'WebhookDeliveryStatus',
  description: 'PENDING: an attempt is scheduled; DELIVERED: a 2xx arrived; FAILED: the retry schedule is exhausted',
});

@ObjectType()
export class WebhookDeliveryAttempt {
  @Field(() => Int, { description: '1-based' }) attemptNumber!: number;
  @Field(() => DateTimeScalar) attemptedAt!: Date;
  @Field(() => Int) durationMs!: number;
  @Field(() => Boolean, { description: 'The receiver answered 2xx' }) ok!: boolean;
  @Field(() => Int, { nullable: true, description: 'null: no HTTP answer (refused address, timeout, network)' })
  statusCode!: number | null;
  @Field(() => String, { nullable: true, description: 'FORBIDDEN_ADDRESS, TIMEOUT, HTTP_STATUS, REDIRECT, ...' })
  errorCode!: string | null;
  @Field(() => String, { nullable: true }) errorMessage!: string | null;
  @Field(() => String, { nullable: true, description: 'The first KiB of the answer' }) responseSnippet!: string | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'When the next attempt was scheduled for' })
  nextAttemptAt!: Date | null;
}

@ObjectType()
export class WebhookDelivery {
  @Field(() => ID) id!: string;
  @Field(() => String, { description: 'The envelope event_id, sent as webhook-id on every attempt' }) eventId!: string;
  @Field(() => String) eventType!: string;
  @Field(() => String) url!: string;
  @Field(() => JSONObjectScalar, { description: 'The envelope, exactly as sent on every attempt' })
  payload!: Record<string, unknown>;
  @Field(() => WebhookDeliveryStatusEnum) status!: WebhookDeliveryStatus;
  @Field(() => Int) attemptCount!: number;
  @Field(() => DateTimeScalar, { nullable: true }) nextAttemptAt!: Date | null;
  @Field(() => DateTimeScalar, { nullable: true }) deliveredAt!: Date | null;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => [WebhookDeliveryAttempt]) attempts!: WebhookDeliveryAttempt[];
}
