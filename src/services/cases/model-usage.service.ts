// What the model cost: per case and per account this month. Recording is fire-and-forget from the agent's call
// hook (a model call must never wait on, or fail because of, bookkeeping); a lost row under-counts, never blocks.
import type { AgentCallInfo } from '../../agent/openai.agent';
import { ModelUsageRepository, type ModelUsageTotals } from '../../persistence/model-usage.repository';
import { usageMonth } from '../../persistence/usage.repository';
import type { ServiceContext } from '../service.context';

export class ModelUsageService {
  private readonly repository: ModelUsageRepository;
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly ctx: Pick<ServiceContext, 'db' | 'clock' | 'logger'>) {
    this.repository = new ModelUsageRepository(ctx.db);
  }

  /** The agent's onCall hook: counts every call that reached the model, usable answer or not. */
  readonly onCall = (info: AgentCallInfo): void => {
    if (!info.caseId) return;
    const write = this.repository
      .record(info.caseId, info.promptTokens ?? 0, info.completionTokens ?? 0, usageMonth(this.ctx.clock()))
      .catch((error: unknown) => this.ctx.logger.warn({ err: error, caseId: info.caseId }, 'model usage not recorded'))
      .finally(() => this.pending.delete(write));
    this.pending.add(write);
  };

  /** Waits for writes in flight (shutdown, tests). */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  forCase(caseId: string): Promise<ModelUsageTotals> {
    return this.repository.forCase(caseId);
  }

  forAccountThisMonth(accountId: string): Promise<ModelUsageTotals> {
    return this.repository.forAccountMonth(accountId, usageMonth(this.ctx.clock()));
  }
}
