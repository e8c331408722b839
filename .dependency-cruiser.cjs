// The layering, checked in `npm test` (npm run lint:deps). README "Architecture" explains each folder.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle means two modules are one concept split in two, or a layer leaking upward.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'The case state machine imports nothing outside src/domain: no I/O, no framework, no library.',
      from: { path: '^src/domain/' },
      to: { pathNot: '^src/domain/' },
    },
    {
      name: 'only-persistence-touches-the-database',
      severity: 'error',
      comment: 'pg and TypeORM are used in src/persistence (and migrations) only; everyone else calls repositories.',
      from: { pathNot: '^(src/persistence/|migrations/)' },
      to: { path: 'node_modules/(pg|pg-pool|pg-cursor|typeorm)/' },
    },
    {
      name: 'only-jobs-touch-the-queue',
      severity: 'error',
      comment: 'pg-boss is wrapped by src/jobs (the one catalog); persistence may hand it a transaction.',
      from: { pathNot: '^(src/jobs/|src/persistence/)' },
      to: { path: 'node_modules/pg-boss/' },
    },
    {
      name: 'nothing-imports-the-composition-root',
      severity: 'error',
      comment: 'src/server and src/cli wire everything together; nothing inside may depend on them.',
      from: { pathNot: '^src/(server|cli)/' },
      to: { path: '^src/(server|cli)/' },
    },
    {
      name: 'services-know-no-faces',
      severity: 'error',
      comment: 'The application layer is called by GraphQL, REST and inbound routes, never the other way round.',
      from: { path: '^src/(services|domain|persistence|jobs|agent|mail|webhooks|config|observability)/' },
      to: { path: '^src/(graphql|rest|dashboard)/' },
    },
    {
      name: 'jobs-know-no-services',
      severity: 'error',
      comment:
        'The job catalog declares queues and payloads; handlers are handed in, so jobs/ never imports services/.',
      from: { path: '^src/jobs/' },
      to: { path: '^src/services/' },
    },
    {
      name: 'adapters-know-no-application',
      severity: 'error',
      comment: 'Agent, mail and webhook adapters sit at the edge: services call them through their interfaces.',
      from: { path: '^src/(agent|mail|webhooks)/' },
      to: { path: '^src/(services|persistence|jobs)/' },
    },
    {
      name: 'persistence-knows-no-application',
      severity: 'error',
      comment: 'Repositories take and return rows; they never call services or adapters.',
      from: { path: '^src/persistence/' },
      to: { path: '^src/(services|agent|mail|webhooks)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^dist/' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
