// What services hold of the database: handles they pass to repository functions, never use themselves.
import type { DataSource, EntityManager } from 'typeorm';

/** A transaction (or the pool's manager, for reads outside one) as repository functions take it. */
export type Tx = EntityManager;

/** The pool: services open transactions on it (`transaction`) and read outside one through `manager`. */
export type Database = DataSource;
