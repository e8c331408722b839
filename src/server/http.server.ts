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
import { formatError } from '../graphql/graphql.errors';
import { apolloSecurityOptions, apolloSecurityPlugins, isProduction } from '../graphql/security/apollo.options';
import { bodyErrorHandler, GRAPHQL_BODY_LIMIT } from '../graphql/security/body.errors';
import { clientErrorFormatter } from '../graphql/security/client.errors';
import { wsGuard, type WsExtra } from '../graphql/security/ws.guard';
import type { Services } from '../services/service.registry';
import type { Logger } from '../observability/logger.factory';
import { graphqlIdeRoutes } from './graphql-ide.routes';
import { inboundRoutes } from '../rest/inbound.routes';
import { RateLimiter } from '../graphql/security/rate-limit.guard';

export interface HttpServer {
  server: http.Server;
  app: Express;
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
}

export async function startHttp(options: HttpOptions): Promise<HttpServer> {
  const { config, schema, services, logger } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  const server = http.createServer(app);
  const limiter = new RateLimiter(config.RATE_LIMIT_PER_MINUTE);

  const wsServer = new WebSocketServer({ server, path: '/graphql', maxPayload: 64 * 1024 });
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
          ctx.extra.account = await authenticate(services, ctx.connectionParams ?? {});
          return true;
        } catch {
          return false; // graphql-ws closes with 4403 Forbidden
        }
      },
      context: (ctx): GraphQLContext => ({ account: ctx.extra.account!, services }),
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

  app.use(options.ops);
  app.use(dashboardRoutes());
  app.use(inboundRoutes({ services, config }));
  options.extraRoutes?.(app);
  if (!isProduction(config)) app.use(graphqlIdeRoutes());
  app.use(
    '/graphql',
    express.json({ limit: GRAPHQL_BODY_LIMIT }),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const account = await authenticate(services, req.headers);
        limiter.check(account.keyId);
        return { account, services };
      },
    }),
    bodyErrorHandler(logger),
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, () => resolve());
  });

  return {
    server,
    app,
    stop: async () => {
      await apollo.stop();
      wsServer.close();
      server.closeAllConnections();
    },
  };
}
