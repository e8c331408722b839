// Fields of Case that need more than the case row. They are read only when a client asks for them.
import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../graphql.context';
import { Attachment, AttachmentLink, Case, CaseEvent, Message } from '../types/case.types';
import { toAttachment, toCaseEvent, toMessage } from '../types/case.mapper';
import { renderTranscript } from '../../services/cases/transcript.mapper';

@Resolver(() => Case)
export class CaseFieldsResolver {
  @FieldResolver(() => [Attachment])
  async attachments(@Root() c: Case, @Ctx() { services }: GraphQLContext): Promise<Attachment[]> {
    return (await services.cases.attachments(c.id)).map((a) => toAttachment(a));
  }

  @FieldResolver(() => [Message])
  async messages(@Root() c: Case, @Ctx() { services }: GraphQLContext): Promise<Message[]> {
    return (await services.cases.messages(c.id)).map(toMessage);
  }

  @FieldResolver(() => String, { nullable: true, description: 'The thread as plain text; null before any mail' })
  async transcript(@Root() c: Case, @Ctx() { services }: GraphQLContext): Promise<string | null> {
    return renderTranscript(await services.cases.messages(c.id), c.channel);
  }

  @FieldResolver(() => [CaseEvent])
  async timeline(@Root() c: Case, @Ctx() { services }: GraphQLContext): Promise<CaseEvent[]> {
    return (await services.cases.timeline(c.id)).map(toCaseEvent);
  }
}

@Resolver(() => Attachment)
export class AttachmentFieldsResolver {
  @FieldResolver(() => AttachmentLink, { description: 'A fresh signed link each time it is asked for' })
  async download(@Root() a: Attachment, @Ctx() { services, account }: GraphQLContext): Promise<AttachmentLink> {
    return services.attachments.link(account.id, a.caseId, a.id);
  }
}
