// The one-click unsubscribe link of every outbound mail (RFC 8058). POST unsubscribes (what mail clients send, with
// the body `List-Unsubscribe=One-Click`); GET only shows a page with a button that makes the same POST, because mail
// scanners fetch links and a GET must never opt anyone out. No API key: the signed token is the proof. A token that
// is not ours answers 404 and changes nothing.
import { Router, urlencoded, type NextFunction, type Request, type Response } from 'express';
import type { Services } from '../services/service.registry';

/** No script, no style, no outside resource: the page works under the strictest policy. */
const CSP = "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

export function unsubscribeRoutes(services: Services): Router {
  const router = Router();

  router.get('/unsubscribe/:token', (req: Request, res: Response, next: NextFunction) => {
    services.unsubscribe
      .isValid(String(req.params.token))
      .then((valid) => {
        res.setHeader('Content-Security-Policy', CSP);
        res.setHeader('Cache-Control', 'no-store');
        if (!valid) return void res.status(404).type('html').send(page('This unsubscribe link is not valid.'));
        res.type('html').send(page('Stop receiving these emails?', true));
      })
      .catch(next);
  });

  router.post(
    '/unsubscribe/:token',
    urlencoded({ extended: false, limit: '1kb' }),
    (req: Request, res: Response, next: NextFunction) => {
      services.unsubscribe
        .oneClick(String(req.params.token))
        .then((outcome) => {
          res.setHeader('Content-Security-Policy', CSP);
          res.setHeader('Cache-Control', 'no-store');
          if (outcome === 'invalid')
            return void res.status(404).type('html').send(page('This unsubscribe link is not valid.'));
          res.type('html').send(page('You are unsubscribed. You will not receive these emails again.'));
        })
        .catch(next);
    },
  );
  return router;
}

function page(message: string, withButton = false): string {
  const form = withButton
    ? `<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">` +
      `<button type="submit">Unsubscribe</button></form>`
    : '';
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Unsubscribe</title>` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"></head>` +
    `<body><main><h1>Unsubscribe</h1><p>${message}</p>${form}</main></body></html>`
  );
}
