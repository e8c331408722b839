// `npm start`, `npm run offload`, `npm run demo`: run the built CLI, building it first only when dist/ is missing or
// older than a TypeScript source. Rebuilding on every start cost several silent seconds for nothing.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const main = path.join(root, 'dist/src/cli/main.js');
// Written after a build that succeeded: tsc leaves its own build info untouched when nothing changed.
const stamp = path.join(root, 'dist/.offload-build');

/** Newest modification time among the files tsconfig.build.json compiles (and the configs that shape them). */
function newestSource() {
  let newest = 0;
  const visit = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(file);
      else if (file.endsWith('.ts')) newest = Math.max(newest, statSync(file).mtimeMs);
    }
  };
  for (const dir of ['src', 'migrations', 'bench', 'schema'])
    if (existsSync(path.join(root, dir))) visit(path.join(root, dir));
  for (const file of ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json'])
    newest = Math.max(newest, statSync(path.join(root, file)).mtimeMs);
  return newest;
}

// `npm run build` (which `npm test` runs) leaves tsc's build info newer than the sources it compiled.
const mtime = (file) => (existsSync(file) ? statSync(file).mtimeMs : 0);
const built = existsSync(main) ? Math.max(mtime(stamp), mtime(path.join(root, 'dist/.tsbuildinfo'))) : 0;
if (built < newestSource()) {
  const started = Date.now();
  process.stderr.write(
    built
      ? 'Sources changed since the last build: compiling Offload...\n'
      : 'First start: compiling Offload (TypeScript to dist/, about 20 s)...\n',
  );
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
  process.stderr.write(`Compiled in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
}
// main.js reads its arguments from process.argv, which already holds them (node scripts/offload.mjs serve ...).
await import(pathToFileURL(main).href);
