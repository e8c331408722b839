import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { Plan } from '../../domain/case.model';

@Entity('accounts')
export class AccountEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('text') name!: string;
  @Column('text') plan!: Plan;
  /** Standard Webhooks secret (whsec_...) used to sign this account's outbound webhooks. */
  @Column('text', { name: 'webhook_secret' }) webhookSecret!: string;
  /** The operator's monthly cap for this account; null keeps the plan's (see monthlyCap). */
  @Column('int', { name: 'monthly_limit', nullable: true }) monthlyLimit!: number | null;
  /** The operator lifted the monthly cap (`--monthly-limit none`). */
  @Column('boolean', { name: 'unlimited_cases', default: false }) unlimitedCases!: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
