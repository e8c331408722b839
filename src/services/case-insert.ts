// A new case and its first timeline row in one statement: createCase is the hottest write, and each round trip on
// it costs more than the SQL itself.
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { CaseEntity } from '../persistence/entities';

const COLUMNS = [
  'id',
  'account_id',
  'client_reference_id',
  'channel',
  'status',
  'goal',
  'counterparty',
  'sender_persona',
  'constraints',
  'result_schema',
  'metadata',
  'client_webhook_url',
  'attempt_count',
  'max_attempts',
  'follow_up_delay_hours',
  'input_request_status',
  'awaiting_evaluation',
  'created_at',
  'updated_at',
] as const;

const json = (value: unknown): string | null => (value == null ? null : JSON.stringify(value));

export async function insertNewCase(manager: EntityManager, row: CaseEntity): Promise<void> {
  const values = [
    row.id,
    row.accountId,
    row.clientReferenceId,
    row.channel,
    row.status,
    json(row.goal),
    json(row.counterparty),
    json(row.senderPersona),
    json(row.constraints),
    json(row.resultSchema),
    json(row.metadata),
    row.clientWebhookUrl,
    row.attemptCount,
    row.maxAttempts,
    row.followUpDelayHours,
    row.inputRequestStatus,
    row.awaitingEvaluation,
    row.createdAt,
    row.updatedAt,
  ];
  const placeholders = COLUMNS.map((_, i) => `$${i + 1}`).join(', ');
  await manager.query(
    `WITH c AS (INSERT INTO cases (${COLUMNS.join(', ')}) VALUES (${placeholders}) RETURNING id, account_id, created_at)
     INSERT INTO case_events (id, case_id, account_id, seq, type, from_status, to_status, occurred_at)
     SELECT $${COLUMNS.length + 1}, id, account_id, 1, 'case.created', NULL, 'CREATED', created_at FROM c`,
    [...values, randomUUID()],
  );
}
