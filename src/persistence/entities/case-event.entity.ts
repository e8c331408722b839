import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { CaseStatus } from '../../domain/case.model';

/** One row per change of a case: its timeline, and what subscribers are told. */
@Entity('case_events')
export class CaseEventEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'case_id' }) caseId!: string;
  @Column('uuid', { name: 'account_id' }) accountId!: string;
  /** Position in the case's timeline, 1-based: subscribers use it to order and de-duplicate. */
  @Column('int') seq!: number;
  @Column('text') type!: string;
  @Column('text', { name: 'from_status', nullable: true }) fromStatus!: CaseStatus | null;
  @Column('text', { name: 'to_status', nullable: true }) toStatus!: CaseStatus | null;
  @Column('jsonb', { nullable: true }) data!: Record<string, unknown> | null;
  @Column('timestamptz', { name: 'occurred_at' }) occurredAt!: Date;
  /** Database-wide order, for fan-out to subscribers in other processes. */
  @Column({ type: 'bigint', name: 'global_seq', insert: false, update: false }) globalSeq!: string;
}
