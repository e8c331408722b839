// GraphQL input shapes only; validation is the shared zod schema in services/cases/case-input.schema.ts.
import { Field, ID, InputType, Int } from 'type-graphql';
import type { CaseStatus, Channel } from '../../domain/case.model';
import { CaseStatusEnum, ChannelEnum, DateTimeScalar, JSONObjectScalar, JSONScalar } from './graphql.scalars';
import { SendWindowInput } from './schedule.types';

@InputType()
export class GoalInput {
  @Field(() => String) objective!: string;
  @Field(() => JSONScalar, { nullable: true, description: 'A string or an object' }) knowledge?: unknown;
}

@InputType()
export class CounterpartyInput {
  @Field(() => String, {
    description: 'An email address (channel EMAIL) or an E.164 number such as +15551234567 (channel SMS)',
  })
  address!: string;
  @Field(() => String) name!: string;
  @Field(() => String, { nullable: true }) company?: string | null;
  @Field(() => String, { nullable: true }) timezone?: string | null;
  @Field(() => JSONObjectScalar, { nullable: true }) customData?: Record<string, unknown> | null;
}

@InputType()
export class SenderPersonaInput {
  @Field(() => String) name!: string;
  @Field(() => String, { nullable: true }) role?: string | null;
  @Field(() => String, { nullable: true }) company?: string | null;
  @Field(() => String, { nullable: true }) tone?: string | null;
}

@InputType()
export class CreateCaseInput {
  @Field(() => ChannelEnum) channel!: Channel;
  @Field(() => GoalInput) goal!: GoalInput;
  @Field(() => CounterpartyInput) counterparty!: CounterpartyInput;
  @Field(() => SenderPersonaInput) senderPersona!: SenderPersonaInput;
  @Field(() => String, { nullable: true }) clientReferenceId?: string | null;
  @Field(() => JSONScalar, { nullable: true }) constraints?: unknown;
  @Field(() => JSONObjectScalar, { nullable: true }) resultSchema?: Record<string, unknown> | null;
  @Field(() => JSONObjectScalar, { nullable: true }) metadata?: Record<string, unknown> | null;
  @Field(() => String, { nullable: true }) clientWebhookUrl?: string | null;
  @Field(() => Int, { nullable: true }) maxAttempts?: number | null;
  @Field(() => Int, { nullable: true }) followUpDelayHours?: number | null;
  @Field(() => Int, { nullable: true, description: 'Cap on automatic in-thread replies (default 10, 0..50)' })
  maxReplies?: number | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'No outreach before this' })
  startAt?: Date | null;
  @Field(() => SendWindowInput, { nullable: true, description: 'Every outbound message leaves inside it' })
  sendWindow?: SendWindowInput | null;
}

@InputType()
export class SubmitInputInput {
  @Field(() => ID) caseId!: string;
  @Field(() => ID) inputRequestId!: string;
  @Field(() => String) providedContext!: string;
}

@InputType()
export class CaseFilter {
  @Field(() => [CaseStatusEnum], { nullable: true }) status?: CaseStatus[] | null;
  @Field(() => String, { nullable: true }) clientReferenceId?: string | null;
  @Field(() => DateTimeScalar, { nullable: true }) createdAfter?: Date | null;
  @Field(() => DateTimeScalar, { nullable: true }) createdBefore?: Date | null;
  @Field(() => String, {
    nullable: true,
    description: 'Case-insensitive text in the counterparty address or name, clientReferenceId or objective',
  })
  search?: string | null;
}
