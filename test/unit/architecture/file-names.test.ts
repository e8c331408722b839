// One convention for source file names, `<noun>.<role>.ts`, with a closed set of roles: a reader knows what a file
// is before opening it, and two files of one feature cannot end up named alike (README "Architecture" lists them).
import { readdirSync } from 'node:fs';
import path from 'node:path';

export const ROLES = [
  'adapter',
  'agent',
  'app',
  'catalog',
  'client',
  'command',
  'config',
  'context',
  'entity',
  'errors',
  'extractor',
  'factory',
  'guard',
  'inputs',
  'limits',
  'machine',
  'mapper',
  'model',
  'metrics',
  'options',
  'parser',
  'policy',
  'pool',
  'prompt',
  'queue',
  'registry',
  'repository',
  'resolver',
  'routes',
  'rules',
  'scalars',
  'schema',
  'sender',
  'server',
  'service',
  'signer',
  'sql',
  'templates',
  'transport',
  'types',
  'validator',
  'wiring',
  'writer',
] as const;

// Entry points and barrels keep the names their tools expect.
const EXEMPT = new Set(['src/cli/main.ts', 'src/persistence/entities/index.ts']);
const NAME = new RegExp(`^[a-z0-9]+(-[a-z0-9]+)*\\.(${ROLES.join('|')})\\.ts$`);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

describe('source file names', () => {
  const root = path.resolve(__dirname, '../../..');
  const files = sourceFiles(path.join(root, 'src')).map((f) => path.relative(root, f).split(path.sep).join('/'));

  it('finds the source tree', () => {
    expect(files.length).toBeGreaterThan(50);
  });

  it('are <noun>.<role>.ts with a role from the closed set', () => {
    const offenders = files.filter((f) => !EXEMPT.has(f) && !NAME.test(path.basename(f)));
    expect(offenders).toEqual([]);
  });

  it('never repeat a basename, so a name says which file it is', () => {
    const seen = new Map<string, string[]>();
    for (const f of files) seen.set(path.basename(f), [...(seen.get(path.basename(f)) ?? []), f]);
    const repeated = [...seen.values()].filter((paths) => paths.length > 1);
    expect(repeated).toEqual([]);
  });
});
