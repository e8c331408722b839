import { DateTimeResolver, JSONObjectResolver, JSONResolver } from 'graphql-scalars';
import { registerEnumType } from 'type-graphql';
import { CASE_STATUSES, CHANNELS, INPUT_REQUEST_STATUSES, PLANS } from '../../domain/case.model';
import { WEEKDAYS } from '../../domain/send-window.policy';

export const DateTimeScalar = DateTimeResolver;
export const JSONScalar = JSONResolver;
export const JSONObjectScalar = JSONObjectResolver;

const asEnum = <T extends string>(values: readonly T[]): Record<T, T> =>
  Object.fromEntries(values.map((v) => [v, v])) as Record<T, T>;

export const ChannelEnum = asEnum(CHANNELS);
export const CaseStatusEnum = asEnum(CASE_STATUSES);
export const InputRequestStatusEnum = asEnum(INPUT_REQUEST_STATUSES);
export const PlanEnum = asEnum(PLANS);
export const WeekdayEnum = asEnum(WEEKDAYS);

registerEnumType(ChannelEnum, { name: 'Channel' });
registerEnumType(CaseStatusEnum, { name: 'CaseStatus' });
registerEnumType(InputRequestStatusEnum, { name: 'InputRequestStatus' });
registerEnumType(PlanEnum, { name: 'Plan' });
registerEnumType(WeekdayEnum, { name: 'Weekday' });
