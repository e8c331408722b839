// Every model call passes through here (an Agent around the real one): it takes a slot from the limiter shared by
// all workers, and turns the provider's refusals into waiting instead of failed jobs. A 429/503 blocks every worker
// until the provider's reset and lowers the shared rate; timeouts and 5xx are retried after a pause; errors no retry
// fixes (401/403, insufficient_quota, unknown model) open a shared circuit: calls wait (each waiting case gets one
// `agent.unavailable` timeline row), one probe goes every probe interval, and the first success closes it.
// The job only awaits: waiting here never fails or dead-letters a case; stop() ends every wait on shutdown.
import { AsyncLocalStorage } from 'node:async_hooks';
import { AgentCallError } from '../../agent/agent.types';
import type { Agent, CaseContext, ComposedMessage, ComposeRequest } from '../../agent/agent.types';
import type { AgentCallInfo } from '../../agent/openai.agent';
import type { Evaluation } from '../../domain/evaluation.types';
import type { Logger } from '../../observability/logger.factory';
import { insertTimelineNoteOnce } from '../../persistence/case-events.repository';
import type { Database } from '../../persistence/transaction.types';
import type { ChangeSignal, Clock } from '../service.context';
import type { Circuit } from './limit-state.policy';
import type { SharedLimiter } from './shared-limiter.service';

export const AGENT_UNAVAILABLE_EVENT = 'agent.unavailable';

export interface ModelGateOptions {
  /** The provider key the limits are shared under, e.g. "model:api.openai.com/gpt-4o-mini". */
  key: string;
  /** MODEL_RPM / MODEL_TPM: caps across every worker; null: none. */
  rpm: number | null;
  tpm: number | null;
  /** Our own pauses (probe interval, backoff, circuit polls) are divided by OFFLOAD_TIME_SCALE; provider hints never. */
  timeScale: number;
}

/** Pause before retrying a call after its nth failure that came without a hint: 1 s, 2 s, 4 s ... 60 s. */
const BACKOFF_BASE_MS = 1_000;
const BACKOFF_MAX_MS = 60_000;
const PROBE_EVERY_MS = 30_000;
/** How often a waiting call looks whether the circuit has closed. */
const CIRCUIT_POLL_MS = 5_000;
/** Floors under OFFLOAD_TIME_SCALE: probes, the idle prober's look at the database, and waiting calls' looks. */
const PROBE_FLOOR_MS = 100;
const IDLE_PROBE_FLOOR_MS = 1_000;
const POLL_FLOOR_MS = 50;
/** What a call costs beyond its context (instructions and schema ~500, an answer ~300), for the MODEL_TPM estimate. */
const TOKENS_BEYOND_CONTEXT = 800;

export class ModelGate implements Agent {
  readonly name: string;
  private readonly aborter = new AbortController();
  private probeTimer: NodeJS.Timeout | null = null;
  private readonly usage = new AsyncLocalStorage<{ tokens: number }>();
  /** Reported tokens per estimated token, learnt from this process's calls (prompts differ in fixed overhead). */
  private tokenRatio = 1;
  /** Cases this process has written an agent.unavailable row for in the current outage (polls skip the database). */
  private noted = { since: '', cases: new Set<string>() };

  constructor(
    private readonly inner: Agent,
    private readonly limiter: SharedLimiter,
    private readonly deps: { db: Database; changes: ChangeSignal; logger: Logger; clock: Clock },
    private readonly options: ModelGateOptions,
  ) {
    this.name = inner.name;
  }

  compose(request: ComposeRequest): Promise<ComposedMessage> {
    return this.call(request.context, () => this.inner.compose(request));
  }

  evaluate(context: CaseContext): Promise<Evaluation> {
    return this.call(context, () => this.inner.evaluate(context));
  }

  /** The agent's onCall hook: the tokens a call really used correct the MODEL_TPM estimate. */
  readonly onCall = (info: AgentCallInfo): void => {
    const usage = this.usage.getStore();
    if (usage) usage.tokens += (info.promptTokens ?? 0) + (info.completionTokens ?? 0);
  };

  /**
   * Probes the open circuit with the agent's cheap call when no waiting case has done so for a probe interval, so
   * the outage ends (and /readyz recovers) even when no case is waiting.
   */
  start(): void {
    const probe = this.inner.probe?.bind(this.inner);
    if (!probe || this.probeTimer) return;
    let running = false;
    this.probeTimer = setInterval(
      () => {
        if (running) return;
        running = true;
        this.probeIdle(probe)
          .catch((error: unknown) => this.deps.logger.warn({ err: error }, 'model circuit probe failed to run'))
          .finally(() => (running = false));
      },
      Math.max(IDLE_PROBE_FLOOR_MS, this.probeEvery()),
    );
    this.probeTimer.unref();
  }

  /** Ends every wait (shutdown): the calls waiting throw LimiterStoppedError and their jobs go back to the queue. */
  stop(): void {
    this.aborter.abort();
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = null;
  }

  private async probeIdle(probe: () => Promise<void>): Promise<void> {
    const { key } = this.options;
    const state = await this.limiter.read(key);
    if (!state.circuit || state.circuit.probeAt > this.limiter.clock.now()) return;
    if (!(await this.limiter.claimProbe(key, this.probeEvery()))) return;
    try {
      await probe();
    } catch (error) {
      const reason = error instanceof AgentCallError ? error.reason : String(error);
      this.deps.logger.warn({ key, reason }, 'model provider still unavailable (probe refused)');
      if (error instanceof AgentCallError && error.kind === 'unavailable')
        await this.limiter.openCircuit(key, error.reason, this.probeEvery());
      return;
    }
    await this.closeCircuit();
  }

  private async call<T>(context: CaseContext, fn: () => Promise<T>): Promise<T> {
    const { key, rpm, tpm } = this.options;
    const signal = this.aborter.signal;
    const size = tpm === null ? 0 : contextTokens(context);
    const tokens = Math.ceil(size * this.tokenRatio);
    const request = { perMinute: rpm, tokensPerMinute: tpm, tokens, probeEveryMs: this.probeEvery() };
    let failures = 0;
    for (;;) {
      const grant = await this.limiter.take(key, request, signal);
      if (grant.kind === 'circuit') {
        await this.noteUnavailable(context.caseId, grant.circuit);
        await this.limiter.clock.sleep(Math.max(POLL_FLOOR_MS, this.scaled(CIRCUIT_POLL_MS)), signal);
        continue;
      }
      const used = { tokens: 0 };
      try {
        const result = await this.usage.run(used, fn);
        if (grant.kind === 'probe') await this.closeCircuit();
        return result;
      } catch (error) {
        if (!(error instanceof AgentCallError) || error.kind === 'invalid_request') throw error;
        failures += 1;
        await this.handle(error, grant.epoch, failures, signal);
      } finally {
        if (tpm !== null && used.tokens > 0) {
          this.tokenRatio = 0.8 * this.tokenRatio + 0.2 * (used.tokens / size);
          await this.limiter.correctTokens(key, used.tokens - tokens, tpm);
        }
      }
    }
  }

  private async handle(error: AgentCallError, epoch: number, failures: number, signal: AbortSignal): Promise<void> {
    const { key } = this.options;
    const log = { key, status: error.status, code: error.code, waitMs: error.waitMs, failures };
    switch (error.kind) {
      case 'rate_limited':
        this.deps.logger.info(log, 'model provider refused a call; every worker waits, the shared rate is lowered');
        await this.limiter.refuse(key, epoch, error.waitMs ?? this.backoff(failures), error.declaredPerMinute);
        return;
      case 'unavailable': {
        const circuit = await this.limiter.openCircuit(key, error.reason, this.probeEvery());
        this.deps.logger.error(
          { ...log, reason: circuit.reason, since: new Date(circuit.openedAt).toISOString() },
          'model provider unavailable (no retry fixes this): case jobs wait until a probe succeeds',
        );
        return;
      }
      default:
        this.deps.logger.warn(log, 'model call failed; retrying after a pause');
        await this.limiter.clock.sleep(error.waitMs ?? this.backoff(failures), signal);
    }
  }

  private async closeCircuit(): Promise<void> {
    await this.limiter.closeCircuit(this.options.key);
    this.deps.logger.info({ key: this.options.key }, 'model provider available again: circuit closed');
  }

  private async noteUnavailable(caseId: string, circuit: Circuit): Promise<void> {
    const since = new Date(circuit.openedAt).toISOString();
    if (this.noted.since !== since) this.noted = { since, cases: new Set() };
    if (this.noted.cases.has(caseId)) return;
    const written = await insertTimelineNoteOnce(
      this.deps.db,
      {
        caseId,
        type: AGENT_UNAVAILABLE_EVENT,
        data: { reason: circuit.reason, since, provider: this.options.key },
        occurredAt: this.deps.clock(),
      },
      'since',
    );
    this.noted.cases.add(caseId);
    if (written) this.deps.changes.changed();
  }

  private backoff(failures: number): number {
    const ms = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (failures - 1));
    return this.scaled(ms * (0.8 + Math.random() * 0.4));
  }

  /** Sped up for demos and tests, but never into a busy loop against a refusing provider or the database. */
  private probeEvery(): number {
    return Math.max(PROBE_FLOOR_MS, this.scaled(PROBE_EVERY_MS));
  }

  private scaled(ms: number): number {
    return Math.max(1, ms / this.options.timeScale);
  }
}

/**
 * A first guess at a call's tokens (about four characters a token), scaled by what the provider reported for earlier
 * calls; the usage it reports after the call corrects the budget either way.
 */
function contextTokens(context: CaseContext): number {
  return Math.ceil(JSON.stringify(context).length / 4) + TOKENS_BEYOND_CONTEXT;
}
