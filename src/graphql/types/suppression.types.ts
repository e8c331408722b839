// The GraphQL view of the account's suppression list (SPEC §11).
import { Field, ID, ObjectType } from 'type-graphql';
import { PageInfo } from './case.types';
import { DateTimeScalar } from './graphql.scalars';

@ObjectType({ description: 'An address Offload will not mail again for this account' })
export class Suppression {
  @Field(() => String, { description: 'Lower-cased' }) address!: string;
  @Field(() => String, { description: 'hard_bounce, complaint, unsubscribe, sms_stop or manual' }) source!: string;
  @Field(() => String, { nullable: true }) reason!: string | null;
  @Field(() => ID, { nullable: true, description: 'The case whose mail led to it (automatic entries)' })
  caseId!: string | null;
  @Field(() => DateTimeScalar) createdAt!: Date;
}

@ObjectType()
export class SuppressionEdge {
  @Field(() => String) cursor!: string;
  @Field(() => Suppression) node!: Suppression;
}

@ObjectType()
export class SuppressionConnection {
  @Field(() => [SuppressionEdge]) edges!: SuppressionEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}
