import { PushQueue } from '../../../src/services/feed/push.queue';

describe('PushQueue', () => {
  it('hands items to a waiting reader and queues them for a later one, in order', async () => {
    const queue = new PushQueue<number>(10, () => {});
    const first = queue.next();
    queue.push(1);
    queue.push(2);
    queue.push(3);
    expect(await first).toEqual({ value: 1, done: false });
    expect(await queue.next()).toEqual({ value: 2, done: false });
    expect(await queue.next()).toEqual({ value: 3, done: false });
  });

  it('closes once when the reader falls more than maxQueued behind, after draining what it kept', async () => {
    let closes = 0;
    const queue = new PushQueue<number>(2, () => closes++);
    for (const n of [1, 2, 3, 4]) queue.push(n);
    expect(closes).toBe(1);
    expect(await queue.next()).toEqual({ value: 1, done: false });
    expect(await queue.next()).toEqual({ value: 2, done: false });
    expect(await queue.next()).toEqual({ value: undefined, done: true });
  });

  it('ends a pending read and calls onClose once when the reader returns', async () => {
    let closes = 0;
    const queue = new PushQueue<number>(2, () => closes++);
    const pending = queue.next();
    await queue.return();
    await queue.return();
    expect(await pending).toEqual({ value: undefined, done: true });
    queue.push(5);
    expect(await queue.next()).toEqual({ value: undefined, done: true });
    expect(closes).toBe(1);
  });
});
