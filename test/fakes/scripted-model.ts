// An OpenAI fake scripted per case, for the lifecycle and worker tests: compose answers a fixed mail, evaluate answers
// what the test queued (or decides) for the case, and anything nobody scripted is recorded as unexpected.
import { answer, startOpenAIFake, type FakeAnswer, type FakeChatRequest, type OpenAIFake } from './openai-fake';

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
