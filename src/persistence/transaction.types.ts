// What services hold of the database: handles they pass to repository functions, never use themselves.
import type { DataSource, EntityManager } from 'typeorm';

/** A transaction (or the pool's manager, for reads outside one) as repository functions take it. */
export type Tx = EntityManager;

/** The pool: services open transactions on it (`transaction`) and read outside one through `manager`. */
export type Database = DataSource;

/** The one method the class-style repositories need: a pool, a manager or a transaction all have it. */
export interface Queryable {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}
