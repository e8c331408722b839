import { Field, Int, ObjectType } from 'type-graphql';
import type { CaseStatus } from '../../domain/case.model';
import { CaseStatusEnum } from './graphql.scalars';

@ObjectType()
export class StatusCount {
  @Field(() => CaseStatusEnum) status!: CaseStatus;
  @Field(() => Int) count!: number;
}

@ObjectType({ description: 'Cases created on one UTC day, by how they stand now' })
export class DayOutcomes {
  @Field(() => String, { description: 'The UTC day, YYYY-MM-DD' }) day!: string;
  @Field(() => Int) completed!: number;
  @Field(() => Int) failed!: number;
  @Field(() => Int, { description: 'Not finished yet: CREATED, RUNNING or INPUT_NEEDED' }) open!: number;
}

@ObjectType({ description: "The caller's cases at a glance" })
export class CaseStats {
  @Field(() => Int) total!: number;
  @Field(() => [StatusCount], { description: 'Every status, zeros included, in lifecycle order' })
  byStatus!: StatusCount[];
  @Field(() => [DayOutcomes], { description: 'The last 30 UTC days, oldest first, today last' })
  perDay!: DayOutcomes[];
}
