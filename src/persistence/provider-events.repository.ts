// `provider_events`: ids of mail-provider events already applied, claimed in the transaction that applies them.
import type { Tx } from './transaction.types';

/** Claims a provider event id in the caller's transaction; false when it was claimed (applied) before. */
export async function claimProviderEvent(manager: Tx, provider: string, eventId: string): Promise<boolean> {
  const rows: unknown[] = await manager.query(
    `INSERT INTO provider_events (provider, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1`,
    [provider, eventId],
  );
  return rows.length > 0;
}
