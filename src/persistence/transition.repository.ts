// The batched write of TransitionWrites: a batch of steps' key claims, cases, timeline rows and recorded messages in
// one statement, so a batch of cases costs about what one case does.
import type { CaseEntity, MessageEntity } from './entities';
import { caseRecords, UPDATE_CASES } from './cases.repository';
import { INSERT_TIMELINE, timelineRecords, type TimelineEntry } from './case-events.repository';
import { INSERT_MESSAGES, messageRecords } from './messages.repository';
import { claimJobKeys } from './processed-jobs.repository';
import type { Tx } from './transaction.types';

export interface TransitionBatch {
  claims: { key: string; caseId: string | null }[];
  cases: CaseEntity[];
  timeline: { row: CaseEntity; entry: TimelineEntry }[];
  messages: MessageEntity[];
}

/** Writes the batch in one statement; returns the keys it claimed (a key claimed before is not among them). */
export async function writeTransitions(manager: Tx, batch: TransitionBatch): Promise<Set<string>> {
  const statement = transitionStatement(batch);
  if (!statement) return new Set();
  const [result] = (await manager.query(statement.text, statement.values)) as { claimed: string[] }[];
  return new Set(result?.claimed ?? []);
}

/** The batch's one statement, each table's write a CTE; null when there is nothing to write. */
function transitionStatement(batch: TransitionBatch): { text: string; values: unknown[] } | null {
  const values: unknown[] = [];
  const param = (value: unknown): string => `$${values.push(value)}`;
  const parts: string[] = [];
  if (batch.claims.length) {
    const keys = param(batch.claims.map((c) => c.key));
    const cases = param(batch.claims.map((c) => c.caseId));
    parts.push(`claims AS (${claimJobKeys(keys, cases)})`);
  }
  if (batch.cases.length)
    parts.push(`saved AS (${fill(UPDATE_CASES, param(JSON.stringify(caseRecords(batch.cases))))} RETURNING c.id)`);
  if (batch.timeline.length)
    parts.push(
      `timeline AS (${fill(INSERT_TIMELINE, param(JSON.stringify(timelineRecords(batch.timeline))))} RETURNING id)`,
    );
  if (batch.messages.length)
    parts.push(
      `recorded AS (${fill(INSERT_MESSAGES, param(JSON.stringify(messageRecords(batch.messages))))} RETURNING id)`,
    );
  if (!parts.length) return null;
  const claimed = batch.claims.length ? 'ARRAY(SELECT key FROM claims)' : `'{}'::text[]`;
  return { text: `WITH ${parts.join(',\n')} SELECT ${claimed} AS claimed`, values };
}

/** Puts a parameter where a statement's $N is (a function: a replacement string would give `$$` a meaning). */
const fill = (statement: string, parameter: string): string => statement.replace('$N', () => parameter);
