// The variables this issue added or changed: DATABASE_URL may be unset (the embedded server), OFFLOAD_HOME has a
// default, and SWEEP_CRON must be a cron expression, each error naming its variable.
import { ConfigError, loadConfig, requireDatabaseUrl } from '../../../src/config/env.config';

const message = (env: Record<string, string>): string => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  return '';
};

it('leaves DATABASE_URL unset by default and keeps the embedded data in .offload', () => {
  const config = loadConfig({});
  expect(config.DATABASE_URL).toBeUndefined();
  expect(config.OFFLOAD_HOME).toBe('.offload');
  expect(() => requireDatabaseUrl(config)).toThrow(/DATABASE_URL/);
  expect(requireDatabaseUrl(loadConfig({ DATABASE_URL: 'postgres://h/db' }))).toBe('postgres://h/db');
});

it('names DATABASE_URL when it is not a PostgreSQL URL', () => {
  expect(message({ DATABASE_URL: 'mysql://h/db' })).toMatch(/DATABASE_URL: a postgres:\/\/ or postgresql:\/\/ URL/);
});

it.each(['every hour', '61 * * * *', '* * *', '0 * * * * * *'])(
  'refuses SWEEP_CRON=%j as not a cron expression',
  (cron) => {
    expect(message({ SWEEP_CRON: cron })).toMatch(/SWEEP_CRON: not a cron expression/);
  },
);

it.each(['0 * * * *', '*/5 * * * *', '0 9 * * MON-FRI'])('accepts SWEEP_CRON=%j', (cron) => {
  expect(loadConfig({ SWEEP_CRON: cron }).SWEEP_CRON).toBe(cron);
});

it('reads the shared provider limits, unset by default, and names a bad one', () => {
  const unset = loadConfig({});
  expect([unset.MODEL_RPM, unset.MODEL_TPM, unset.MAIL_RATE_PER_MINUTE]).toEqual([undefined, undefined, undefined]);
  const set = loadConfig({ MODEL_RPM: '500', MODEL_TPM: '200000', MAIL_RATE_PER_MINUTE: '30' });
  expect([set.MODEL_RPM, set.MODEL_TPM, set.MAIL_RATE_PER_MINUTE]).toEqual([500, 200_000, 30]);
  expect(message({ MODEL_RPM: 'lots' })).toMatch(/MODEL_RPM/);
  expect(message({ MODEL_TPM: '10' })).toMatch(/MODEL_TPM/);
  expect(message({ MAIL_RATE_PER_MINUTE: '0' })).toMatch(/MAIL_RATE_PER_MINUTE/);
});
