// The HTTP face: Apollo on /graphql (and graphql-ws on the same path), health and metrics, the dashboard at /,
// inbound routes, downloads.
import http from 'node:http';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Express, type Router } from 'express';
import type { GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Config } from '../config/env.config';
import { dashboardRoutes } from '../dashboard/dashboard.routes';
import { authenticate, type GraphQLContext } from '../graphql/graphql.context';
import { formatError, toGraphQLError } from '../graphql/graphql.errors';
import { apolloSecurityOptions, apolloSecurityPlugins, isProduction } from '../graphql/security/apollo.options';
import { bodyErrorHandler, GRAPHQL_BODY_LIMIT } from '../graphql/security/body.errors';
import { clientErrorFormatter } from '../graphql/security/client.errors';
import { wsGuard, type WsExtra } from '../graphql/security/ws.guard';
import { validationBudgetGuard } from '../graphql/security/validation-budget.guard';
import { guardWsFlood } from '../graphql/security/ws-flood.guard';
import { WsKeySockets } from '../graphql/security/ws-revocation.guard';
import type { KeyRateLimit } from '../services/accounts/key-rate.types';
import type { Services } from '../services/service.registry';
import type { Logger } from '../observability/logger.factory';
import { graphqlIdeRoutes } from './graphql-ide.routes';
import { inboundRoutes } from '../rest/inbound.routes';
import { guardedAccount, keyGuard } from '../rest/key.guard';
import { fallbackErrorHandler, notFoundHandler } from '../rest/rest.errors';
import { securityHeaders } from './security-headers.guard';

export interface HttpServer {
  server: http.Server;
  app: Express;
  /** Closes the graphql-ws sockets opened with these keys (4403): they were revoked. */
  closeKeySockets(keyIds: string[]): number;
  stop(): Promise<void>;
}

export interface HttpOptions {
  config: Config;
  schema: GraphQLSchema;
  services: Services;
  logger: Logger;
  /** /healthz, /readyz and /metrics (see ops.routes.ts). */
  ops: Router;
  /** Mounted before the GraphQL route (REST compatibility, provider webhooks). */
  extraRoutes?: (app: Express) => void;
  /** The per-key request budget every face shares. */
  limiter: KeyRateLimit;
}

export async function startHttp(options: HttpOptions): Promise<HttpServer> {
  const { config, schema, services, logger } = options;
  const { limiter } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  const server = http.createServer(app);

  const wsServer = new WebSocketServer({ server, path: '/graphql', maxPayload: 64 * 1024 });
  // Before useServer: graphql-ws answers pings and connection_init before any authentication.
  guardWsFlood(wsServer, { perSecond: config.WS_MESSAGES_PER_SECOND, burst: config.WS_MESSAGE_BURST });
  const keySockets = new WsKeySockets();
  const wsCleanup = useServer<Record<string, unknown>, WsExtra>(
    {
      schema,
      connectionInitWaitTimeout: config.WS_CONNECTION_INIT_TIMEOUT_MS,
      ...wsGuard({
        schema,
        limiter,
        format: clientErrorFormatter(formatError(logger), isProduction(config)),
        introspection: !isProduction(config),
        maxSubscriptionsPerConnection: config.WS_MAX_SUBSCRIPTIONS_PER_CONNECTION,
        maxSubscriptionsPerAccount: config.WS_MAX_SUBSCRIPTIONS_PER_ACCOUNT,
      }),
      onConnect: async (ctx) => {
        // The upgrade request (headers, parser state) is not needed once the socket is open; thousands of idle
        // subscribers should not each keep one alive.
        delete (ctx.extra as { request?: unknown }).request;
        try {
          const account = await authenticate(services, ctx.connectionParams ?? {});
          ctx.extra.account = account;
          keySockets.add(account.keyId, ctx.extra.socket);
          return true;
        } catch {
          return false; // graphql-ws closes with 4403 Forbidden
        }
      },
      context: (ctx): GraphQLContext => ({ account: ctx.extra.account!, services, limiter }),
    },
    wsServer,
  );

  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    // Apollo would read process.env.NODE_ENV by itself (landing page, defaults); the configuration decides.
    nodeEnv: config.NODE_ENV,
    ...apolloSecurityOptions<GraphQLContext>(config, formatError(logger)),
    // The CLI owns SIGTERM/SIGINT and stops everything in order; Apollo's own handler would race it and leave the
    // process waiting on a stop that never finishes.
    stopOnTerminationSignals: false,
    plugins: [
      ...apolloSecurityPlugins<GraphQLContext>(),
      // No type or field has cache hints and no response is cacheable; the default plugin would still hook every
      // field of every operation to compute a policy that is always "do not cache".
      ApolloServerPluginCacheControlDisabled(),
      // Apollo's page embeds a sandbox from a CDN; outside production graphql-ide.routes.ts serves one from disk.
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginDrainHttpServer({ httpServer: server }),
      { serverWillStart: async () => ({ drainServer: async () => void (await wsCleanup.dispose()) }) },
    ],
  });
  await apollo.start();

  app.use(securityHeaders());
  app.use(options.ops);
  app.use(dashboardRoutes());
  app.use(inboundRoutes({ services, config, limiter }));
  options.extraRoutes?.(app);
  if (!isProduction(config)) app.use(graphqlIdeRoutes());
  app.use(
    '/graphql',
    // The key and the rate limit are checked before the body is read.
    keyGuard(services.accounts, limiter, (res, error) => {
      const refusal = toGraphQLError(error);
      const { http: head, ...extensions } = refusal.extensions as { http?: { status: number } };
      res.status(head?.status ?? 400).json({ errors: [{ message: refusal.message, extensions }] });
    }),
    express.json({ limit: GRAPHQL_BODY_LIMIT }),
    validationBudgetGuard(),
    expressMiddleware(apollo, {
      context: async ({ res }) => ({ account: guardedAccount(res), services, limiter }),
    }),
    bodyErrorHandler(logger),
  );
  app.use(notFoundHandler());
  app.use(fallbackErrorHandler(logger));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, () => resolve());
  });

  return {
    server,
    app,
    closeKeySockets: (keyIds) => keySockets.closeKeys(keyIds),
    stop: async () => {
      await apollo.stop();
      wsServer.close();
      server.closeAllConnections();
    },
  };
}
