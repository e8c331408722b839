// express.json's refusals (too large, not JSON) and anything else thrown on /graphql, as GraphQL-shaped JSON instead
// of express's HTML error page, which outside production would also show a stack trace.
import type { ErrorRequestHandler } from 'express';
import type { Logger } from '../../observability/logger.factory';

interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
}

export const GRAPHQL_BODY_LIMIT = '1mb';

export function bodyErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, _next) => {
    const e = (error ?? {}) as BodyParserError;
    if (e.type === 'entity.too.large') {
      res.status(413).json({
        errors: [
          {
            message: `Request body is larger than the limit of ${GRAPHQL_BODY_LIMIT}`,
            extensions: { code: 'PAYLOAD_TOO_LARGE', limitBytes: e.limit },
          },
        ],
      });
      return;
    }
    if (typeof e.type === 'string' && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      const message = e.type === 'entity.parse.failed' ? 'Request body is not valid JSON' : 'Request body refused';
      res.status(e.status).json({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
      return;
    }
    logger.error({ err: error }, 'unhandled error on /graphql');
    res
      .status(500)
      .json({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
  };
}
