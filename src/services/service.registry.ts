import type { AccountsService } from './accounts/account.service';
import type { AttachmentsService } from './attachments/attachment.service';
import type { CaseFeed } from './feed/case-feed.service';
import type { FeedResume } from './feed/feed-resume.service';
import type { CasesService } from './cases/case.service';
import type { CaseErasureService } from './cases/case-erasure.service';
import type { CaseStatsService } from './cases/case-stats.service';
import type { ModelUsageService } from './cases/model-usage.service';
import type { InboundService } from './inbound/inbound.service';
import type { SmsInboundService } from './inbound/sms-inbound.service';
import type { SuppressionService } from './suppression/suppression.service';
import type { UnsubscribeService } from './suppression/unsubscribe.service';
import type { WebhookEndpointService } from './webhooks/webhook-endpoint.service';
import type { WebhookRecords } from './webhooks/webhook-record.service';

/** The one application layer every face (GraphQL, REST, inbound routes) is a thin layer over. */
export interface Services {
  accounts: AccountsService;
  cases: CasesService;
  attachments: AttachmentsService;
  inbound: InboundService;
  /** Texts and status callbacks of the SMS transport (SPEC §13). */
  sms: SmsInboundService;
  feed: CaseFeed;
  feedResume: FeedResume;
  webhooks: WebhookRecords;
  webhookEndpoints: WebhookEndpointService;
  stats: CaseStatsService;
  modelUsage: ModelUsageService;
  suppressions: SuppressionService;
  erasure: CaseErasureService;
  unsubscribe: UnsubscribeService;
}
