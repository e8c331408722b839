// `npm run bench [-- --only create,worker,sweep,subscribers,webhooks,model-fixed,...] [--quick]`: runs the benchmarks,
// prints a table and writes bench/results/latest.json. Each figure is a ratio against a baseline run in the same
// minute on the same machine (or, for the model-bound scenarios, against the provider's physical limit), so the numbers
// say something about Offload rather than about the machine. `--only model` runs every model-bound scenario
// (bench/scenarios/model-scenarios.ts lists them and their settings).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { machine, log } from './lib';
import { pct, scenario, type Scenario } from './scenario';
import { benchCreateCase } from './scenarios/create-case';
import { benchWorker } from './scenarios/worker';
import { benchSweep } from './scenarios/sweep';
import { benchSubscribers } from './scenarios/subscribers';
import { benchWebhooks } from './scenarios/webhooks';
import { modelScenarios } from './scenarios/model-scenarios';

const SCENARIOS: Scenario[] = [
  scenario(
    'create',
    (quick) => benchCreateCase(quick ? 600 : 3000, 32),
    (r) =>
      `createCase ${r.offload.perSecond.toFixed(0)}/s (p50 ${r.offload.p50Ms.toFixed(1)} ms, p99 ${r.offload.p99Ms.toFixed(1)} ms) vs raw ${r.raw.perSecond.toFixed(0)}/s (medians of ${r.rounds.length} rounds): ratio ${pct(r.ratio)} (rounds ${r.rounds.map(pct).join(', ')}; target >= ${r.target})`,
  ),
  scenario(
    'worker',
    (quick) => benchWorker(quick ? 200 : 1000, 8),
    (r) =>
      `worker ${r.casesPerSecond.toFixed(0)} cases/s to RUNNING vs ${r.floorCasesPerSecond.toFixed(0)}/s replaying the same SQL without the app (medians of ${r.rounds.length} rounds): ratio ${pct(r.ratio)} (rounds ${r.rounds.map(pct).join(', ')}; target >= ${r.target}); start-up ${(r.startupSeconds * 1000).toFixed(0)} ms apart`,
  ),
  scenario(
    'sweep',
    (quick) => (quick ? benchSweep(100_000, 10_000) : benchSweep()),
    (r) =>
      `sweep of ${r.due} due: ${r.largeTable.ms.toFixed(0)} ms in ${r.largeTable.cases} cases vs ${r.smallTable.ms.toFixed(0)} ms in ${r.smallTable.cases}: ratio ${pct(r.ratio)} (target <= ${r.target})`,
  ),
  scenario(
    'subscribers',
    (quick) => benchSubscribers(quick ? 1000 : 5000),
    (r) =>
      `${r.delivered}/${r.subscribers} graphql-ws subscribers got their update (${r.updateWriters} writers, ${r.updatesPerSecond.toFixed(0)} updates/s): p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms (target < ${r.targets.p99Ms}); ${(r.bytesPerConnection / 1024).toFixed(1)} KB per connection (target < ${r.targets.bytesPerConnection / 1024})`,
  ),
  scenario(
    'webhooks',
    (quick) => benchWebhooks(quick ? 500 : 2000),
    (r) =>
      `${r.deliveries} webhook deliveries at ${r.deliveriesPerSecond.toFixed(0)}/s to a loopback receiver; createCase p50/p99 ${r.createDuringDeliveries.p50Ms.toFixed(1)}/${r.createDuringDeliveries.p99Ms.toFixed(1)} ms during them vs ${r.createIdle.p50Ms.toFixed(1)}/${r.createIdle.p99Ms.toFixed(1)} ms idle`,
  ),
  ...modelScenarios,
];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const onlyArg = args.find((a) => a.startsWith('--only'));
  const named = onlyArg ? (onlyArg.split('=')[1] ?? args[args.indexOf(onlyArg) + 1] ?? '').split(',') : null;
  // `model` names every model-bound scenario at once.
  const only = named?.flatMap((n) => (n === 'model' ? modelScenarios.map((s) => s.name) : [n])) ?? null;
  const unknown = only?.filter((n) => !SCENARIOS.some((s) => s.name === n)) ?? [];
  if (unknown.length)
    throw new Error(
      `unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}, model`,
    );
  const results: Record<string, unknown> = {};
  const lines: string[] = [];
  for (const s of SCENARIOS) {
    if (only && !only.includes(s.name)) continue;
    log(`[bench] ${s.name}${quick ? ' (quick)' : ''}...`);
    const started = Date.now();
    const { result, line } = await s.run(quick);
    results[s.name] = { ...result, seconds: (Date.now() - started) / 1000 };
    lines.push(line);
    log(`[bench] ${line}`);
  }
  const dir = path.resolve(__dirname, '../../bench/results');
  const file = path.join(dir, 'latest.json');
  // With --only, the other scenarios' last figures stay in the file, each with its own time.
  const previous = only ? await readPrevious(file) : {};
  const stamped = Object.fromEntries(
    Object.entries(results).map(([k, v]) => [k, { ranAt: new Date().toISOString(), ...(v as object) }]),
  );
  const report = { ranAt: new Date().toISOString(), quick, machine: machine(), results: { ...previous, ...stamped } };
  await mkdir(dir, { recursive: true });
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\n${lines.map((l) => `- ${l}`).join('\n')}\n\nwritten: bench/results/latest.json\n`);
}

async function readPrevious(file: string): Promise<Record<string, unknown>> {
  try {
    return (JSON.parse(await readFile(file, 'utf8')) as { results?: Record<string, unknown> }).results ?? {};
  } catch {
    return {};
  }
}

main().catch((error: unknown) => {
  log(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
