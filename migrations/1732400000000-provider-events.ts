import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Provider events (AgentMail/Svix deliveries) already handled: a redelivered event id has no second effect. */
export class ProviderEvents1732400000000 implements MigrationInterface {
  name = 'ProviderEvents1732400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE provider_events (
        provider text NOT NULL,
        event_id text NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (provider, event_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS provider_events`);
  }
}
