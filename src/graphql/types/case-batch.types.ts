// createCases' answer: one result per input, in input order, carrying the case or why there is none.
import { Field, Int, ObjectType } from 'type-graphql';
import { Case } from './case.types';

@ObjectType({ description: 'Why one input of createCases made no case' })
export class CaseInputError {
  @Field(() => String, {
    description: 'The code createCase would have failed with (BAD_USER_INPUT, USAGE_LIMIT_REACHED, ...)',
  })
  code!: string;

  @Field(() => String) message!: string;

  @Field(() => [String], { description: 'Failing field paths within the input (e.g. counterparty.address)' })
  fields!: string[];
}

@ObjectType({ description: 'The outcome of one input of createCases: a case, or an error' })
export class CreateCaseResult {
  @Field(() => Int, { description: "The input's position in `inputs`, from 0" }) index!: number;
  @Field(() => Case, { nullable: true }) case!: Case | null;
  @Field(() => CaseInputError, { nullable: true }) error!: CaseInputError | null;
}
