import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity('api_keys')
export class ApiKeyEntity {
  @PrimaryColumn('uuid') id!: string;
  @Index() @Column('uuid', { name: 'account_id' }) accountId!: string;
  /** sha256 of the key: keys are high-entropy random strings, so a fast hash is enough and lookups stay O(1). */
  @Column('text', { name: 'key_hash', unique: true }) keyHash!: string;
  /** The first characters of the key, to tell keys apart in listings without revealing them. */
  @Column('text') prefix!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt!: Date | null;
}
