// The GraphQL view of a case. Persistence entities are mapped into these; they are not exposed directly.
import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { CaseStatus, Channel, InputRequestStatus, Plan } from '../../domain/case.model';
import type { AttachmentLink as SignedAttachmentLink } from '../../services/attachments/attachment-link.signer';
import {
  CaseStatusEnum,
  ChannelEnum,
  DateTimeScalar,
  InputRequestStatusEnum,
  JSONObjectScalar,
  JSONScalar,
  PlanEnum,
} from './graphql.scalars';
import { SendWindow } from './schedule.types';

@ObjectType()
export class Goal {
  @Field(() => String) objective!: string;
  @Field(() => JSONScalar, { nullable: true }) knowledge?: unknown;
}

@ObjectType()
export class Counterparty {
  @Field(() => String) address!: string;
  @Field(() => String) name!: string;
  @Field(() => String, { nullable: true }) company?: string | null;
  @Field(() => String, { nullable: true }) timezone?: string | null;
  @Field(() => JSONObjectScalar, { nullable: true }) customData?: Record<string, unknown> | null;
}

@ObjectType()
export class SenderPersona {
  @Field(() => String) name!: string;
  @Field(() => String, { nullable: true }) role?: string | null;
  @Field(() => String, { nullable: true }) company?: string | null;
  @Field(() => String, { nullable: true }) tone?: string | null;
}

@ObjectType()
export class InputRequest {
  @Field(() => ID) id!: string;
  @Field(() => String) question!: string;
  @Field(() => InputRequestStatusEnum) status!: InputRequestStatus;
  @Field(() => DateTimeScalar) requestedAt!: Date;
}

/** The attachment service's link as GraphQL shows it. */
@ObjectType()
export class AttachmentLink implements SignedAttachmentLink {
  @Field(() => String) url!: string;
  @Field(() => DateTimeScalar) expiresAt!: Date;
}

@ObjectType()
export class Attachment {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) name!: string | null;
  @Field(() => Int) size!: number;
  @Field(() => String, { nullable: true }) type!: string | null;
  @Field(() => String, { nullable: true, description: 'The message the attachment arrived with' })
  messageId!: string | null;
  @Field(() => DateTimeScalar) receivedAt!: Date;
  /** Case the attachment belongs to, for minting links; not exposed. */
  caseId!: string;
}

@ObjectType()
export class Message {
  @Field(() => ID) id!: string;
  @Field(() => String, { description: 'outbound or inbound' }) direction!: string;
  @Field(() => String) from!: string;
  @Field(() => [String]) to!: string[];
  @Field(() => String, { nullable: true }) subject!: string | null;
  @Field(() => String, { nullable: true }) text!: string | null;
  @Field(() => DateTimeScalar, { nullable: true }) sentAt!: Date | null;
  @Field(() => DateTimeScalar, { nullable: true }) receivedAt!: Date | null;
  @Field(() => String, { nullable: true }) deliveryStatus!: string | null;
  @Field(() => Boolean, {
    nullable: true,
    description:
      "Inbound only: true when it came from the counterparty's address (and may drive the case); false when it did not (shown, never evaluated). Null for outbound mail.",
  })
  verified!: boolean | null;
  @Field(() => JSONScalar, {
    nullable: true,
    description:
      'Inbound only: SPF, DKIM and DMARC results (SMTP), the envelope sender, and why the sender was not trusted.',
  })
  authResults!: unknown;
  @Field(() => Boolean, { description: 'Inbound only: an auto-reply (out of office, autoresponder), never answered.' })
  autoReply!: boolean;
}

@ObjectType()
export class CaseEvent {
  @Field(() => ID) id!: string;
  @Field(() => String) type!: string;
  @Field(() => CaseStatusEnum, { nullable: true }) fromStatus!: CaseStatus | null;
  @Field(() => CaseStatusEnum, { nullable: true }) toStatus!: CaseStatus | null;
  @Field(() => DateTimeScalar) occurredAt!: Date;
  @Field(() => JSONScalar, { nullable: true }) data!: unknown;
}

@ObjectType()
export class Case {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) clientReferenceId!: string | null;
  @Field(() => ChannelEnum) channel!: Channel;
  @Field(() => CaseStatusEnum) status!: CaseStatus;
  @Field(() => Goal) goal!: Goal;
  @Field(() => Counterparty) counterparty!: Counterparty;
  @Field(() => SenderPersona) senderPersona!: SenderPersona;
  @Field(() => JSONScalar, { nullable: true }) constraints!: unknown;
  @Field(() => JSONObjectScalar, { nullable: true }) resultSchema!: Record<string, unknown> | null;
  @Field(() => JSONObjectScalar, { nullable: true }) metadata!: Record<string, unknown> | null;
  @Field(() => String, { nullable: true }) clientWebhookUrl!: string | null;
  @Field(() => Int) attemptCount!: number;
  @Field(() => Int) maxAttempts!: number;
  @Field(() => Int) followUpDelayHours!: number;
  @Field(() => Int, { description: "Automated follow-ups since the counterparty's last message" })
  followUpCount!: number;
  @Field(() => Int, { description: 'Cap on automatic in-thread replies; one more asks the human' })
  maxReplies!: number;
  @Field(() => DateTimeScalar, { nullable: true, description: 'No outreach before this' }) startAt!: Date | null;
  @Field(() => SendWindow, { nullable: true, description: 'null: mail may leave at any time' })
  sendWindow!: SendWindow | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'null: nothing scheduled' }) nextActionAt!: Date | null;
  @Field(() => String, { nullable: true }) resultStatus!: string | null;
  @Field(() => JSONScalar, { nullable: true }) result!: unknown;
  @Field(() => String, { nullable: true }) failureReason!: string | null;
  @Field(() => InputRequest, { nullable: true }) inputRequest!: InputRequest | null;
  @Field(() => ID, { nullable: true }) inputRequestId!: string | null;
  @Field(() => InputRequestStatusEnum) inputRequestStatus!: InputRequestStatus;
  @Field(() => DateTimeScalar, { nullable: true }) inputRequestedAt!: Date | null;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar) updatedAt!: Date;
  // attachments, messages, transcript and timeline are field resolvers (CaseFieldsResolver).
}

@ObjectType()
export class CaseEdge {
  @Field(() => String) cursor!: string;
  @Field(() => Case) node!: Case;
}

@ObjectType()
export class PageInfo {
  @Field(() => Boolean) hasNextPage!: boolean;
  @Field(() => Boolean) hasPreviousPage!: boolean;
  @Field(() => String, { nullable: true }) startCursor!: string | null;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

@ObjectType()
export class CaseConnection {
  @Field(() => [CaseEdge]) edges!: CaseEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

@ObjectType()
export class Usage {
  @Field(() => PlanEnum) plan!: Plan;
  @Field(() => Int, { description: 'The monthly cap; 2147483647 when the account has none (see unlimited)' })
  limit!: number;
  @Field(() => Boolean, { description: 'True when an operator lifted the monthly cap for this account' })
  unlimited!: boolean;
  @Field(() => Int) createdThisMonth!: number;
  @Field(() => Int) billableThisMonth!: number;
}

@ObjectType()
export class SubmitInputPayload {
  @Field(() => ID) caseId!: string;
  @Field(() => ID) inputRequestId!: string;
  @Field(() => Boolean) accepted!: boolean;
}

@ObjectType()
export class CaseUpdate {
  @Field(() => ID) eventId!: string;
  @Field(() => String) type!: string;
  @Field(() => CaseStatusEnum, { nullable: true }) previousStatus!: CaseStatus | null;
  @Field(() => CaseStatusEnum, { nullable: true, description: 'The status this change left the case in' })
  toStatus!: CaseStatus | null;
  @Field(() => Int, { description: "Position in the case's timeline (1-based)" }) sequence!: number;
  @Field(() => Case, { description: 'The case as it is when the update is delivered' }) case!: Case;
  @Field(() => DateTimeScalar) occurredAt!: Date;
  @Field(() => String, {
    description: "Opaque, ordered per account: pass the last one received as caseUpdates' `after` to resume",
  })
  cursor!: string;
}
