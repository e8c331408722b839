// pg-boss writes its job rows through whatever connection it is handed; this hands it a TypeORM transaction's.
import type { Db } from 'pg-boss';
import type { Tx } from './transaction.types';

/** Lets pg-boss write its job rows inside a TypeORM transaction: the job exists iff the transaction commits. */
export function bossDb(manager: Tx): Db {
  const runner = manager.queryRunner;
  if (!runner) throw new Error('bossDb needs a transactional EntityManager');
  return {
    executeSql: async (text: string, values?: unknown[]) => {
      const result = await runner.query(text, values as unknown[], true);
      return { rows: (result.records ?? []) as unknown[] };
    },
  };
}
