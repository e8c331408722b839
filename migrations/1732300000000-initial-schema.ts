import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Accounts, keys, cases, their timeline and mail, idempotency keys and the monthly usage counters. */
export class InitialSchema1732300000000 implements MigrationInterface {
  name = 'InitialSchema1732300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE accounts (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        plan text NOT NULL CHECK (plan IN ('SANDBOX', 'PAYG', 'BASE_PRO')),
        webhook_secret text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY,
        account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        key_hash text NOT NULL UNIQUE,
        prefix text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
    await q.query(`CREATE INDEX api_keys_account_idx ON api_keys (account_id)`);
    await q.query(`
      CREATE TABLE cases (
        id uuid PRIMARY KEY,
        account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        client_reference_id text,
        channel text NOT NULL CHECK (channel IN ('EMAIL', 'SMS')),
        status text NOT NULL CHECK (status IN ('CREATED', 'RUNNING', 'INPUT_NEEDED', 'COMPLETED', 'FAILED')),
        goal jsonb NOT NULL,
        counterparty jsonb NOT NULL,
        sender_persona jsonb NOT NULL,
        constraints jsonb,
        result_schema jsonb,
        metadata jsonb,
        client_webhook_url text,
        attempt_count int NOT NULL DEFAULT 0,
        max_attempts int NOT NULL,
        follow_up_delay_hours int NOT NULL,
        next_action_at timestamptz,
        result_status text,
        result jsonb,
        failure_reason text,
        input_request_id uuid,
        input_request_question text,
        input_request_status text NOT NULL DEFAULT 'NONE' CHECK (input_request_status IN ('PENDING', 'RESOLVED', 'NONE')),
        input_requested_at timestamptz,
        awaiting_evaluation boolean NOT NULL DEFAULT false,
        thread_ref text,
        finished_at timestamptz,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    // Listing: an account's cases newest first, keyset-paginated on (created_at, id).
    await q.query(`CREATE INDEX cases_account_created_idx ON cases (account_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX cases_account_ref_idx ON cases (account_id, client_reference_id)
                   WHERE client_reference_id IS NOT NULL`);
    // The sweep: only RUNNING cases with a schedule, so its cost follows the due cases, not the table.
    await q.query(
      `CREATE INDEX cases_due_idx ON cases (next_action_at) WHERE status = 'RUNNING' AND next_action_at IS NOT NULL`,
    );
    // Monthly usage: cases finished in a month (billable ones are counted from here when reconciling).
    await q.query(
      `CREATE INDEX cases_account_finished_idx ON cases (account_id, finished_at) WHERE finished_at IS NOT NULL`,
    );

    await q.query(`
      CREATE TABLE case_events (
        id uuid PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        account_id uuid NOT NULL,
        seq int NOT NULL,
        type text NOT NULL,
        from_status text,
        to_status text,
        data jsonb,
        occurred_at timestamptz NOT NULL,
        global_seq bigserial NOT NULL UNIQUE,
        tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        UNIQUE (case_id, seq)
      )`);
    // Fan-out readers page on (tx_id, global_seq) below the oldest running transaction, so a row committed late
    // with a smaller global_seq is never skipped.
    await q.query(`CREATE INDEX case_events_fanout_idx ON case_events (tx_id, global_seq)`);

    await q.query(`
      CREATE TABLE messages (
        id uuid PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        account_id uuid NOT NULL,
        direction text NOT NULL CHECK (direction IN ('outbound', 'inbound')),
        status text NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'received')),
        purpose text,
        send_key text UNIQUE,
        send_attempts int NOT NULL DEFAULT 0,
        from_address text NOT NULL,
        from_name text,
        to_addresses text[] NOT NULL,
        subject text,
        text text,
        new_text text,
        rfc_message_id text,
        in_reply_to text,
        "references" text[] NOT NULL DEFAULT '{}',
        provider_message_id text,
        provider_thread_id text,
        inbox_id text,
        delivery_status text,
        sent_at timestamptz,
        received_at timestamptz,
        created_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX messages_case_idx ON messages (case_id, created_at)`);
    await q.query(`CREATE INDEX messages_rfc_id_idx ON messages (rfc_message_id) WHERE rfc_message_id IS NOT NULL`);
    await q.query(
      `CREATE INDEX messages_provider_id_idx ON messages (provider_message_id) WHERE provider_message_id IS NOT NULL`,
    );
    // The same inbound mail delivered twice (SMTP retry, provider redelivery) is stored once.
    await q.query(`CREATE UNIQUE INDEX messages_inbound_once_idx ON messages (case_id, rfc_message_id)
                   WHERE direction = 'inbound' AND rfc_message_id IS NOT NULL`);

    await q.query(`
      CREATE TABLE attachments (
        id uuid PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        account_id uuid NOT NULL,
        message_id uuid NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        name text,
        size int NOT NULL,
        content_type text,
        sha256 text,
        content bytea,
        provider_attachment_id text,
        provider_message_id text,
        inbox_id text,
        received_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX attachments_case_idx ON attachments (case_id)`);

    await q.query(`
      CREATE TABLE idempotency_keys (
        account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        key text NOT NULL,
        request_hash text NOT NULL,
        case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (account_id, key)
      )`);
    await q.query(`CREATE INDEX idempotency_keys_expiry_idx ON idempotency_keys (expires_at)`);

    // One row per account and UTC month; creates take a row lock here, which is what keeps concurrent creates
    // from overshooting the plan's cap.
    await q.query(`
      CREATE TABLE account_usage (
        account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        month date NOT NULL,
        created_count int NOT NULL DEFAULT 0,
        billable_count int NOT NULL DEFAULT 0,
        PRIMARY KEY (account_id, month)
      )`);

    // Secrets every process of one deployment must share (e.g. the key that signs attachment links), created on
    // first start so a default install needs no configuration.
    await q.query(`CREATE TABLE instance_settings (key text PRIMARY KEY, value text NOT NULL)`);

    // Worker steps already applied, claimed in the transaction that applies them: a redelivered job is a no-op.
    await q.query(`
      CREATE TABLE processed_jobs (
        key text PRIMARY KEY,
        case_id uuid REFERENCES cases(id) ON DELETE CASCADE,
        processed_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'processed_jobs',
      'instance_settings',
      'account_usage',
      'idempotency_keys',
      'attachments',
      'messages',
      'case_events',
      'cases',
      'api_keys',
      'accounts',
    ])
      await q.query(`DROP TABLE IF EXISTS ${table}`);
  }
}
