// The per-API-key request budget every face (GraphQL over HTTP and graphql-ws, REST, the local inbound route) draws
// from. Implemented in memory (graphql/security/rate-limit.ts, one process) and shared through PostgreSQL
// (key-rate.service.ts, every API process).

export interface RateLimitDecision {
  allowed: boolean;
  /** Seconds until one more request would be allowed (0 when allowed). */
  retryAfterSeconds: number;
}

export interface KeyRateLimit {
  /** Requests per minute per key; 0 means unlimited. */
  readonly perMinute: number;
  /** Takes `units` requests' worth (default 1; a createCases batch takes more, see batch-rate.policy.ts). */
  take(keyId: string, units?: number): RateLimitDecision;
}
