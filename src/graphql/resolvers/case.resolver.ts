import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql.context';
import { toConnection } from '../types/connection.mapper';
import { CreateCaseInput, CaseFilter, SubmitInputInput } from '../types/case.inputs';
import { Case, CaseConnection, SubmitInputPayload, Usage } from '../types/case.types';
import { toCase } from '../types/case.mapper';
import { CreateCaseResult } from '../types/case-batch.types';
import { chargeBatch } from '../../services/accounts/batch-rate.policy';
import { MAX_BATCH } from '../../services/cases/case-batch.service';

@Resolver(() => Case)
export class CaseResolver {
  @Query(() => Case, { nullable: true })
  async case(@Arg('id', () => ID) id: string, @Ctx() { account, services }: GraphQLContext): Promise<Case | null> {
    const row = await services.cases.getCase(account.id, id);
    return row ? toCase(row) : null;
  }

  @Query(() => CaseConnection, { description: 'Relay cursor pagination, newest first' })
  async cases(
    @Ctx() { account, services }: GraphQLContext,
    @Arg('filter', () => CaseFilter, { nullable: true }) filter?: CaseFilter | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<CaseConnection> {
    const page = await services.cases.listCases(account.id, filter ?? {}, first ?? 20, after ?? null);
    return toConnection(page, after, toCase);
  }

  @Query(() => Usage)
  async usage(@Ctx() { account, services }: GraphQLContext): Promise<Usage> {
    return services.cases.usage(account);
  }

  @Mutation(() => Case)
  async createCase(
    @Arg('input', () => CreateCaseInput) input: CreateCaseInput,
    @Ctx() { account, services }: GraphQLContext,
    @Arg('idempotencyKey', () => String, { nullable: true }) idempotencyKey?: string | null,
  ): Promise<Case> {
    return toCase(await services.cases.createCase(account, { ...input }, idempotencyKey));
  }

  @Mutation(() => [CreateCaseResult], {
    description:
      'Up to 100 cases at once: each input is validated and answered on its own (one result per input, in order), ' +
      "the month's cap is shared exactly across the batch; a batch counts as one request per 10 inputs against the " +
      "key's rate limit",
  })
  async createCases(
    @Arg('inputs', () => [CreateCaseInput]) inputs: CreateCaseInput[],
    @Ctx() { account, services, limiter }: GraphQLContext,
    @Arg('idempotencyKey', () => String, { nullable: true }) idempotencyKey?: string | null,
  ): Promise<CreateCaseResult[]> {
    // An oversized batch is refused by the service, naming inputs, without being charged for.
    if (inputs.length <= MAX_BATCH) chargeBatch(limiter, account.keyId, inputs.length);
    const results = await services.cases.createCases(
      account,
      inputs.map((input) => ({ ...input })),
      idempotencyKey,
    );
    return results.map((r) => ({ index: r.index, case: r.case ? toCase(r.case) : null, error: r.error }));
  }

  @Mutation(() => SubmitInputPayload)
  async submitInput(
    @Arg('input', () => SubmitInputInput) input: SubmitInputInput,
    @Ctx() { account, services }: GraphQLContext,
  ): Promise<SubmitInputPayload> {
    return services.cases.submitInput(account, { ...input });
  }

  @Mutation(() => Case)
  async cancelCase(
    @Arg('id', () => ID) id: string,
    @Ctx() { account, services }: GraphQLContext,
    @Arg('reason', () => String, { nullable: true }) reason?: string | null,
  ): Promise<Case> {
    return toCase(await services.cases.cancelCase(account, id, reason));
  }

  @Mutation(() => Boolean, {
    description:
      "Erases the case's personal data (messages, attachments, counterparty, goal, result, metadata, timeline); " +
      'afterwards it answers like a missing case everywhere. Usage already counted stays counted.',
  })
  async deleteCase(@Arg('id', () => ID) id: string, @Ctx() { account, services }: GraphQLContext): Promise<boolean> {
    return services.erasure.deleteCase(account.id, id);
  }
}
