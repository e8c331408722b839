// Browser-facing hardening for every response. The policy here is for what is not a page (JSON, downloads, scripts):
// nothing may load, frame or be framed. The dashboard's HTML sets its own policy (dashboard.routes.ts), which
// replaces this one for the page.
import type { RequestHandler } from 'express';

const CONTENT_SECURITY_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function securityHeaders(): RequestHandler {
  return (_req, res, next) => {
    // A route with a stricter policy of its own (attachment downloads: sandbox) sets it later and wins.
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    next();
  };
}
