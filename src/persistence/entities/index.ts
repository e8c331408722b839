import { AccountEntity } from './account.entity';
import { ApiKeyEntity } from './api-key.entity';
import { AttachmentEntity } from './attachment.entity';
import { CaseEventEntity } from './case-event.entity';
import { CaseEntity } from './case.entity';
import { MessageEntity } from './message.entity';

export { AccountEntity, ApiKeyEntity, AttachmentEntity, CaseEventEntity, CaseEntity, MessageEntity };
export const ENTITIES = [AccountEntity, ApiKeyEntity, AttachmentEntity, CaseEventEntity, CaseEntity, MessageEntity];
