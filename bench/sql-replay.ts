// The worker bench's floor: every SQL statement the worker sent while the bench watched, recorded at the pg driver
// (text, values, connection, when it was called and when it returned), then replayed against a copy of the database
// as it was when recording began, on as many connections, at full speed. The replay does no application work at
// all, so its time is what those statements cost PostgreSQL and the driver: the floor for that worker code.
// Recording at the driver keeps the floor honest as the worker changes: it is always the worker's own SQL.
//
// Order: a statement is replayed once every statement that had returned before it was called has returned in the
// replay too (what it may depend on), and statements that overlapped in the recording may overlap in the replay;
// each connection's statements keep their order (pipelined ones stay pipelined).
import { Client } from 'pg';

interface Recorded {
  connection: number;
  pipeline: boolean;
  text: string;
  values: unknown[] | undefined;
  name: string | undefined;
  calledAt: number;
  returnedAt: number;
}

type QueryFn = (this: Client, config: unknown, values?: unknown, callback?: unknown) => unknown;

export class SqlRecorder {
  private readonly statements: Recorded[] = [];
  private readonly connections = new WeakMap<Client, number>();
  private readonly ignored = new WeakSet<Client>();
  private nextConnection = 0;
  private armed = false;
  private original: QueryFn | null = null;
  /** Statements sent in ways the recorder cannot replay (cursors, streams): reported, so a floor missing them shows. */
  unrecordable = 0;

  /** Patches pg's Client for this process; statements are kept only between start() and stop(). */
  install(): void {
    if (this.original) return;
    const proto = Client.prototype as unknown as { query: QueryFn };
    const original = proto.query;
    this.original = original;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const recorder = this;
    proto.query = function (this: Client, config: unknown, values?: unknown, callback?: unknown) {
      // eslint-disable-next-line prefer-rest-params
      const args = arguments as unknown as [unknown, unknown?, unknown?];
      if (!recorder.armed || recorder.ignored.has(this) || config == null) return original.apply(this, args);
      const c = (typeof config === 'string' ? { text: config } : config) as {
        text?: string;
        values?: unknown[];
        name?: string;
        submit?: unknown;
        callback?: unknown;
      };
      if (typeof c.submit === 'function' || typeof c.callback === 'function' || typeof c.text !== 'string') {
        recorder.unrecordable++;
        return original.apply(this, args);
      }
      let connection = recorder.connections.get(this);
      if (connection === undefined) recorder.connections.set(this, (connection = recorder.nextConnection++));
      const entry: Recorded = {
        connection,
        pipeline: Boolean((this as unknown as { pipeline?: boolean }).pipeline),
        text: c.text,
        values: c.values ?? (Array.isArray(values) ? (values as unknown[]) : undefined),
        name: c.name,
        calledAt: performance.now(),
        returnedAt: NaN,
      };
      recorder.statements.push(entry);
      const done = () => void (entry.returnedAt = performance.now());
      const cb = typeof values === 'function' ? values : typeof callback === 'function' ? callback : null;
      if (cb) {
        const wrapped = (error: unknown, result: unknown) => {
          done();
          (cb as (e: unknown, r: unknown) => void)(error, result);
        };
        return typeof values === 'function'
          ? original.call(this, config, wrapped)
          : original.call(this, config, values, wrapped);
      }
      const result = original.apply(this, args) as Promise<unknown>;
      result.then(done, done);
      return result;
    };
  }

  uninstall(): void {
    if (this.original) (Client.prototype as unknown as { query: QueryFn }).query = this.original;
    this.original = null;
  }

  /** A connection of the bench's own (its probe), never recorded. */
  ignore(client: Client): void {
    this.ignored.add(client);
  }

  start(): void {
    this.statements.length = 0;
    this.armed = true;
  }

  /** Stops recording; answers what was recorded, ordered by call time. */
  stop(): Recording {
    this.armed = false;
    const statements = [...this.statements].sort((a, b) => a.calledAt - b.calledAt);
    this.statements.length = 0;
    return new Recording(statements);
  }
}

export interface ReplayResult {
  statements: number;
  connections: number;
  seconds: number;
  /** Statements PostgreSQL refused in the replay (a lock order the recording never met, for one): ideally none. */
  errors: number;
  firstError: string | null;
}

export class Recording {
  constructor(private readonly statements: Recorded[]) {}

  get size(): number {
    return this.statements.length;
  }

  /** Seconds from the first statement's call to the last one's return, as the application ran them. */
  get seconds(): number {
    if (!this.statements.length) return 0;
    const end = Math.max(...this.statements.map((s) => (Number.isNaN(s.returnedAt) ? s.calledAt : s.returnedAt)));
    return (end - this.statements[0]!.calledAt) / 1000;
  }

  /** Replays the statements against `databaseUrl` (a copy of the database as it was when recording started). */
  async replay(databaseUrl: string): Promise<ReplayResult> {
    const clients = new Map<number, Client>();
    for (const s of this.statements)
      if (!clients.has(s.connection))
        clients.set(s.connection, new Client({ connectionString: databaseUrl, pipeline: s.pipeline }));
    await Promise.all([...clients.values()].map((c) => c.connect()));
    let errors = 0;
    let firstError: string | null = null;
    const inFlight: { returnedAt: number; promise: Promise<void> }[] = [];
    try {
      const started = performance.now();
      for (const s of this.statements) {
        const before = inFlight.filter((f) => f.returnedAt < s.calledAt);
        if (before.length) {
          await Promise.all(before.map((f) => f.promise));
          for (const f of before) inFlight.splice(inFlight.indexOf(f), 1);
        }
        const promise = clients
          .get(s.connection)!
          .query({ text: s.text, values: s.values, ...(s.name ? { name: s.name } : {}) })
          .then(
            () => undefined,
            (error: unknown) => {
              errors++;
              firstError ??= `${(error as Error).message} in: ${s.text.slice(0, 200)}`;
            },
          );
        inFlight.push({ returnedAt: Number.isNaN(s.returnedAt) ? Infinity : s.returnedAt, promise });
      }
      await Promise.all(inFlight.map((f) => f.promise));
      return {
        statements: this.statements.length,
        connections: clients.size,
        seconds: (performance.now() - started) / 1000,
        errors,
        firstError,
      };
    } finally {
      await Promise.all([...clients.values()].map((c) => c.end().catch(() => undefined)));
    }
  }
}
