import { Ctx, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql.context';
import { CaseStats } from '../types/case-stats.types';

@Resolver()
export class CaseStatsResolver {
  @Query(() => CaseStats, { description: "Counts per status and cases per day by outcome, the caller's account only" })
  async caseStats(@Ctx() { account, services }: GraphQLContext): Promise<CaseStats> {
    return services.stats.stats(account.id);
  }
}
