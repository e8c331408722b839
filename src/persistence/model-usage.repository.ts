// Model calls and tokens: counted per case (cases.model_*) and per account and UTC month (account_model_usage) by
// one statement per call, so the two never disagree.
import type { Queryable } from './transaction.types';

export interface ModelUsageTotals {
  calls: number;
  promptTokens: number;
  completionTokens: number;
}

export const modelUsageSql = {
  record: `
    WITH c AS (
      UPDATE cases SET model_calls = model_calls + 1,
                       model_prompt_tokens = model_prompt_tokens + $2,
                       model_completion_tokens = model_completion_tokens + $3
       WHERE id = $1 RETURNING account_id)
    INSERT INTO account_model_usage AS u (account_id, month, calls, prompt_tokens, completion_tokens)
    SELECT account_id, $4::date, 1, $2, $3 FROM c
    ON CONFLICT (account_id, month) DO UPDATE
       SET calls = u.calls + 1,
           prompt_tokens = u.prompt_tokens + EXCLUDED.prompt_tokens,
           completion_tokens = u.completion_tokens + EXCLUDED.completion_tokens`,
  forCase: `SELECT model_calls AS calls, model_prompt_tokens AS prompt, model_completion_tokens AS completion
              FROM cases WHERE id = $1`,
  forAccountMonth: `SELECT calls, prompt_tokens AS prompt, completion_tokens AS completion
                      FROM account_model_usage WHERE account_id = $1 AND month = $2::date`,
} as const;

type Row = { calls: number; prompt: string | number; completion: string | number };

export class ModelUsageRepository {
  constructor(private readonly db: Queryable) {}

  /** One model call of a case; tokens the server did not report count as 0. */
  async record(caseId: string, promptTokens: number, completionTokens: number, month: string): Promise<void> {
    await this.db.query(modelUsageSql.record, [caseId, promptTokens, completionTokens, month]);
  }

  async forCase(caseId: string): Promise<ModelUsageTotals> {
    return totals((await this.db.query(modelUsageSql.forCase, [caseId])) as Row[]);
  }

  async forAccountMonth(accountId: string, month: string): Promise<ModelUsageTotals> {
    return totals((await this.db.query(modelUsageSql.forAccountMonth, [accountId, month])) as Row[]);
  }
}

function totals(rows: Row[]): ModelUsageTotals {
  const row = rows[0];
  // bigint columns arrive as strings from pg.
  return row
    ? { calls: Number(row.calls), promptTokens: Number(row.prompt), completionTokens: Number(row.completion) }
    : { calls: 0, promptTokens: 0, completionTokens: 0 };
}
