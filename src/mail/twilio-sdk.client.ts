// The twilio SDK loads ~20 MB of modules; a process that never texts through Twilio (SMS_TRANSPORT=local, the
// default) never loads it. Its types are compile-time only.
import type TwilioSdk from 'twilio';

type Sdk = typeof TwilioSdk;

let sdk: Sdk | null = null;

export function twilioSdk(): Sdk {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
  sdk ??= require('twilio') as Sdk;
  return sdk;
}
