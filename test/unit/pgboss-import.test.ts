import { PgBoss } from 'pg-boss';
test('pg-boss loads', () => {
  expect(typeof PgBoss).toBe('function');
});
