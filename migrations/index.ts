// Every migration, in order. Listed explicitly so the compiled build and ts-jest load the same set.
import { InitialSchema1732300000000 } from './1732300000000-initial-schema';
import { ProviderEvents1732400000000 } from './1732400000000-provider-events';
import { WebhookDeliveries1732500000000 } from './1732500000000-webhook-deliveries';
import { AgentInputs1732600000000 } from './1732600000000-agent-inputs';
import { SecurityHardening1732800000000 } from './1732800000000-security-hardening';
import { ScheduleBudgetResume1732900000000 } from './1732900000000-schedule-budget-resume';
import { Compliance1733000000000 } from './1733000000000-compliance';
import { SmsConversations1733100000000 } from './1733100000000-sms-conversations';
import { Campaigns1733200000000 } from './1733200000000-campaigns';
import { WorkerEngine1733300000000 } from './1733300000000-worker-engine';
import { ProviderLimits1733400000000 } from './1733400000000-provider-limits';

export const MIGRATIONS = [
  InitialSchema1732300000000,
  ProviderEvents1732400000000,
  WebhookDeliveries1732500000000,
  AgentInputs1732600000000,
  SecurityHardening1732800000000,
  ScheduleBudgetResume1732900000000,
  Compliance1733000000000,
  SmsConversations1733100000000,
  Campaigns1733200000000,
  WorkerEngine1733300000000,
  ProviderLimits1733400000000,
];
