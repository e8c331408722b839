import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { Plan } from '../../domain/case.model';

@Entity('accounts')
export class AccountEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('text') name!: string;
  @Column('text') plan!: Plan;
  /** Standard Webhooks secret (whsec_...) used to sign this account's outbound webhooks. */
  @Column('text', { name: 'webhook_secret' }) webhookSecret!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
