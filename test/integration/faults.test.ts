// Faults outside Offload, survived without a restart: every PostgreSQL connection killed while cases are in flight
// (pools, pg-boss and the case feed's listener all reconnect), and a webhook receiver that is down for several
// attempts and comes back on the same port. OFFLOAD_TIME_SCALE=3600: a case hour is a second, and the webhook retry
// schedule (5 s, 5 min, 30 min, 2 h, ...) shrinks to milliseconds and seconds.
import { Client } from 'pg';
import { Webhook } from 'standardwebhooks';
import {
  CancelCaseDocument,
  CaseUpdatesDocument,
  CreateCaseDocument,
  GetCaseDocument,
  RotateWebhookSecretDocument,
} from '../../schema/generated/graphql';
import { WebhookReceiver } from '../fakes/webhook-receiver';
import { collect } from '../helpers/graphql-client';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';
import { waitFor, waitForStatus } from '../helpers/wait';
import { testServerUrl } from '../helpers/database';

const ADMIN_URL = testServerUrl();

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp('faults', {
    env: { AGENT: 'rules', OFFLOAD_TIME_SCALE: '3600', WEBHOOK_TIMEOUT_MS: '500' },
  });
});
afterAll(async () => app?.stop());

/** Ends every backend of the test database from outside, as a failover or an admin would; returns how many. */
async function terminateAll(): Promise<number> {
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query(
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
      [app.database.name],
    );
    return rows.filter((r: { ok: boolean }) => r.ok).length;
  } finally {
    await admin.end();
  }
}

async function backends(applicationName: string): Promise<Array<{ query: string }>> {
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query(
      `SELECT query FROM pg_stat_activity WHERE datname = $1 AND application_name = $2`,
      [app.database.name, applicationName],
    );
    return rows;
  } finally {
    await admin.end();
  }
}

async function status(id: string) {
  const { case: found } = await app.client.ok(GetCaseDocument, { id });
  return found!;
}

describe('PostgreSQL connections dropped', () => {
  // pg-boss reports each connection this test kills as a process warning; expected here, so kept off the output
  // of a passing run (other warnings still print).
  const emitWarning = process.emitWarning;
  beforeAll(() => {
    process.emitWarning = ((warning: string | Error, ...rest: never[]) => {
      const text = typeof warning === 'string' ? warning : warning.message;
      if (!text.startsWith('pg-boss: terminating connection')) emitWarning.call(process, warning, ...rest);
    }) as typeof process.emitWarning;
  });
  afterAll(() => {
    process.emitWarning = emitWarning;
  });
  it('keeps serving, finishes the cases in flight and keeps subscriptions delivering', async () => {
    const ids: string[] = [];
    const failed = (items: Array<{ caseUpdates: { case: { id: string }; toStatus: string | null } }>, id: string) =>
      items.some((i) => i.caseUpdates.case.id === id && i.caseUpdates.toStatus === 'FAILED');
    const ws = app.client.ws();
    try {
      const feed = collect(
        ws,
        CaseUpdatesDocument,
        {},
        (items) => ids.length > 0 && ids.every((id) => failed(items, id)),
        45_000,
      );
      await feed.ready;
      await waitFor('subscriber registered', () => app.offload.services.feed.subscriberCount === 1);
      // Three mails a case, two case hours (two seconds) apart: about six seconds in flight.
      for (let i = 0; i < 8; i++) {
        const { createCase } = await app.client.ok(CreateCaseDocument, {
          input: caseInput({ followUpDelayHours: 2, maxAttempts: 2 }),
        });
        ids.push(createCase.id);
      }
      await waitFor('every outreach sent', async () =>
        (await Promise.all(ids.map(status))).every((c) => c.attemptCount >= 1),
      );

      expect(await terminateAll()).toBeGreaterThan(3);
      // A request that takes a pooled connection in the instant before the pool has seen it die can fail (there is no
      // statement retry: a commit cut off mid-way is ambiguous); each dead connection fails at most one request, and
      // the service answers again right after, without a restart.
      let refusedAfterKill = 0;
      const after = await waitFor(
        'createCase to work again after the kill',
        async () => {
          const result = await app.client.request(CreateCaseDocument, {
            input: caseInput({ followUpDelayHours: 8760 }),
          });
          if (result.data?.createCase) return result.data.createCase;
          refusedAfterKill++;
          return undefined;
        },
        5_000,
      );
      expect(refusedAfterKill).toBeLessThanOrEqual(Number(app.config.DATABASE_POOL_MAX));
      await waitForStatus(status, after.id, 'RUNNING');
      expect(await terminateAll()).toBeGreaterThan(0);

      const ends = await waitFor(
        'every case in flight at its end',
        async () => {
          const all = await Promise.all(ids.map(status));
          return all.every((c) => c.status === 'FAILED') && all;
        },
        30_000,
      );
      for (const c of ends) expect(c).toMatchObject({ resultStatus: 'max_retries', attemptCount: 3 });
      const items = await feed.finished;
      for (const id of ids)
        expect(items.filter((i) => i.caseUpdates.case.id === id && i.caseUpdates.toStatus === 'FAILED')).toHaveLength(
          1,
        );
      // The feed's LISTEN connection came back, once.
      const listeners = await waitFor('the feed listening again', async () => {
        const rows = await backends('offload-feed');
        return rows.length === 1 && rows;
      });
      expect(listeners[0]!.query).toMatch(/LISTEN offload_case_events/);
    } finally {
      await ws.dispose();
    }
  }, 50_000);
});

describe('webhook receiver down', () => {
  it('retries with the same webhook-id while the receiver refuses connections, and delivers once it is back', async () => {
    const secret = (await app.client.ok(RotateWebhookSecretDocument, {})).rotateWebhookSecret;
    const first = await WebhookReceiver.start({ secret });
    const port = first.port;
    const url = first.url();
    await first.close(); // Connection refused from here on.
    const { createCase } = await app.client.ok(CreateCaseDocument, {
      input: caseInput({ clientWebhookUrl: url, followUpDelayHours: 8760 }) as never,
    });
    await app.client.ok(CancelCaseDocument, { id: createCase.id, reason: 'fault test' });
    const delivery = async () =>
      (
        await app.offload.db.query(
          `SELECT id, event_id, status, attempt_count FROM webhook_deliveries WHERE case_id = $1`,
          [createCase.id],
        )
      )[0] as { id: string; event_id: string; status: string; attempt_count: number } | undefined;
    await waitFor('three refused attempts', async () => ((await delivery())?.attempt_count ?? 0) >= 3, 20_000);

    const back = await WebhookReceiver.start({ secret, port });
    try {
      const done = await waitFor(
        'delivered',
        async () => {
          const row = await delivery();
          return row?.status === 'DELIVERED' && row;
        },
        30_000,
      );
      const attempts: Array<{ ok: boolean; error_code: string | null }> = await app.offload.db.query(
        `SELECT ok, error_code FROM webhook_delivery_attempts WHERE delivery_id = $1 ORDER BY attempt_number`,
        [done.id],
      );
      expect(attempts.at(-1)!.ok).toBe(true);
      expect(attempts.slice(0, -1).every((a) => !a.ok && a.error_code !== null)).toBe(true);
      expect(attempts.length).toBe(done.attempt_count);
      expect(back.requests).toHaveLength(1);
      const [received] = back.requests;
      expect(received!.headers['webhook-id']).toBe(done.event_id);
      expect(received!.signatureError).toBeNull();
      expect(new Webhook(secret).verify(received!.rawBody, flat(received!.headers))).toMatchObject({
        event_type: 'case.failed',
      });
    } finally {
      await back.close();
    }
  }, 50_000);
});

function flat(headers: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)]));
}
