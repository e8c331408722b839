// What the model cost: Case.modelUsage (that case, all time) and Usage.modelUsage (the account, this UTC month).
// The rules agent makes no calls, so both read zero with AGENT=rules.
import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../graphql.context';
import { Case, Usage } from '../types/case.types';
import { ModelUsage } from '../types/model-usage.types';

@Resolver(() => Case)
export class CaseModelUsageResolver {
  @FieldResolver(() => ModelUsage, { description: 'Model calls and tokens spent on this case' })
  modelUsage(@Root() c: Case, @Ctx() { services }: GraphQLContext): Promise<ModelUsage> {
    return services.modelUsage.forCase(c.id);
  }
}

@Resolver(() => Usage)
export class UsageModelUsageResolver {
  @FieldResolver(() => ModelUsage, { description: "Model calls and tokens of the account's cases this UTC month" })
  modelUsage(@Root() _usage: Usage, @Ctx() { services, account }: GraphQLContext): Promise<ModelUsage> {
    return services.modelUsage.forAccountThisMonth(account.id);
  }
}
