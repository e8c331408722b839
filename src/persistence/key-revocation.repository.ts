// Revoked API keys announced to every API process through PostgreSQL (LISTEN/NOTIFY, as the case feed does): each
// drops the key from its authentication cache and closes the graphql-ws sockets it opened.
import { Client } from 'pg';
import type { Tx } from './transaction.types';

export const KEY_REVOKED_CHANNEL = 'offload_key_revoked';

/** Tells every listening process; sent after the revocation committed, so no process can re-read the key as live. */
export async function notifyKeysRevoked(db: Tx, keyIds: string[]): Promise<void> {
  if (keyIds.length) await db.query(`SELECT pg_notify($1, $2)`, [KEY_REVOKED_CHANNEL, keyIds.join(',')]);
}

export interface RevocationListener {
  stop(): Promise<void>;
}

/** LISTENs on its own connection, reconnecting after a loss; `onKeys` gets the ids of each announcement. */
export async function listenForRevokedKeys(
  databaseUrl: string,
  onKeys: (keyIds: string[]) => void,
  onLost: (error: unknown) => void,
): Promise<RevocationListener> {
  let stopped = false;
  let client: Client | null = null;
  let retry: NodeJS.Timeout | null = null;
  const connect = async (): Promise<void> => {
    const c = new Client({ connectionString: databaseUrl, application_name: 'offload-key-revocations' });
    c.on('notification', (n) => {
      if (n.channel === KEY_REVOKED_CHANNEL && n.payload) onKeys(n.payload.split(','));
    });
    let lost = false;
    c.on('error', (error) => {
      if (lost) return;
      lost = true;
      onLost(error);
      client = null;
      c.end().catch(() => undefined);
      if (!stopped) retry = setTimeout(() => void connect().catch(onLost), 1000);
    });
    await c.connect();
    await c.query(`LISTEN ${KEY_REVOKED_CHANNEL}`);
    if (stopped) await c.end();
    else client = c;
  };
  await connect();
  return {
    stop: async () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      await client?.end().catch(() => undefined);
    },
  };
}
