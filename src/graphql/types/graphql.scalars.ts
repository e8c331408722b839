import { DateTimeResolver, JSONObjectResolver, JSONResolver } from 'graphql-scalars';
import { registerEnumType } from 'type-graphql';
import { CASE_STATUSES, CHANNELS, INPUT_REQUEST_STATUSES, PLANS } from '../../domain/case.model';

export const DateTimeScalar = DateTimeResolver;
export const JSONScalar = JSONResolver;
export const JSONObjectScalar = JSONObjectResolver;

const asEnum = <T extends string>(values: readonly T[]): Record<T, T> =>
  Object.fromEntries(values.map((v) => [v, v])) as Record<T, T>;

export const ChannelEnum = asEnum(CHANNELS);
export const CaseStatusEnum = asEnum(CASE_STATUSES);
export const InputRequestStatusEnum = asEnum(INPUT_REQUEST_STATUSES);
export const PlanEnum = asEnum(PLANS);

registerEnumType(ChannelEnum, { name: 'Channel' });
registerEnumType(CaseStatusEnum, { name: 'CaseStatus' });
registerEnumType(InputRequestStatusEnum, { name: 'InputRequestStatus' });
registerEnumType(PlanEnum, { name: 'Plan' });
