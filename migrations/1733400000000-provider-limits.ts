import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 19: limits shared by every worker process. One row per provider key ("model:<host>/<model>",
 * "mail:<domain>"): the next free call slot, "nobody calls before", the adaptive rate, the token budget and the
 * circuit. The state is a JSON document owned by src/services/limits/limit-state.policy.ts; a row is changed only
 * under its row lock, so the workers agree on it.
 */
export class ProviderLimits1733400000000 implements MigrationInterface {
  name = 'ProviderLimits1733400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE provider_limits (
        key text PRIMARY KEY,
        state jsonb NOT NULL DEFAULT '{}'::jsonb,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Finding the timeline row a waiting case already has for this outage (one agent.unavailable row per case).
    await q.query(
      `CREATE INDEX case_events_agent_unavailable_idx ON case_events (case_id) WHERE type = 'agent.unavailable'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX case_events_agent_unavailable_idx`);
    await q.query(`DROP TABLE provider_limits`);
  }
}
