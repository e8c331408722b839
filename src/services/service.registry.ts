import type { AccountsService } from './accounts/account.service';
import type { AttachmentsService } from './attachments/attachment.service';
import type { CaseFeed } from './feed/case-feed.service';
import type { CasesService } from './cases/case.service';
import type { CaseStatsService } from './cases/case-stats.service';
import type { ModelUsageService } from './cases/model-usage.service';
import type { InboundService } from './inbound/inbound.service';
import type { WebhookRecords } from './webhooks/webhook-record.service';

/** The one application layer every face (GraphQL, REST, inbound routes) is a thin layer over. */
export interface Services {
  accounts: AccountsService;
  cases: CasesService;
  attachments: AttachmentsService;
  inbound: InboundService;
  feed: CaseFeed;
  webhooks: WebhookRecords;
  stats: CaseStatsService;
  modelUsage: ModelUsageService;
}
