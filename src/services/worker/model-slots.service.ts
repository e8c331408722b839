// Model calls in flight per worker process, at most MODEL_MAX_CONCURRENCY. A job waiting on the model (for a slot,
// for the provider's rate limit, or for the answer) holds no job slot and no database connection: the fetch loop
// counts it apart (job-handler.registry.ts) and fetches more work while it waits.
import type { Agent } from '../../agent/agent.types';

export class ModelSlots {
  private active = 0;
  private readonly queue: (() => void)[] = [];
  private calls = 0;
  private readonly listeners: (() => void)[] = [];

  constructor(private readonly max: number) {}

  /** Calls waiting on the model now: running, or queued for a slot. */
  get waiting(): number {
    return this.calls;
  }

  /** Told when a call starts waiting, which frees a job slot. */
  onWait(listener: () => void): void {
    this.listeners.push(listener);
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    this.calls += 1;
    for (const listener of this.listeners) listener();
    try {
      if (this.active >= this.max) await new Promise<void>((resolve) => this.queue.push(resolve));
      else this.active += 1;
      try {
        return await call();
      } finally {
        // Hand the slot straight to the next call in line, or give it back.
        const next = this.queue.shift();
        if (next) next();
        else this.active -= 1;
      }
    } finally {
      this.calls -= 1;
    }
  }

  /** The agent with every call going through a slot. */
  wrap(agent: Agent): Agent {
    return {
      name: agent.name,
      compose: (request) => this.run(() => agent.compose(request)),
      evaluate: (context) => this.run(() => agent.evaluate(context)),
    };
  }
}
