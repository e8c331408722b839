// GET /graphql from a browser: Ruru, a GraphiQL-based IDE, with every asset served from node_modules (ruru's own
// bundle) so it works with no internet access. Apollo's landing page loads its sandbox from a CDN instead. Off in
// production, like introspection, which the IDE needs.
import { Router, type Request } from 'express';
import { ruruHTML, type RuruClientConfig } from 'ruru/server';
import { serveStatic } from 'ruru/static';

const STATIC_PATH = '/vendor/ruru/';

const INITIAL_QUERY = `# Put your API key in the Headers tab below, then run this query.
# (The key \`npm start\` printed on first start; a new one:
#  npm run offload -- keys create --account dev)
query {
  usage { plan limit createdThisMonth billableThisMonth }
  cases(first: 5) { edges { node { id status createdAt } } }
}
`;

/** Browsers ask for HTML first; GraphQL clients ask for JSON (or send a query string), and go on to Apollo. */
const wantsPage = (req: Request): boolean =>
  req.query.query === undefined &&
  req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html';

export function graphqlIdeRoutes(): Router {
  const router = Router();
  const assets = serveStatic(STATIC_PATH);
  router.use(STATIC_PATH, (req, res, next) => {
    // The router strips its mount path; ruru matches on the full URL path.
    req.url = req.originalUrl;
    assets(req, res, next);
  });
  const page = ruruHTML({
    staticPath: STATIC_PATH,
    endpoint: '/graphql',
    // ruru-types picks these from GraphiQL's props, which come out required here (GraphiQL's own types are not
    // installed); ruru treats each as optional.
    clientConfig: {
      initialQuery: INITIAL_QUERY,
      initialHeaders: JSON.stringify({ 'x-api-key': 'ofk_...' }, null, 2),
      isHeadersEditorEnabled: true,
    } as RuruClientConfig,
  });
  router.get('/graphql', (req, res, next) => {
    if (!wantsPage(req)) return next();
    res.type('html').send(page);
  });
  return router;
}
