// The model slots of a worker: at most MODEL_MAX_CONCURRENCY calls run at once, the rest wait their turn in order,
// and every call waiting (running or queued) is counted and announced, which is what frees its job slot.
import type { Agent } from '../../../src/agent/agent.types';
import { ModelSlots } from '../../../src/services/worker/model-slots.service';
import { caseRoom } from '../../../src/jobs/job-handler.registry';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

it('runs at most max calls at once and hands each freed slot to the next in line', async () => {
  const slots = new ModelSlots(2);
  let announced = 0;
  slots.onWait(() => (announced += 1));
  const gates = [deferred(), deferred(), deferred()];
  const started: number[] = [];
  const calls = gates.map((gate, i) =>
    slots.run(async () => {
      started.push(i);
      await gate.promise;
      return i;
    }),
  );
  await new Promise((r) => setImmediate(r));
  expect(started).toEqual([0, 1]);
  expect(slots.waiting).toBe(3);
  expect(announced).toBe(3);
  gates[0]!.resolve();
  expect(await calls[0]).toBe(0);
  await new Promise((r) => setImmediate(r));
  expect(started).toEqual([0, 1, 2]);
  gates[1]!.resolve();
  gates[2]!.resolve();
  expect(await Promise.all(calls)).toEqual([0, 1, 2]);
  expect(slots.waiting).toBe(0);
});

it('gives the slot back when a call fails', async () => {
  const slots = new ModelSlots(1);
  const agent: Agent = {
    name: 'openai',
    compose: async () => {
      throw new Error('429');
    },
    evaluate: async () => {
      throw new Error('unused');
    },
  };
  const wrapped = slots.wrap(agent);
  const request = {} as Parameters<Agent['compose']>[0];
  await expect(wrapped.compose(request)).rejects.toThrow('429');
  await expect(wrapped.compose(request)).rejects.toThrow('429');
  expect(slots.waiting).toBe(0);
});

it('counts jobs waiting on the model apart from the job slots', () => {
  const config = { WORKER_CONCURRENCY: 8, MODEL_MAX_CONCURRENCY: 32, SWEEP_CRON: '0 * * * *' };
  expect(caseRoom(config, 0, 0)).toBe(8);
  expect(caseRoom(config, 8, 0)).toBe(0);
  // Eight jobs waiting on the model free their eight slots.
  expect(caseRoom(config, 8, 8)).toBe(8);
  // Never more in hand than both together.
  expect(caseRoom(config, 40, 36)).toBe(0);
});
