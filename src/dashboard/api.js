// The dashboard's only contact with Offload: GraphQL over fetch, and one graphql-ws subscription for live updates.
/* global window, fetch, location */

const CASE_ROW = `id status resultStatus inputRequestStatus clientReferenceId createdAt updatedAt nextActionAt
  goal { objective } counterparty { name address }`;

export const QUERIES = {
  cases: `query DashboardCases($filter: CaseFilter, $first: Int, $after: String) {
    cases(filter: $filter, first: $first, after: $after) {
      edges { cursor node { ${CASE_ROW} } }
      pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  }`,
  overview: `query DashboardOverview {
    usage { plan limit createdThisMonth billableThisMonth }
    caseStats { total byStatus { status count } perDay { day completed failed open } }
  }`,
  detail: `query DashboardCase($id: ID!) {
    case(id: $id) {
      ${CASE_ROW}
      channel result resultSchema failureReason attemptCount maxAttempts followUpDelayHours clientWebhookUrl
      metadata constraints goal { objective knowledge }
      counterparty { name address company timezone }
      senderPersona { name role company tone }
      inputRequest { id question status requestedAt }
      messages { id direction from to subject text sentAt receivedAt deliveryStatus }
      attachments { id name size type messageId receivedAt download { url expiresAt } }
      timeline { id type fromStatus toStatus occurredAt }
    }
  }`,
  // Fields other engineers are adding (SPEC §9, unverified mail): asked separately, so that a server without them
  // still shows everything else; a failed query simply means "not on this server".
  detailExtras: `query DashboardCaseExtras($id: ID!) {
    case(id: $id) { startAt sendWindow { days start end timezone } messages { id verified } }
  }`,
  scheduling: `query DashboardSchedulingProbe { cases(first: 1) { edges { node { id startAt } } } }`,
  // Its own query: the thread and timeline still show on a server whose schema lacks deliveries.
  deliveries: `query DashboardDeliveries($id: ID!) {
    case(id: $id) {
      webhookDeliveries { id eventType status attemptCount deliveredAt nextAttemptAt url
        attempts { attemptNumber ok statusCode errorCode errorMessage attemptedAt durationMs } }
    }
  }`,
  createCase: `mutation DashboardCreateCase($input: CreateCaseInput!, $idempotencyKey: String) {
    createCase(input: $input, idempotencyKey: $idempotencyKey) { id status }
  }`,
  cancelCase: `mutation DashboardCancelCase($id: ID!, $reason: String) { cancelCase(id: $id, reason: $reason) { id status } }`,
  submitInput: `mutation DashboardSubmitInput($input: SubmitInputInput!) {
    submitInput(input: $input) { caseId inputRequestId accepted }
  }`,
  redeliver: `mutation DashboardRedeliver($id: ID!) { redeliverWebhook(deliveryId: $id) { id status } }`,
  updates: `subscription DashboardUpdates {
    caseUpdates { type previousStatus toStatus sequence case { ${CASE_ROW} } }
  }`,
};

export class GraphQLError extends Error {
  constructor(errors) {
    super(errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`).join('; '));
    this.errors = errors;
    this.authFailed = errors.some((e) => ['UNAUTHENTICATED', 'FORBIDDEN'].includes(e.extensions?.code));
    // The schema has no such field or argument: a feature this server does not have (yet).
    this.unsupported = errors.some(
      (e) =>
        e.extensions?.code === 'GRAPHQL_VALIDATION_FAILED' &&
        /^(Cannot query field|Unknown (argument|type))/.test(e.message),
    );
  }
}

/** Runs one query or mutation; throws GraphQLError with the server's codes when it answers with errors. */
export async function gql(apiKey, query, variables = {}) {
  const res = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json().catch(() => ({ errors: [{ message: `HTTP ${res.status}` }] }));
  if (body.errors?.length) throw new GraphQLError(body.errors);
  return body.data;
}

/**
 * Subscribes to every change of the account's cases. graphql-ws reconnects on its own; `onConnected` runs after
 * each (re)connection so the caller can reload what it may have missed while offline.
 */
export function subscribeUpdates(apiKey, { onUpdate, onConnected, onClosed, onError }) {
  const client = window.graphqlWs.createClient({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
    connectionParams: { 'x-api-key': apiKey },
    retryAttempts: Infinity,
    // 4403: the key was refused at connect; retrying cannot help.
    shouldRetry: (event) => event?.code !== 4403,
    on: { connected: onConnected, closed: onClosed },
  });
  const unsubscribe = client.subscribe(
    { query: QUERIES.updates },
    {
      next: (value) => (value.errors ? onError(new GraphQLError(value.errors)) : onUpdate(value.data.caseUpdates)),
      error: (error) => onError(error instanceof Error ? error : closeError(error)),
      complete: () => {},
    },
  );
  return () => {
    unsubscribe();
    void client.dispose();
  };
}

function closeError(event) {
  if (event?.code === 4403) {
    const error = new Error('FORBIDDEN: the API key was refused (live updates closed with 4403)');
    error.authFailed = true;
    return error;
  }
  return new Error(`live updates closed (${event?.code ?? 'no code'}${event?.reason ? `: ${event.reason}` : ''})`);
}
