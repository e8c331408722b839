// Shared by the lifecycle and worker tests: an OpenAI fake scripted per case, replies through the local transport,
// and probes of the case, its jobs and its mail straight from the database.
import { GetCaseDetailDocument, type GetCaseDetailQuery } from '../../schema/generated/graphql';
import { answer, startOpenAIFake, type FakeAnswer, type FakeChatRequest, type OpenAIFake } from '../fakes/openai-fake';
import type { TestApp } from '../helpers/offload';
import { waitFor } from '../helpers/wait';

export type CaseDetail = NonNullable<GetCaseDetailQuery['case']>;

export interface ScriptedFake {
  fake: OpenAIFake;
  /** Queues evaluate_reply answers for one case, served in order. */
  evaluate(caseId: string, ...answers: FakeAnswer[]): void;
  /** Answers evaluate_reply of one case from what it is asked (after any queued answers): survives retries. */
  evaluateWith(caseId: string, decide: (request: FakeChatRequest) => FakeAnswer): void;
  /** Requests received and not answered yet. */
  inFlight(): number;
  /** Holds every compose_message of one case until the returned release() is called. */
  holdCompose(caseId: string): () => void;
  /** Calls nobody scripted: a test that ends with some has a wrong script or a wrong worker. */
  unexpected: string[];
  requestsFor(caseId: string, callName: 'compose_message' | 'evaluate_reply'): FakeChatRequest[];
  stop(): Promise<void>;
}

/** An OpenAI-compatible fake: compose answers a fixed mail, evaluate answers what the test scripted for the case. */
export async function startScriptedFake(options: { latencyMs?: number } = {}): Promise<ScriptedFake> {
  const evaluations = new Map<string, FakeAnswer[]>();
  const deciders = new Map<string, (request: FakeChatRequest) => FakeAnswer>();
  let inFlight = 0;
  const gates = new Map<string, Promise<void>>();
  const unexpected: string[] = [];
  let composed = 0;
  const respond = async (request: FakeChatRequest): Promise<FakeAnswer> => {
    if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
    const caseId = request.caseId ?? '(no case id)';
    if (request.callName === 'compose_message') {
      await gates.get(caseId);
      composed += 1;
      return answer.json({ subject: 'Signed W-9 for Acme', body: `Hello Vera,\nmessage ${composed}\nSam` });
    }
    const next = evaluations.get(caseId)?.shift() ?? deciders.get(caseId)?.(request);
    if (next) return next;
    unexpected.push(`${request.callName} for ${caseId}`);
    return answer.error(400, `fake: nothing scripted for ${request.callName} of case ${caseId}`, false);
  };
  const fake = await startOpenAIFake(async (request) => {
    inFlight += 1;
    try {
      return await respond(request);
    } finally {
      inFlight -= 1;
    }
  });
  return {
    fake,
    unexpected,
    evaluate: (caseId, ...answers) => evaluations.set(caseId, [...(evaluations.get(caseId) ?? []), ...answers]),
    evaluateWith: (caseId, decide) => deciders.set(caseId, decide),
    inFlight: () => inFlight,
    holdCompose: (caseId) => {
      let release!: () => void;
      gates.set(caseId, new Promise<void>((r) => (release = r)));
      return () => {
        gates.delete(caseId);
        release();
      };
    },
    requestsFor: (caseId, callName) => fake.requests.filter((r) => r.caseId === caseId && r.callName === callName),
    stop: () => fake.stop(),
  };
}

type Decision = 'GOAL_ACHIEVED' | 'FAILED_REJECTED' | 'INPUT_NEEDED' | 'REQUIRES_REPLY' | 'SNOOZE';

/** One evaluate_reply answer in the strict shape: every field present, the ones of other decisions null. */
export function verdict(decision: Decision, fields: Record<string, unknown> = {}): FakeAnswer {
  return answer.json({
    decision,
    reason: `scripted ${decision}`,
    result: null,
    question: null,
    replyBody: null,
    snoozeHours: null,
    ...fields,
  });
}

export class CaseProbe {
  constructor(private readonly app: Pick<TestApp, 'url' | 'offload'> & { client: TestApp['client'] }) {}

  async detail(id: string): Promise<CaseDetail> {
    const { case: found } = await this.app.client.ok(GetCaseDetailDocument, { id });
    if (!found) throw new Error(`case ${id} not found`);
    return found;
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
      const where = seen ? `${seen.status} ${seen.timeline.map((t) => t.type).join(' > ')}` : 'never read';
      throw new Error(`${String(error)}; case was ${where}`);
    }
  }

  /** A reply from the counterparty through POST /webhooks/local (MAIL_TRANSPORT=local). */
  async reply(caseId: string, text: string, apiKey: string, messageId?: string): Promise<string> {
    const res = await fetch(`${this.app.url}/webhooks/local`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
      body: JSON.stringify({ caseId, from: 'vendor@example.com', text, ...(messageId ? { messageId } : {}) }),
    });
    const body = (await res.json()) as { data?: { messageId: string } };
    if (res.status !== 202 || !body.data) throw new Error(`reply refused: ${res.status} ${JSON.stringify(body)}`);
    return body.data.messageId;
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
      `SELECT id, status, purpose, send_attempts, in_reply_to, "references", rfc_message_id, send_key, delivery_status
         FROM messages WHERE case_id = $1 AND direction = 'outbound' ORDER BY created_at`,
      [caseId],
    );
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
}

export const timelineTypes = (c: CaseDetail): string[] => c.timeline.map((t) => t.type);
