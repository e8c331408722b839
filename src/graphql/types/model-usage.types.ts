import { Field, Float, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'Language-model calls and the tokens the model server reported for them' })
export class ModelUsage {
  @Field(() => Int, { description: 'Model calls made, retries of an unusable answer included' }) calls!: number;
  // Float: whole numbers, but an account's month of tokens can pass GraphQL Int's 2^31.
  @Field(() => Float) promptTokens!: number;
  @Field(() => Float) completionTokens!: number;
}
