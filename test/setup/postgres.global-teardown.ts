// Stops the run's embedded PostgreSQL (if globalSetup started one) and deletes its temporary data.
export default async function globalTeardown(): Promise<void> {
  await globalThis.offloadTestPostgres?.stop();
}
