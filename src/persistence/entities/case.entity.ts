import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { CaseStatus, Channel, HeldSend } from '../../domain/case.model';
import type { SendWindow } from '../../domain/send-window.policy';

export interface GoalData {
  objective: string;
  knowledge?: unknown;
}
export interface CounterpartyData {
  address: string;
  name: string;
  company?: string | null;
  timezone?: string | null;
  customData?: Record<string, unknown> | null;
}
export interface SenderPersonaData {
  name: string;
  role?: string | null;
  company?: string | null;
  tone?: string | null;
}

@Entity('cases')
export class CaseEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'account_id' }) accountId!: string;
  @Column('text', { name: 'client_reference_id', nullable: true }) clientReferenceId!: string | null;
  @Column('text') channel!: Channel;
  @Column('text') status!: CaseStatus;
  @Column('jsonb') goal!: GoalData;
  @Column('jsonb') counterparty!: CounterpartyData;
  @Column('jsonb', { name: 'sender_persona' }) senderPersona!: SenderPersonaData;
  @Column('jsonb', { nullable: true }) constraints!: unknown;
  @Column('jsonb', { name: 'result_schema', nullable: true }) resultSchema!: Record<string, unknown> | null;
  @Column('jsonb', { nullable: true }) metadata!: Record<string, unknown> | null;
  @Column('text', { name: 'client_webhook_url', nullable: true }) clientWebhookUrl!: string | null;
  @Column('int', { name: 'attempt_count' }) attemptCount!: number;
  @Column('int', { name: 'max_attempts' }) maxAttempts!: number;
  @Column('int', { name: 'follow_up_delay_hours' }) followUpDelayHours!: number;
  @Column('timestamptz', { name: 'next_action_at', nullable: true }) nextActionAt!: Date | null;
  @Column('text', { name: 'result_status', nullable: true }) resultStatus!: string | null;
  @Column('jsonb', { nullable: true }) result!: unknown;
  @Column('text', { name: 'failure_reason', nullable: true }) failureReason!: string | null;
  @Column('uuid', { name: 'input_request_id', nullable: true }) inputRequestId!: string | null;
  @Column('text', { name: 'input_request_question', nullable: true }) inputRequestQuestion!: string | null;
  @Column('text', { name: 'input_request_status' }) inputRequestStatus!: 'PENDING' | 'RESOLVED' | 'NONE';
  @Column('timestamptz', { name: 'input_requested_at', nullable: true }) inputRequestedAt!: Date | null;
  @Column('boolean', { name: 'awaiting_evaluation' }) awaitingEvaluation!: boolean;
  /** The provider's thread handle (AgentMail thread_id) once the first mail is out. */
  @Column('text', { name: 'thread_ref', nullable: true }) threadRef!: string | null;
  @Column('timestamptz', { name: 'finished_at', nullable: true }) finishedAt!: Date | null;
  /** No outreach before this (CreateCaseInput.startAt). */
  @Column('timestamptz', { name: 'start_at', nullable: true }) startAt!: Date | null;
  /** The send window with its zone resolved at creation. */
  @Column('jsonb', { name: 'send_window', nullable: true }) sendWindow!: SendWindow | null;
  @Column('jsonb', { name: 'held_send', nullable: true }) heldSend!: HeldSend | null;
  @Column('int', { name: 'follow_up_count', default: 0 }) followUpCount!: number;
  @Column('int', { name: 'reply_count', default: 0 }) replyCount!: number;
  @Column('int', { name: 'max_replies', default: 10 }) maxReplies!: number;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}
