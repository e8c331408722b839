// One fetch loop per queue per process. It fetches as many jobs as there is room for, runs each on its own and
// settles each as soon as it ends, so a slow job never holds back a fast one fetched with it (no batch barrier), and
// idle polling costs one fetch per interval whatever the concurrency. Jobs in flight are kept claimed by one touch
// per interval for all of them; a killed process stops touching and pg-boss takes its jobs back after the queue's
// heartbeatSeconds (supervised every few seconds, boss.client.ts).
import type { Job, JobAttempt, PgBoss } from 'pg-boss';

export interface JobLoopOptions<T> {
  name: string;
  /** One job per group (the case) at a time across every process: pg-boss checks the group's active jobs. */
  grouped: boolean;
  /** How many more jobs may be fetched now, with `inFlight` running. */
  room: (inFlight: number) => number;
  handle: (job: Job<T>) => Promise<void>;
  /**
   * When set and it answers, the jobs of one fetch go together (their results in order, null for success): for a
   * handler whose work has no slow part (no model latency), where sharing a transaction beats running one by one.
   */
  handleMany?: (jobs: Job<T>[]) => Promise<unknown[]> | null;
  /** A job whose handler threw; it is failed (pg-boss retries it with the queue's backoff). */
  onJobError: (job: Job<T>, error: unknown) => void;
  /** Fetch, touch and settle errors: the loop goes on (pg-boss reconnects). */
  onError: (error: unknown, what: string) => void;
  /** Idle poll: a loop whose last fetch came back short waits this long unless something wakes it. */
  pollMs: number;
  /** Touches every job in flight this often; null for a queue without heartbeats. */
  touchMs: number | null;
}

export class JobLoop<T> {
  private readonly inFlight = new Map<string, JobAttempt>();
  private running = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private woken = false;
  private toComplete: JobAttempt[] = [];
  private settling: Promise<void> | null = null;
  private touching: NodeJS.Timeout | null = null;
  private drained: (() => void)[] = [];

  constructor(
    private readonly boss: PgBoss,
    private readonly options: JobLoopOptions<T>,
  ) {}

  get size(): number {
    return this.inFlight.size;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
    const { touchMs } = this.options;
    if (touchMs) {
      this.touching = setInterval(() => void this.touch(), touchMs);
      this.touching.unref();
    }
  }

  /** Fetch now: a job ended, or a job let go of its slot while it waits on the model. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /**
   * Stops fetching and waits up to `timeoutMs` for the jobs in flight; those still running then are failed, so
   * another worker retries them at once rather than after their heartbeat lapses.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    if (this.inFlight.size) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.drained.push(resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
      ]);
      clearTimeout(timer);
    }
    if (this.touching) clearInterval(this.touching);
    await this.settle();
    const left = [...this.inFlight.values()];
    if (left.length) {
      await this.boss
        .fail(this.options.name, left, { message: 'worker stopped' })
        .catch((error: unknown) => this.options.onError(error, 'fail on stop'));
    }
  }

  private async run(): Promise<void> {
    const { name, grouped, room, pollMs } = this.options;
    while (this.running) {
      this.woken = false;
      const free = room(this.inFlight.size);
      let short = true;
      if (free > 0) {
        try {
          const jobs = await this.boss.fetch<T>(name, { batchSize: free, ...(grouped ? { groupConcurrency: 1 } : {}) });
          const together = jobs.length > 1 ? this.options.handleMany?.(jobs) : null;
          if (together) this.beginMany(jobs, together);
          else for (const job of jobs) this.begin(job);
          // A full fetch says more may be waiting: fetch again as soon as there is room.
          short = jobs.length < free;
        } catch (error) {
          this.options.onError(error, 'fetch');
        }
      }
      if (!this.running) break;
      if (free > 0 && !short) continue;
      // No room: a job ending wakes us. Short: new work arrives by the poll or by a job ending here.
      await this.sleep(free > 0 ? pollMs : Math.max(pollMs, 1000));
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken || !this.running) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  private begin(job: Job<T>): void {
    const attempt: JobAttempt = { id: job.id, retryCount: job.retryCount };
    this.inFlight.set(job.id, attempt);
    void this.options
      .handle(job)
      .then(
        () => this.completed(attempt),
        (error: unknown) => this.failed(job, attempt, error),
      )
      .finally(() => {
        this.inFlight.delete(job.id);
        if (!this.inFlight.size) for (const resolve of this.drained.splice(0)) resolve();
        this.wake();
      });
  }

  private beginMany(jobs: Job<T>[], results: Promise<unknown[]>): void {
    const attempts = jobs.map((job) => ({ id: job.id, retryCount: job.retryCount }));
    for (const attempt of attempts) this.inFlight.set(attempt.id, attempt);
    void results
      .then(
        (outcomes) => outcomes,
        (error: unknown) => jobs.map(() => error ?? new Error('batch failed')),
      )
      .then((outcomes) =>
        Promise.all(
          jobs.map((job, i) =>
            outcomes[i] == null ? this.completed(attempts[i]!) : this.failed(job, attempts[i]!, outcomes[i]),
          ),
        ),
      )
      .finally(() => {
        for (const attempt of attempts) this.inFlight.delete(attempt.id);
        if (!this.inFlight.size) for (const resolve of this.drained.splice(0)) resolve();
        this.wake();
      });
  }

  /** Completions that end close together go in one statement; none waits for another job to end. */
  private completed(attempt: JobAttempt): Promise<void> {
    this.toComplete.push(attempt);
    return this.settle();
  }

  private settle(): Promise<void> {
    this.settling ??= (async () => {
      while (this.toComplete.length) {
        const batch = this.toComplete.splice(0);
        try {
          await this.boss.complete(this.options.name, batch);
        } catch (error) {
          // Left active: its heartbeat lapses and it runs again, finding its key claimed.
          this.options.onError(error, 'complete');
        }
      }
    })().finally(() => (this.settling = null));
    return this.settling;
  }

  private async failed(job: Job<T>, attempt: JobAttempt, error: unknown): Promise<void> {
    this.options.onJobError(job, error);
    const message = error instanceof Error ? error.message : String(error);
    try {
      await this.boss.fail(this.options.name, attempt, { message });
    } catch (failError) {
      this.options.onError(failError, 'fail');
    }
  }

  private async touch(): Promise<void> {
    const attempts = [...this.inFlight.values()];
    if (!attempts.length) return;
    try {
      await this.boss.touch(this.options.name, attempts);
    } catch (error) {
      this.options.onError(error, 'touch');
    }
  }
}
