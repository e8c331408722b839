import { Arg, ID, Int, Root, Subscription, Resolver } from 'type-graphql';
import type { SubscribeResolverData } from 'type-graphql';
import type { GraphQLContext } from '../graphql.context';
import type { FeedItem } from '../../services/feed/case-feed.service';
import type { CaseFilter as Filter } from '../../services/cases/case-list.service';
import { isUuid } from '../../services/cases/case-input.schema';
import { encodeCursor } from '../../services/feed/feed-cursor.mapper';
import { matchesSearch } from '../../services/cases/case-search.schema';
import { CaseFilter } from '../types/case.inputs';
import { CaseUpdate } from '../types/case.types';
import { toCase } from '../types/case.mapper';

type Data = SubscribeResolverData<
  unknown,
  { id?: string; filter?: Filter | null; after?: string | number | null },
  GraphQLContext
>;

const matches = (filter: Filter | null | undefined, item: FeedItem): boolean => {
  if (!filter) return true;
  const c = item.case;
  if (filter.status?.length && !filter.status.includes(c.status)) return false;
  if (filter.clientReferenceId && c.clientReferenceId !== filter.clientReferenceId) return false;
  if (filter.createdAfter && !(c.createdAt > filter.createdAfter)) return false;
  if (filter.createdBefore && !(c.createdAt < filter.createdBefore)) return false;
  if (filter.search && !matchesSearch(c, filter.search)) return false;
  return true;
};

@Resolver()
export class SubscriptionResolver {
  @Subscription(() => CaseUpdate, {
    description: 'Every change of one case, in timeline order; with `after`, first those with sequence > after',
    subscribe: ({ args, context }: Data) => {
      // Another account's case, or no such case, is simply silent: it answers exactly like a missing one.
      const id = isUuid(args.id ?? '') ? args.id! : '';
      const after = typeof args.after === 'number' ? args.after : null;
      return context.services.feedResume.caseUpdates(context.account.id, id, (item) => item.event.caseId === id, after);
    },
  })
  caseUpdated(
    @Arg('id', () => ID) _id: string,
    @Root() item: FeedItem,
    @Arg('after', () => Int, { nullable: true }) _after?: number | null,
  ): CaseUpdate {
    return toUpdate(item);
  }

  @Subscription(() => CaseUpdate, {
    description:
      "Every change of the caller's cases; with `after` (the last CaseUpdate.cursor received), first those after " +
      'it (CURSOR_EXPIRED past the resume window)',
    subscribe: ({ args, context }: Data) =>
      context.services.feedResume.accountUpdates(
        context.account.id,
        (item) => matches(args.filter, item),
        typeof args.after === 'string' ? args.after : null,
      ),
  })
  caseUpdates(
    @Root() item: FeedItem,
    @Arg('filter', () => CaseFilter, { nullable: true }) _filter?: CaseFilter | null,
    @Arg('after', () => String, { nullable: true }) _after?: string | null,
  ): CaseUpdate {
    return toUpdate(item);
  }
}

function toUpdate(item: FeedItem): CaseUpdate {
  return {
    eventId: item.event.id,
    type: item.event.type,
    previousStatus: item.event.fromStatus,
    toStatus: item.event.toStatus,
    sequence: item.event.seq,
    case: toCase(item.case),
    occurredAt: item.event.occurredAt,
    cursor: encodeCursor(item.position),
  };
}
