// Chooses the mail transport from MAIL_TRANSPORT and mounts its inbound routes.
import type { Express } from 'express';
import type { Config } from '../config/config';
import { createLocalTransport } from '../mail/local.transport';
import type { MailTransport } from '../mail/mail.types';
import type { Services } from '../services/services';
import type { Logger } from './logger';

export function createMailTransport(config: Config, _logger: Logger): MailTransport {
  switch (config.MAIL_TRANSPORT) {
    case 'local':
      return createLocalTransport();
    default:
      throw new Error(`MAIL_TRANSPORT=${config.MAIL_TRANSPORT} is not wired yet`);
  }
}

/** Inbound provider routes (e.g. /webhooks/agentmail); mounted before any JSON body parser. */
export function mountMailRoutes(_app: Express, _config: Config, _services: Services, _logger: Logger): void {}
