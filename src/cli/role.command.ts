// `offload serve|api|worker`: find the database (embedded unless DATABASE_URL), start the roles, and on SIGTERM or
// SIGINT drain them before the embedded server (if this process started it) goes down.
import { createServer } from 'node:net';
import { loadConfig } from '../config/env.config';
import { locateDatabase, type DatabaseLocation } from '../persistence/database-location.service';
import type { AccountsService } from '../services/accounts/account.service';
import { createLogger } from '../observability/logger.factory';
import type { Offload, Role } from '../server/offload.app';
import { offloadUrls, print, progress, StartupError } from './cli-output.writer';

export async function runRole(role: Role): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  // Listen before starting: a signal during start-up is honoured once Offload is up, never lost to the default
  // action (which would kill the process without closing anything).
  let offload: Offload | null = null;
  let database: DatabaseLocation | null = null;
  let signalled = false;
  let stopping = false;
  const stop = (): void => {
    if (stopping || !offload) return;
    stopping = true;
    const running = offload;
    (async () => {
      await running.stop();
      await database?.stop();
    })().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  const shutdown = (signal: string): void => {
    signalled = true;
    logger.info({ signal }, 'shutting down');
    stop();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  // Checked before anything starts: found by the HTTP server's listen, a taken port surfaces after the database and
  // the job queue are up, through the WebSocket server's own error printout.
  if (role !== 'worker' && config.PORT !== 0 && !(await portIsFree(config.PORT, config.HOST)))
    throw new StartupError(portTaken(config.PORT, config.HOST));
  database = await locateDatabase(config, role, progress);
  progress(database.description);
  try {
    // Loaded only now: a start refused above (no DATABASE_URL for a split role, a taken port) answers at once.
    const { startOffload } = await import('../server/offload.app.js');
    offload = await startOffload({ ...config, DATABASE_URL: database.url }, { role, logger });
  } catch (error) {
    await database.stop();
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') throw new StartupError(portTaken(config.PORT, config.HOST));
    throw error;
  }
  if (role !== 'worker') await ensureDevAccount(offload.services.accounts, config.NODE_ENV === 'production');
  logger.info({ url: offload.url, role, agent: config.agent, mail: config.MAIL_TRANSPORT }, 'offload started');
  if (role === 'worker')
    progress(`Offload worker running${offload.opsUrl ? ` (health: ${offload.opsUrl}/readyz)` : ''}`);
  else {
    const urls = offloadUrls(offload.url);
    progress(`Offload ${role} is up: GraphQL ${urls.graphql} · dashboard ${urls.dashboard} (Ctrl-C stops it)`);
  }
  if (signalled) stop();
}

const portTaken = (port: number, host: string): string =>
  `PORT ${port} is already in use on ${host} (another Offload?): stop that process or set PORT to a free port`;

function portIsFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}

/**
 * First start: a SANDBOX account named dev, its key printed once, so the README's next command just works. Not in
 * production: there an account nobody asked for, with its key in the log collector, is a credential leak.
 */
async function ensureDevAccount(accounts: AccountsService, production: boolean): Promise<void> {
  if ((await accounts.countAccounts()) > 0) return;
  if (production) {
    progress('No account exists yet. Create one with: offload accounts create --name NAME --plan PAYG');
    return;
  }
  const created = await accounts.createAccount('dev', 'SANDBOX');
  progress(
    'Created a SANDBOX account "dev". Its API key (shown only now; `offload keys create --account dev` makes another):',
  );
  print(JSON.stringify(created));
}
