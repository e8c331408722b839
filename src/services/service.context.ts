// What every service needs, built once in the composition root.
import type { JobQueue } from '../jobs/job.catalog';
import type { Database } from '../persistence/transaction.types';
import type { Config } from '../config/env.config';
import type { Logger } from '../observability/logger.factory';

export type Clock = () => Date;

/** Told after a commit that timeline rows were written, so subscribers can be woken without a NOTIFY per commit. */
export interface ChangeSignal {
  changed(): void;
}

export interface ServiceContext {
  db: Database;
  boss: JobQueue;
  config: Config;
  clock: Clock;
  logger: Logger;
  changes: ChangeSignal;
}
