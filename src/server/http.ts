// The HTTP face: Apollo on /graphql (and graphql-ws on the same path), health, inbound routes, downloads.
import http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Express } from 'express';
import type { GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Config } from '../config/config';
import { authenticate, type GraphQLContext } from '../graphql/context';
import { formatError } from '../graphql/errors';
import type { Services } from '../services/services';
import type { Logger } from './logger';
import { inboundRoutes } from './inbound.routes';

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
  ready: () => Promise<boolean>;
  /** Mounted before the GraphQL route (REST compatibility, provider webhooks). */
  extraRoutes?: (app: Express) => void;
}

export async function startHttp(options: HttpOptions): Promise<HttpServer> {
  const { config, schema, services, logger } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  const server = http.createServer(app);

  const wsServer = new WebSocketServer({ server, path: '/graphql', maxPayload: 64 * 1024 });
  const wsCleanup = useServer<Record<string, unknown>, { account?: GraphQLContext['account'] }>(
    {
      schema,
      connectionInitWaitTimeout: 10_000,
      onConnect: async (ctx) => {
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
    introspection: config.NODE_ENV !== 'production',
    includeStacktraceInErrorResponses: false,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    formatError: formatError(logger),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: server }),
      { serverWillStart: async () => ({ drainServer: async () => void (await wsCleanup.dispose()) }) },
    ],
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => void res.json({ ok: true }));
  app.get('/readyz', async (_req, res) => {
    const ready = await options.ready().catch(() => false);
    res.status(ready ? 200 : 503).json({ ok: ready });
  });
  app.use(inboundRoutes({ services, config }));
  options.extraRoutes?.(app);
  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, {
      context: async ({ req }) => ({ account: await authenticate(services, req.headers), services }),
    }),
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
