// The bench's model provider must limit the way a provider does, or the model-bound figures measure the fake.
import { startModelFake, type ModelFake } from '../../../bench/model-fake';

const compose = (fake: ModelFake, caseId: string) =>
  fetch(`${fake.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'm',
      messages: [{ role: 'user', content: `Case ID: ${caseId}\nWrite the mail.` }],
      response_format: { type: 'json_schema', json_schema: { name: 'compose_message', strict: true, schema: {} } },
    }),
  });

describe('bench model fake', () => {
  test('over the rate a call gets 429 with Retry-After and x-ratelimit-*; answered composes are counted per case', async () => {
    const fake = await startModelFake({
      latency: { kind: 'fixed', ms: 0 },
      rateLimit: { requestsPerMinute: 60, burst: 1, rejectionsCount: false },
    });
    try {
      const first = await compose(fake, 'a');
      expect(first.status).toBe(200);
      const answer = (await first.json()) as { choices: { message: { content: string } }[] };
      expect(JSON.parse(answer.choices[0]!.message.content)).toEqual({
        subject: expect.any(String),
        body: expect.any(String),
      });
      const second = await compose(fake, 'b');
      expect(second.status).toBe(429);
      expect(Number(second.headers.get('retry-after'))).toBe(1);
      expect(second.headers.get('x-ratelimit-limit-requests')).toBe('60');
      expect(second.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+ms$|^[\d.]+s$/);
      expect(fake.counts()).toMatchObject({ composeRequests: 2, composeAnswered: 1, casesComposed: 1, rejected429: 1 });
    } finally {
      await fake.stop();
    }
  });

  test('when rejections count, each rejected call pushes the next admission further out', async () => {
    const fake = await startModelFake({
      latency: { kind: 'fixed', ms: 0 },
      rateLimit: { requestsPerMinute: 60, burst: 1, rejectionsCount: true },
    });
    try {
      expect((await compose(fake, 'a')).status).toBe(200);
      const resets: number[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await compose(fake, 'b');
        expect(res.status).toBe(429);
        resets.push(Number(res.headers.get('retry-after')));
      }
      expect(resets).toEqual([2, 3, 4]);
    } finally {
      await fake.stop();
    }
  });
});
