import type { AccountsService } from './accounts.service';
import type { AttachmentsService } from './attachments.service';
import type { CaseFeed } from './case-feed';
import type { CasesService } from './cases.service';
import type { InboundService } from './inbound.service';
import type { ModelUsageService } from './model-usage.service';
import type { WebhookRecords } from './webhook-records';

/** The one application layer every face (GraphQL, REST, inbound routes) is a thin layer over. */
export interface Services {
  accounts: AccountsService;
  cases: CasesService;
  attachments: AttachmentsService;
  inbound: InboundService;
  feed: CaseFeed;
  webhooks: WebhookRecords;
  modelUsage: ModelUsageService;
}
