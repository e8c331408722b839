// deleteCase and the retention sweep (SPEC §11): a case's personal data (counterparty, goal, messages, attachment
// bytes, result, metadata, timeline data, webhook bodies) is deleted, not masked; what usage counting needs is kept
// in a tombstone. Afterwards the case answers like a missing one on every face (GraphQL, REST, subscriptions,
// attachment links), its undelivered webhooks and queued jobs are gone, and a job running at that moment finds no
// case and does nothing.
import { caseNotFound } from '../../domain/app.errors';
import { deleteJobsOfCase } from '../../jobs/job.catalog';
import { eraseCaseRows, findExpiredCases, type ErasedBy } from '../../persistence/case-erasure.repository';
import { lockCase } from '../../persistence/cases.repository';
import type { ServiceContext } from '../service.context';
import { isUuid } from './case-input.schema';

const DAY_MS = 86_400_000;

export class CaseErasureService {
  constructor(private readonly ctx: Pick<ServiceContext, 'db' | 'boss' | 'clock' | 'logger' | 'changes' | 'config'>) {}

  /** deleteCase: true, or CASE_NOT_FOUND for a case the account does not have (any longer). */
  async deleteCase(accountId: string, caseId: string): Promise<boolean> {
    if (!isUuid(caseId) || !(await this.erase(caseId, 'client', accountId))) throw caseNotFound();
    return true;
  }

  /**
   * The sweep's part when CASE_RETENTION_DAYS is set: erases finished cases older than that, a batch at a time,
   * each in its own transaction; returns how many it erased.
   */
  async eraseExpired(batchSize = 100): Promise<number> {
    const days = this.ctx.config.CASE_RETENTION_DAYS;
    if (!days) return 0;
    const before = new Date(this.ctx.clock().getTime() - days * DAY_MS);
    let erased = 0;
    for (;;) {
      const ids = await findExpiredCases(this.ctx.db.manager, before, batchSize);
      for (const id of ids) if (await this.erase(id, 'retention')) erased++;
      if (ids.length < batchSize) break;
    }
    if (erased) this.ctx.logger.info({ erased, retentionDays: days }, 'erased cases past CASE_RETENTION_DAYS');
    return erased;
  }

  private async erase(caseId: string, by: ErasedBy, accountId?: string): Promise<boolean> {
    const erased = await this.ctx.db.transaction(async (manager) => {
      // The lock waits for a step in flight, so the case is erased between steps, never in the middle of one.
      const row = await lockCase(manager, caseId, accountId);
      if (!row) return false;
      await deleteJobsOfCase(this.ctx, manager, caseId);
      return eraseCaseRows(manager, caseId, by, this.ctx.clock());
    });
    if (erased) {
      this.ctx.logger.info({ caseId, erasedBy: by }, 'case erased');
      this.ctx.changes.changed();
    }
    return erased;
  }
}
