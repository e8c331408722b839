// The GraphQL shapes of a case's schedule: its send window (input and output) and the weekday enum.
import { Field, InputType, ObjectType } from 'type-graphql';
import type { Weekday } from '../../domain/send-window.policy';
import { DateTimeScalar, WeekdayEnum } from './graphql.scalars';

@InputType({ description: 'When mail may leave: on `days`, from `start` to `end` (HH:MM) in `timezone`' })
export class SendWindowInput {
  @Field(() => [WeekdayEnum]) days!: Weekday[];
  @Field(() => String, { description: 'Local time, as HH:MM' }) start!: string;
  @Field(() => String, { description: 'HH:MM; earlier than start: the window crosses midnight' }) end!: string;
  @Field(() => String, {
    nullable: true,
    description: 'IANA zone; default counterparty.timezone, then UTC',
  })
  timezone?: string | null;
}

@ObjectType()
export class SendWindow {
  @Field(() => [WeekdayEnum]) days!: Weekday[];
  @Field(() => String) start!: string;
  @Field(() => String) end!: string;
  @Field(() => String, { description: 'The zone in use (resolved when the case was created)' }) timezone!: string;
  @Field(() => DateTimeScalar, { description: 'The next moment the window is open (now, when it is open now)' })
  nextOpenAt!: Date;
}
