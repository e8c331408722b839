// Shared undici agents for safe-http.client.ts, one per set of guard options. Every connection is still opened by the
// guarded connector the agent was built with; pooling only lets a connection vetted then carry later deliveries.
import { Agent, type buildConnector } from 'undici';

export interface AgentLease {
  agent: Agent;
  /** Call once the response has been read (or the request failed). */
  release(): void;
}

/** Idle time of a pooled connection when the receiver sends no keep-alive hint of its own. */
const KEEP_ALIVE_IDLE_MS = 4_000;
/** The most we believe of a receiver's keep-alive hint. */
const KEEP_ALIVE_MAX_MS = 30_000;
/**
 * A connection in steady use never goes idle, so idle timeouts alone would let it outlive any DNS change. Retiring
 * the whole agent this often bounds the age of every pooled connection, and so how stale its vetting can be.
 */
const AGENT_MAX_AGE_MS = 30_000;
const MAX_AGENTS = 16;
/** Beyond this many receivers with open connections a request is refused by undici (safe-http then goes unpooled). */
const MAX_POOLED_ORIGINS = 256;
/** A retired agent's requests end by their own timeouts; this only stops a stuck one from holding sockets forever. */
const RETIRE_GRACE_MS = 60_000;
/** On stop, requests in flight get this long before their sockets are destroyed. */
const STOP_GRACE_MS = 2_000;

interface SharedAgent {
  agent: Agent;
  retireAt: number;
  inFlight: number;
  onIdle: Array<() => void>;
}

const current = new Map<string, SharedAgent>();
const retiring = new Set<SharedAgent>();

/**
 * The live agent for `key`, created with `connector()` when there is none or the last one is too old. `key` must
 * name everything the connector's verdict depends on: an agent is never lent to callers with other guard options.
 */
export function leaseAgent(key: string, connector: () => buildConnector.connector): AgentLease {
  const entry = liveAgent(key, connector);
  entry.inFlight += 1;
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    entry.inFlight -= 1;
    if (entry.inFlight === 0) for (const wake of entry.onIdle.splice(0)) wake();
  };
  return { agent: entry.agent, release };
}

function liveAgent(key: string, connector: () => buildConnector.connector): SharedAgent {
  const now = Date.now();
  const found = current.get(key);
  if (found && found.retireAt > now) return found;
  if (found) retire(key, RETIRE_GRACE_MS);
  for (const oldest of current.keys()) {
    if (current.size < MAX_AGENTS) break;
    retire(oldest, RETIRE_GRACE_MS);
  }
  const agent = new Agent({
    connect: connector(),
    keepAliveTimeout: KEEP_ALIVE_IDLE_MS,
    keepAliveMaxTimeout: KEEP_ALIVE_MAX_MS,
    maxOrigins: MAX_POOLED_ORIGINS,
  });
  const entry: SharedAgent = { agent, retireAt: now + AGENT_MAX_AGE_MS, inFlight: 0, onIdle: [] };
  current.set(key, entry);
  return entry;
}

/** No new requests go to a retired agent; it is destroyed once its own finish (or after graceMs). */
function retire(key: string, graceMs: number): Promise<void> {
  const entry = current.get(key);
  if (!entry) return Promise.resolve();
  current.delete(key);
  retiring.add(entry);
  return destroyWhenIdle(entry, graceMs);
}

async function destroyWhenIdle(entry: SharedAgent, graceMs: number): Promise<void> {
  if (entry.inFlight > 0) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, graceMs);
      timer.unref();
      entry.onIdle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  retiring.delete(entry);
  // Not close(): close() empties the agent's pool table first, after which destroy() could not reach the sockets.
  await entry.agent.destroy().catch(() => undefined);
}

/** Close every pooled connection, for process stop: requests in flight get STOP_GRACE_MS to finish. */
export async function closeAllAgents(): Promise<void> {
  const closing = [...current.keys()].map((key) => retire(key, STOP_GRACE_MS));
  const stragglers = [...retiring].map((entry) => destroyWhenIdle(entry, STOP_GRACE_MS));
  await Promise.all([...closing, ...stragglers]);
}
