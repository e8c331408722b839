export const DELIVERY_FAILURE_KINDS = ['BOUNCED', 'COMPLAINED', 'REJECTED'] as const;
export type DeliveryFailureKind = (typeof DELIVERY_FAILURE_KINDS)[number];
