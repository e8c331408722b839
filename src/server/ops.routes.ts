// Operations endpoints, served by every role (the worker role serves only these): /healthz says the process is
// alive, /readyz that it can do its job right now, /metrics is Prometheus's scrape.
import http from 'node:http';
import express, { Router } from 'express';
import type { Registry } from 'prom-client';
import { QUEUES, type JobQueue } from '../jobs/job.catalog';
import { ping } from '../persistence/data-source.factory';
import type { Database } from '../persistence/transaction.types';

const CHECK_TIMEOUT_MS = 2_000;

export interface Readiness {
  /** The worker role is ready only once its handlers are registered with pg-boss. */
  workersRegistered(): void;
  /** A stopping process is no longer ready, so a load balancer drains it before its sockets close. */
  stopping(): void;
  check(): Promise<ReadinessReport>;
}

export interface ReadinessReport {
  ok: boolean;
  checks: Record<string, boolean>;
  /** Present while the model provider's circuit is open (SPEC §12): why, since when, which provider key. */
  agent?: { status: 'unavailable'; reason: string; since: string; provider: string };
}

/** Open model circuits (the shared limiter's view); null: the agent calls no provider. */
export type AgentCircuits = () => Promise<Array<{ key: string; circuit: { reason: string; openedAt: number } }>>;

export function createReadiness(deps: {
  db: Database;
  boss: JobQueue;
  runsWorker: boolean;
  agent?: AgentCircuits | null;
}): Readiness {
  let registered = !deps.runsWorker;
  let stopping = false;
  return {
    workersRegistered: () => void (registered = true),
    stopping: () => void (stopping = true),
    async check() {
      const [database, jobs, circuits] = await Promise.all([
        probe(() => ping(deps.db)),
        // Through pg-boss's own pool and schema: proves it started and its queues exist.
        probe(async () => (await deps.boss.getQueue(QUEUES.caseEvents.name)) !== null),
        deps.agent ? deps.agent().catch(() => []) : Promise.resolve([]),
      ]);
      const open = circuits[0];
      const checks: Record<string, boolean> = { database, jobs, workers: registered, accepting: !stopping };
      // A worker whose model provider refuses every call cannot do its job: not ready. An API-only process still
      // takes cases (they wait), so it stays ready and only reports the outage.
      if (deps.runsWorker && deps.agent) checks.agent = !open;
      const report: ReadinessReport = { ok: Object.values(checks).every(Boolean), checks };
      if (open)
        report.agent = {
          status: 'unavailable',
          reason: open.circuit.reason,
          since: new Date(open.circuit.openedAt).toISOString(),
          provider: open.key,
        };
      return report;
    },
  };
}

async function probe(fn: () => Promise<boolean>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS)));
  try {
    return await Promise.race([fn().catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function opsRoutes(deps: { readiness: Readiness; registry: Registry }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => void res.json({ ok: true }));
  router.get('/readyz', async (_req, res) => {
    const result = await deps.readiness.check();
    res.status(result.ok ? 200 : 503).json(result);
  });
  router.get('/metrics', async (_req, res) => {
    res.type(deps.registry.contentType).send(await deps.registry.metrics());
  });
  return router;
}

/**
 * The worker role has no API, but its probes and metrics must still be reachable: it serves the ops routes alone on
 * PORT. A port already taken (e.g. an API beside it on one host) costs only the probes, never the worker.
 */
export async function startOpsServer(
  router: Router,
  listen: { port: number; host: string },
  onUnavailable: (error: Error) => void,
): Promise<{ url: string | null; stop(): Promise<void> }> {
  const app = express();
  app.disable('x-powered-by');
  app.use(router);
  const server = http.createServer(app);
  const url = await new Promise<string | null>((resolve) => {
    server.once('error', (error) => {
      onUnavailable(error);
      resolve(null);
    });
    server.listen(listen.port, listen.host, () => {
      const address = server.address();
      resolve(address && typeof address === 'object' ? `http://127.0.0.1:${address.port}` : null);
    });
  });
  return {
    url,
    stop: async () => {
      if (!url) return;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
