// The Agent backed by any OpenAI-compatible Chat Completions server, held to strict structured outputs.
// Two kinds of failure are kept apart on purpose: transport errors (network, 429, 5xx, auth) propagate as an
// AgentCallError saying what a retry can achieve, for the model gate (src/services/limits) to wait, retry or open its
// circuit; a bad *answer* (invalid JSON, refusal, wrong shape, off-policy result) is retried here with feedback, and
// evaluate then hands the case to a human instead of guessing.
import OpenAI from 'openai';
import type { Evaluation } from '../domain/evaluation.types';
import type { Agent, CaseContext, ComposedMessage, ComposeRequest } from './agent.types';
import { checkCompose, checkEvaluation, fallbackEvaluation, parseAnswerJson } from './answer.validator';
import type { Checked, ModelAnswer } from './answer.validator';
import { CALL_NAMES, composeMessageJsonSchema, evaluateReplyJsonSchema } from './output.schema';
import type { CallName } from './output.schema';
import { composeMessages } from './prompts/compose-message.prompt';
import { evaluateMessages } from './prompts/evaluate-reply.prompt';
import { retryFeedback } from './prompts/shared.prompt';
import type { PromptMessage } from './prompts/shared.prompt';
import { classifyProviderError } from './provider-error.mapper';
import { planResultSchema } from './strict-schema.mapper';
import type { JsonSchema } from './strict-schema.mapper';

/** One model call, for metrics: reported after the answer has been checked, so `ok` means "usable". */
export interface AgentCallInfo {
  name: CallName;
  /** The case the call was for, so its cost can be counted (Case.modelUsage). */
  caseId?: string;
  model: string;
  latencyMs: number;
  /** Null when the server reports no usage. */
  promptTokens: number | null;
  completionTokens: number | null;
  ok: boolean;
}

export type AgentCallHook = (info: AgentCallInfo) => void;

export interface OpenAIAgentOptions {
  apiKey?: string | null;
  baseURL?: string | null;
  model: string;
  /** Answers per call before giving up (default 3). */
  maxAttempts?: number;
  /** Per HTTP request. */
  timeoutMs?: number;
  /**
   * The client's own retries of network errors, 429 and 5xx (default 0: the model gate retries, honouring the
   * provider's reset hints for every worker; the client's own retries would spend the shared budget blindly).
   */
  transportRetries?: number;
  onCall?: AgentCallHook;
}

/** compose_message produced no usable email after every attempt; the job layer retries the job. */
export class AgentOutputError extends Error {
  override readonly name = 'AgentOutputError';
  readonly code = 'AGENT_OUTPUT_INVALID';
}

// Local OpenAI-compatible servers need no key, but the client refuses to start without one.
const KEYLESS_PLACEHOLDER = 'no-key';
const DEFAULT_MAX_ATTEMPTS = 3;

export class OpenAIAgent implements Agent {
  readonly name = 'openai';
  private readonly client: OpenAI;
  private readonly model: string;
  private readonly maxAttempts: number;
  private readonly onCall: AgentCallHook | undefined;

  constructor(options: OpenAIAgentOptions) {
    if (!options.model.trim()) throw new Error('OpenAIAgent: "model" must not be empty');
    this.client = new OpenAI({
      apiKey: options.apiKey ?? (options.baseURL ? KEYLESS_PLACEHOLDER : undefined),
      baseURL: options.baseURL ?? undefined,
      timeout: options.timeoutMs,
      maxRetries: options.transportRetries ?? 0,
    });
    this.model = options.model;
    this.maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS));
    this.onCall = options.onCall;
  }

  async compose(request: ComposeRequest): Promise<ComposedMessage> {
    const outcome = await this.callWithRetries(
      request.context.caseId,
      CALL_NAMES.compose,
      composeMessages(request),
      composeMessageJsonSchema,
      checkCompose,
    );
    if (outcome.ok) return outcome.value;
    throw new AgentOutputError(
      `compose_message (${request.purpose}) for case ${request.context.caseId} gave no usable answer after ` +
        `${this.maxAttempts} attempt(s): ${outcome.problem}`,
    );
  }

  async evaluate(context: CaseContext): Promise<Evaluation> {
    const plan = planResultSchema(context.resultSchema);
    const outcome = await this.callWithRetries(
      context.caseId,
      CALL_NAMES.evaluate,
      evaluateMessages(context, plan),
      evaluateReplyJsonSchema(plan),
      (raw) => checkEvaluation(raw, plan),
    );
    return outcome.ok ? outcome.value : fallbackEvaluation(outcome.problem, this.maxAttempts);
  }

  /** A one-word completion: proves the key, the model and the quota (a models lookup would not prove the quota). */
  async probe(): Promise<void> {
    try {
      await this.client.chat.completions.create({
        model: this.model,
        messages: [{ role: 'user', content: 'Reply with the word OK.' }],
      });
    } catch (error) {
      throw classifyProviderError(error);
    }
  }

  private async callWithRetries<T>(
    caseId: string,
    name: CallName,
    prompt: PromptMessage[],
    schema: JsonSchema,
    check: (raw: unknown) => Checked<T>,
  ): Promise<Checked<T>> {
    let messages = prompt;
    let last: Checked<T> = { ok: false, problem: 'no attempt was made' };
    for (let attempt = 1; attempt <= this.maxAttempts; attempt += 1) {
      const { answer, report } = await this.callOnce(caseId, name, messages, schema);
      const json = parseAnswerJson(answer);
      last = json.ok ? check(json.value) : json;
      report(last.ok);
      if (last.ok) return last;
      messages = [...prompt, ...retryFeedback(answer.content, last.problem)];
    }
    return last;
  }

  /** One HTTP call. Throws on transport errors; `report` emits the metrics once the answer has been judged. */
  private async callOnce(
    caseId: string,
    name: CallName,
    messages: PromptMessage[],
    schema: JsonSchema,
  ): Promise<{ answer: ModelAnswer; report: (ok: boolean) => void }> {
    const started = performance.now();
    const info = { name, caseId, model: this.model, promptTokens: null, completionTokens: null };
    let completion: OpenAI.Chat.Completions.ChatCompletion;
    try {
      completion = await this.client.chat.completions.create({
        model: this.model,
        messages,
        response_format: { type: 'json_schema', json_schema: { name, strict: true, schema } },
      });
    } catch (error) {
      this.emit({ ...info, latencyMs: performance.now() - started, ok: false });
      throw classifyProviderError(error);
    }
    const latencyMs = performance.now() - started;
    const choice = completion.choices[0];
    const answer: ModelAnswer = {
      content: choice?.message.content ?? null,
      refusal: choice?.message.refusal ?? null,
      finishReason: choice?.finish_reason ?? null,
    };
    const usage = {
      promptTokens: completion.usage?.prompt_tokens ?? null,
      completionTokens: completion.usage?.completion_tokens ?? null,
    };
    return { answer, report: (ok) => this.emit({ ...info, ...usage, latencyMs, ok }) };
  }

  private emit(info: AgentCallInfo): void {
    try {
      this.onCall?.(info);
    } catch {
      // Metrics must never decide the fate of a case.
    }
  }
}
