import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SPEC §13: an SMS conversation is the pair (our number, their number), and an inbound text is matched to the one
 * open case of that pair. A deployment texts from one sender (TWILIO_FROM), so the pair is the counterparty's number:
 * at most one open SMS case per number, across accounts too (a reply could not tell two accounts' cases apart). The
 * database holds the rule, so two concurrent createCase calls cannot both pass it (the loser: SMS_CONVERSATION_BUSY).
 * It is also the lookup an inbound text makes.
 */
export class SmsConversations1733100000000 implements MigrationInterface {
  name = 'SmsConversations1733100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE UNIQUE INDEX cases_open_sms_conversation_uq ON cases ((counterparty->>'address'))
       WHERE channel = 'SMS' AND status NOT IN ('COMPLETED', 'FAILED')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS cases_open_sms_conversation_uq`);
  }
}
