// What a Twilio error code means for the case (https://www.twilio.com/docs/api/errors). Codes not listed are
// refusals (REJECTED): a filter, a carrier, an account setting. Only numbers that cannot take texts are BOUNCED,
// and only 21610 (the recipient texted STOP to our number at Twilio) is an opt-out.
import type { TerminalSendOutcome } from './mail.types';

/** The number cannot receive texts: invalid, unknown, a landline, or not a mobile number. */
const UNREACHABLE: ReadonlyMap<number, string> = new Map([
  [21211, "invalid 'To' phone number"],
  [21612, "the 'To' number is not reachable via SMS"],
  [21614, "'To' number is not a valid mobile number"],
  [30003, 'unreachable destination handset'],
  [30005, 'unknown destination handset'],
  [30006, 'landline or unreachable carrier'],
]);

/** A handset that is switched off or out of coverage may come back: the case fails, the number is not suppressed. */
const MAYBE_TEMPORARY: ReadonlySet<number> = new Set([30003]);

const KNOWN_REFUSALS: ReadonlyMap<number, string> = new Map([
  [21408, 'permission to send to this region is not enabled'],
  [30004, 'message blocked by the recipient or carrier'],
  [30007, 'message filtered by the carrier as spam'],
  [30008, 'unknown error at the carrier'],
  [30032, 'toll-free number not verified'],
  [30034, 'sender not registered for A2P 10DLC'],
]);

export const TWILIO_UNSUBSCRIBED = 21610;

export interface TwilioErrorVerdict {
  outcome: TerminalSendOutcome;
  /** failureReason: always names the Twilio code. */
  reason: string;
}

export function twilioErrorVerdict(code: number | null, detail?: string | null): TwilioErrorVerdict {
  const label = code === null ? 'Twilio error (no code)' : `Twilio error ${code}`;
  const known = code === null ? undefined : (UNREACHABLE.get(code) ?? KNOWN_REFUSALS.get(code));
  const text = [known, detail].filter(Boolean).join(': ');
  const reason = text ? `${label}: ${text}` : label;
  if (code === TWILIO_UNSUBSCRIBED) return { outcome: 'opted_out', reason: `${label}: recipient unsubscribed (STOP)` };
  if (code !== null && UNREACHABLE.has(code))
    // inbound.service keeps an address off the suppression list for a bounce whose reason says "transient".
    return { outcome: 'bounced', reason: MAYBE_TEMPORARY.has(code) ? `transient: ${reason}` : reason };
  return { outcome: 'rejected', reason };
}
