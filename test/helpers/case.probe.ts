// Looks at a case from outside: its detail through GraphQL (waiting for a status or any condition), its replies
// through the local door, and its jobs and mail straight from the database.
import { GetCaseDetailDocument, type GetCaseDetailQuery } from '../../schema/generated/graphql';
import type { TestApp } from './offload';
import { reply } from './reply.helper';
import { waitFor, waitForStatus } from './wait';

export type CaseDetail = NonNullable<GetCaseDetailQuery['case']>;

export const timelineTypes = (c: CaseDetail): string[] => c.timeline.map((t) => t.type);

/** Where a case got stuck, for timeout messages: its status and timeline. */
const whereIs = (c: CaseDetail) => `${c.status} ${timelineTypes(c).join(' > ')}`;

export class CaseProbe {
  constructor(private readonly app: Pick<TestApp, 'url' | 'offload'> & { client: TestApp['client'] }) {}

  /** The case's detail as its account sees it; throws when the account cannot see it. */
  readonly detail = async (id: string): Promise<CaseDetail> => {
    const { case: found } = await this.app.client.ok(GetCaseDetailDocument, { id });
    if (!found) throw new Error(`case ${id} not found`);
    return found;
  };

  /** Waits until the case has `status`; the timeout message shows where the case got stuck. */
  status(id: string, status: string, timeoutMs?: number): Promise<CaseDetail> {
    return waitForStatus(this.detail, id, status, { timeoutMs, describe: whereIs });
  }

  /** Waits until the case satisfies `ready`; the timeout message shows where the case got stuck. */
  async until(id: string, what: string, ready: (c: CaseDetail) => boolean, timeoutMs = 20_000): Promise<CaseDetail> {
    let last: CaseDetail | null = null;
    try {
      return await waitFor(
        what,
        async () => {
          last = await this.detail(id);
          return ready(last) ? last : undefined;
        },
        timeoutMs,
      );
    } catch (error) {
      const seen = last as CaseDetail | null;
      throw new Error(`${String(error)}; case was ${seen ? whereIs(seen) : 'never read'}`);
    }
  }

  /** A reply from the counterparty through POST /webhooks/local (MAIL_TRANSPORT=local); answers its message id. */
  async reply(caseId: string, text: string, apiKey: string, messageId?: string): Promise<string> {
    const stored = await reply(this.app, caseId, text, { apiKey, ...(messageId ? { messageId } : {}) });
    if (stored === null) throw new Error(`reply to ${caseId} was taken for a duplicate`);
    return stored;
  }

  /** No job of the case is running, retrying or due: what is left are delayed follow-ups. */
  async settled(caseId: string): Promise<boolean> {
    const [row] = (await this.app.offload.db.query(
      `SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'case-events' AND data->>'caseId' = $1
          AND (state IN ('active', 'retry') OR (state = 'created' AND start_after <= now()))`,
      [caseId],
    )) as Array<{ n: number }>;
    return row!.n === 0;
  }

  async outbound(caseId: string): Promise<OutboundRow[]> {
    return this.app.offload.db.query(
      `SELECT id, status, purpose, send_attempts, in_reply_to, "references", rfc_message_id, send_key, delivery_status,
              provider_message_id
         FROM messages WHERE case_id = $1 AND direction = 'outbound' ORDER BY created_at`,
      [caseId],
    );
  }

  /** How many inbound messages the case has stored. */
  async inboundCount(caseId: string): Promise<number> {
    const [row] = (await this.app.offload.db.query(
      `SELECT count(*)::int AS n FROM messages WHERE case_id = $1 AND direction = 'inbound'`,
      [caseId],
    )) as Array<{ n: number }>;
    return row!.n;
  }
}

export interface OutboundRow {
  id: string;
  status: string;
  purpose: string;
  send_attempts: number;
  in_reply_to: string | null;
  references: string[] | null;
  rfc_message_id: string;
  send_key: string;
  delivery_status: string | null;
  provider_message_id: string | null;
}
