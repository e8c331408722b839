// The suppression list's faces (SPEC §11): read it, add to it, take an address off it. Scoped to the caller's account.
import { Arg, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql.context';
import { toConnection } from '../types/connection.mapper';
import { SuppressionConnection } from '../types/suppression.types';

@Resolver()
export class SuppressionResolver {
  @Query(() => SuppressionConnection, { description: "The account's suppression list, newest first" })
  async suppressions(
    @Ctx() { account, services }: GraphQLContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<SuppressionConnection> {
    const page = await services.suppressions.list(account.id, first ?? 20, after ?? null);
    return toConnection(page, after, (node) => node);
  }

  @Mutation(() => Boolean, {
    description: 'Adds the address to the suppression list: createCase refuses it, running cases to it stop sending',
  })
  async suppressAddress(
    @Arg('address', () => String) address: string,
    @Ctx() { account, services }: GraphQLContext,
    @Arg('reason', () => String, { nullable: true }) reason?: string | null,
  ): Promise<boolean> {
    return services.suppressions.suppressByClient(account.id, address, reason);
  }

  @Mutation(() => Boolean, { description: 'Takes the address off the suppression list; false if it was not on it' })
  async unsuppressAddress(
    @Arg('address', () => String) address: string,
    @Ctx() { account, services }: GraphQLContext,
  ): Promise<boolean> {
    return services.suppressions.unsuppress(account.id, address);
  }
}
