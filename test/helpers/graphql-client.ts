// A typed GraphQL client over real HTTP and graphql-ws, driven by the documents codegen generates.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type ExecutionResult, type GraphQLFormattedError } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface GraphQLResponse<T> {
  data?: T | null;
  errors?: GraphQLFormattedError[];
  status: number;
}

export class GraphQLClient {
  constructor(
    readonly url: string,
    readonly apiKey: string | null,
  ) {}

  async request<T, V>(document: TypedDocumentNode<T, V>, variables?: V, headers: Record<string, string> = {}) {
    const res = await fetch(`${this.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(this.apiKey ? { 'x-api-key': this.apiKey } : {}),
        ...headers,
      },
      body: JSON.stringify({ query: print(document), variables }),
    });
    const body = (await res.json()) as ExecutionResult<T>;
    return {
      data: body.data,
      errors: body.errors as GraphQLFormattedError[] | undefined,
      status: res.status,
    } satisfies GraphQLResponse<T>;
  }

  /** The data, or a thrown error carrying the GraphQL errors: for steps that must succeed. */
  async ok<T, V>(document: TypedDocumentNode<T, V>, variables?: V): Promise<T> {
    const result = await this.request(document, variables);
    if (result.errors?.length || !result.data) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
    return result.data;
  }

  /** The first error's extensions.code: for steps that must fail. */
  async errorCode<T, V>(document: TypedDocumentNode<T, V>, variables?: V): Promise<string | undefined> {
    const result = await this.request(document, variables);
    return result.errors?.[0]?.extensions?.code as string | undefined;
  }

  ws(connectionParams: Record<string, unknown> = this.apiKey ? { 'x-api-key': this.apiKey } : {}): Client {
    return createClient({
      url: `${this.url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams,
      retryAttempts: 0,
      lazy: true,
    });
  }
}

/** Collects a subscription's events until `done` says stop (or the timeout). */
export function collect<T, V>(
  client: Client,
  document: TypedDocumentNode<T, V>,
  variables: V,
  done: (items: T[]) => boolean,
  timeoutMs = 30_000,
): { items: T[]; finished: Promise<T[]>; ready: Promise<void> } {
  const items: T[] = [];
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => (resolveReady = r));
  const finished = new Promise<T[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`subscription timed out with ${items.length} items: ${JSON.stringify(items)}`));
    }, timeoutMs);
    const unsubscribe = client.subscribe<T>(
      { query: print(document), variables: variables as Record<string, unknown> },
      {
        next: (value) => {
          if (value.errors) {
            clearTimeout(timer);
            reject(new Error(JSON.stringify(value.errors)));
            return;
          }
          items.push(value.data as T);
          if (done(items)) {
            clearTimeout(timer);
            unsubscribe();
            resolve(items);
          }
        },
        error: (error) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(JSON.stringify(error)));
        },
        complete: () => {
          clearTimeout(timer);
          resolve(items);
        },
      },
    );
    client.on('connected', () => resolveReady());
  });
  return { items, finished, ready };
}
