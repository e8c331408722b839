import { Arg, ID, Root, Subscription, Resolver } from 'type-graphql';
import type { SubscribeResolverData } from 'type-graphql';
import type { GraphQLContext } from '../graphql.context';
import type { FeedItem } from '../../services/feed/case-feed.service';
import type { CaseFilter as Filter } from '../../services/cases/case-list.service';
import { isUuid } from '../../services/cases/case-input.schema';
import { matchesSearch } from '../../services/cases/case-search.schema';
import { CaseFilter } from '../types/case.inputs';
import { CaseUpdate } from '../types/case.types';
import { toCase } from '../types/case.mapper';

type Data = SubscribeResolverData<unknown, { id?: string; filter?: Filter | null }, GraphQLContext>;

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
    description: 'Every change of one case, in timeline order',
    subscribe: ({ args, context }: Data) => {
      // Another account's case, or no such case, is simply silent: it answers exactly like a missing one.
      const id = isUuid(args.id ?? '') ? args.id : '';
      return context.services.feed.subscribe(context.account.id, (item) => item.event.caseId === id, { caseId: id });
    },
  })
  caseUpdated(@Arg('id', () => ID) _id: string, @Root() item: FeedItem): CaseUpdate {
    return toUpdate(item);
  }

  @Subscription(() => CaseUpdate, {
    description: "Every change of the caller's cases",
    subscribe: ({ args, context }: Data) =>
      context.services.feed.subscribe(context.account.id, (item) => matches(args.filter, item)),
  })
  caseUpdates(
    @Root() item: FeedItem,
    @Arg('filter', () => CaseFilter, { nullable: true }) _filter?: CaseFilter | null,
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
  };
}
