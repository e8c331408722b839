// Case.modelUsage and Usage.modelUsage count every model call and the tokens the server reported, per case and per
// account this month; the openai fake reports ceil(characters / 4) tokens each way.
import { CreateCaseDocument, GetCaseDetailDocument, GetModelUsageDocument } from '../../schema/generated/graphql';
import { answer, routeByCall, startOpenAIFake, type OpenAIFake } from '../fakes/openai-fake';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';
import { waitFor } from '../helpers/wait';

let model: OpenAIFake;
let app: TestApp;

beforeAll(async () => {
  model = await startOpenAIFake(
    routeByCall({
      compose_message: answer.json({ subject: 'Your W-9', body: 'Could you send the signed W-9?\n\nSam' }),
      evaluate_reply: answer.json({
        decision: 'GOAL_ACHIEVED',
        reason: 'The W-9 arrived.',
        result: { summary: 'W-9 received' },
        question: null,
        replyBody: null,
        snoozeHours: null,
      }),
    }),
  );
  app = await startTestApp('model_usage', {
    env: { AGENT: 'openai', OPENAI_BASE_URL: model.baseURL, OPENAI_MODEL: 'fake-model' },
  });
});
afterAll(async () => {
  await app?.stop();
  await model?.stop();
});

async function detail(id: string) {
  const { case: found } = await app.client.ok(GetCaseDetailDocument, { id });
  if (!found) throw new Error(`case ${id} not found`);
  return found;
}

it('counts calls and tokens of a case and of the account', async () => {
  const { createCase } = await app.client.ok(CreateCaseDocument, { input: caseInput() });
  expect(createCase.id).toBeTruthy();
  await waitFor('outreach', async () => (await detail(createCase.id)).status === 'RUNNING');
  const response = await fetch(`${app.url}/webhooks/local`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': app.apiKey },
    body: JSON.stringify({ caseId: createCase.id, from: 'vendor@example.com', text: 'Here is the W-9.' }),
  });
  expect(response.status).toBe(202);
  const usage = await waitFor('two calls counted', async () => {
    const found = await detail(createCase.id);
    return found.status === 'COMPLETED' && found.modelUsage.calls === 2 && found.modelUsage;
  });
  // The fake's token counts, computed from what it was sent and what it answered.
  const prompt = model.requests.reduce((sum, r) => sum + Math.ceil(r.text.length / 4), 0);
  expect(usage.promptTokens).toBe(prompt);
  expect(usage.completionTokens).toBeGreaterThan(0);
  const { usage: account } = await app.client.ok(GetModelUsageDocument, {});
  expect(account.modelUsage).toEqual(usage);
});

it('a case the model never saw reads zero', async () => {
  const [row] = await app.offload.db.query(`SELECT model_calls FROM cases ORDER BY created_at LIMIT 1`);
  expect(row.model_calls).toBeGreaterThan(0);
  expect(await app.offload.services.modelUsage.forCase('00000000-0000-4000-8000-000000000000')).toEqual({
    calls: 0,
    promptTokens: 0,
    completionTokens: 0,
  });
});
