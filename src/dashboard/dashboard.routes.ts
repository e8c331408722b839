// Serves the dashboard: plain HTML, CSS and browser JS from this folder (no bundler), and graphql-ws's own browser
// build from node_modules, so it works on a machine without internet access.
import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { Router } from 'express';

/** The static files stay in src/dashboard (tsc copies no HTML), whether this runs from src/ or from dist/src/. */
function dashboardDir(): string {
  const candidates = [__dirname, path.resolve(__dirname, '../../../src/dashboard')];
  const found = candidates.find((dir) => existsSync(path.join(dir, 'index.html')));
  if (!found) throw new Error(`dashboard files (index.html) not found in ${candidates.join(' or ')}`);
  return found;
}

/**
 * The page runs no inline script or style and evaluates no strings, so it can be held to its own origin: a mail body
 * that slipped through as HTML still could not run or load anything. Attachment links are navigations, not loads.
 */
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function dashboardRoutes(): Router {
  const dir = dashboardDir();
  const graphqlWs = path.join(path.dirname(require.resolve('graphql-ws/package.json')), 'umd');
  const router = Router();
  const files = { index: false, fallthrough: true, maxAge: 0 } as const;
  // Every view has its own URL (a case can be linked and reloaded); the page picks the view from the path. A case is
  // /case/:id, not /cases/:id, which is the REST API's.
  router.get(['/', '/new', '/case/:id'], (_req, res) => {
    res.setHeader('Content-Security-Policy', CSP);
    res.sendFile(path.join(dir, 'index.html'));
  });
  router.get('/favicon.ico', (_req, res) => res.type('image/svg+xml').sendFile(path.join(dir, 'favicon.svg')));
  // Only the browser's files: the folder also holds this module's source.
  router.use('/dashboard', (req, res, next) =>
    /^\/[\w-]+\.(js|css|svg)$/.test(req.path) ? next() : res.sendStatus(404),
  );
  router.use('/dashboard', express.static(dir, files));
  router.use('/vendor/graphql-ws', express.static(graphqlWs, files));
  return router;
}
