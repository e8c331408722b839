// One zod schema per input, shared by GraphQL and REST. Every free-text and JSON field has a size cap.
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { z } from 'zod';
import { badInput, type FieldIssue } from '../../domain/app.errors';
import { sendWindowProblems, WEEKDAYS } from '../../domain/send-window.policy';
import { checkWebhookUrlSyntax } from '../../webhooks/ssrf.guard';
import { jsonShapeProblem } from './json-shape.policy';
import { resultSchemaProblem } from './result-schema.policy';

export const LIMITS = {
  shortText: 200,
  objective: 4_000,
  knowledgeText: 20_000,
  providedContext: 10_000,
  reason: 1_000,
  clientReferenceId: 255,
  url: 2_048,
  jsonBytes: 64 * 1024,
  resultSchemaBytes: 32 * 1024,
  idempotencyKey: 255,
} as const;

// PostgreSQL cannot store NUL in text or jsonb, and an unpaired surrogate either fails in jsonb or is silently
// replaced in text: both are refused here rather than failing (or changing) at the database.
// eslint-disable-next-line no-control-regex -- NUL is exactly what this looks for
const UNSTORABLE = /[\u0000\p{Cs}]/u;
export const isStorableText = (value: string): boolean => !UNSTORABLE.test(value);
const UNSTORABLE_MESSAGE = 'must not contain NUL characters or unpaired UTF-16 surrogates';
const storable = () => z.string().refine(isStorableText, UNSTORABLE_MESSAGE);

const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');

const cappedJson = <T extends z.ZodType>(schema: T, max: number) =>
  schema.refine((v) => jsonBytes(v) <= max, { message: `must be at most ${max} bytes as JSON` });

/**
 * JSON.parse makes an own "__proto__" key, which zod's records drop without a word and plain assignment would turn
 * into a prototype: refused, so that what is stored is what was sent. JSON nested past MAX_JSON_DEPTH is refused in
 * the same iterative pass, before the recursive schemas below could overflow the stack on it.
 */
const noProtoKeys = <T extends z.ZodType>(schema: T) =>
  z
    .unknown()
    .superRefine((raw, ctx) => {
      const problem = jsonShapeProblem(raw);
      if (problem) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
    })
    .pipe(schema);

const jsonValue: z.ZodType<unknown> = z.lazy(() =>
  z.union([storable(), z.number(), z.boolean(), z.null(), z.array(jsonValue), z.record(storable(), jsonValue)]),
);
const jsonObject = z.record(storable(), jsonValue);

const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine(isStorableText, UNSTORABLE_MESSAGE);
const optionalText = (max: number) => text(max).nullish();

const isTimeZone = (tz: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

const jsonSchemaObject = cappedJson(jsonObject, LIMITS.resultSchemaBytes).superRefine((schema, ctx) => {
  const problem = resultSchemaProblem(schema);
  if (problem) ctx.addIssue({ code: 'custom', message: `is not a valid JSON Schema: ${problem}` });
});

export interface CaseSchemaOptions {
  allowPrivateWebhooks: boolean;
  /**
   * Domains whose every address is ours (MAIL_DOMAIN: each case mails from one) and single addresses of ours (the
   * AgentMail inbox): a counterparty there would have Offload write to, and answer, itself.
   */
  ownDomains?: string[];
  ownAddresses?: string[];
  /** Our SMS sender (TWILIO_FROM): a case texting it would have Offload text, and answer, itself. */
  ownNumbers?: string[];
}

/** A URL Offload will POST webhooks to: http(s), capped, and not a private address unless allowed (SSRF). */
export function webhookUrlSchema(options: { allowPrivateWebhooks: boolean }) {
  return z
    .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
    .max(LIMITS.url)
    .refine(isStorableText, UNSTORABLE_MESSAGE)
    .superRefine((url, ctx) => {
      const problem = checkWebhookUrlSyntax(url, { allowPrivate: options.allowPrivateWebhooks });
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });
}

export function createCaseSchema(options: CaseSchemaOptions) {
  return noProtoKeys(
    caseObject(options)
      .superRefine(checkSendWindow)
      .superRefine((input, ctx) => checkCounterpartyAddress(input, ctx, options))
      .transform(withCanonicalAddress),
  );
}

const E164 = /^\+[1-9]\d{1,14}$/;

/** An E.164 number a carrier can route (libphonenumber's rules for the country): '+' and digits, nothing else. */
export function isE164Number(value: string): boolean {
  return E164.test(value) && parsePhoneNumberFromString(value)?.isValid() === true;
}

/** The address rules depend on the channel: an email address for EMAIL, an E.164 number for SMS. */
function checkCounterpartyAddress(
  input: { channel: 'EMAIL' | 'SMS'; counterparty: { address: string } },
  ctx: z.RefinementCtx,
  options: CaseSchemaOptions,
): void {
  const { address } = input.counterparty;
  const path = ['counterparty', 'address'];
  if (input.channel === 'SMS') {
    if (!isE164Number(address))
      ctx.addIssue({ code: 'custom', path, message: 'must be an E.164 phone number such as +15551234567 for SMS' });
    else if ((options.ownNumbers ?? []).includes(address))
      ctx.addIssue({ code: 'custom', path, message: "must not be this Offload server's own SMS number" });
    return;
  }
  if (!emailAddress.safeParse(address).success)
    ctx.addIssue({ code: 'custom', path, message: 'must be a valid email address' });
  else if (isOwnAddress(address, options))
    ctx.addIssue({ code: 'custom', path, message: 'must not be an address of this Offload server' });
}

/** One spelling per number, so the conversation index and the suppression list compare like with like. */
function withCanonicalAddress<T extends { channel: 'EMAIL' | 'SMS'; counterparty: { address: string } }>(input: T): T {
  if (input.channel !== 'SMS') return input;
  const number = parsePhoneNumberFromString(input.counterparty.address)?.number ?? input.counterparty.address;
  return { ...input, counterparty: { ...input.counterparty, address: number } };
}

const emailAddress = z.email();

/** How far ahead a case may be scheduled: far enough for any campaign, near enough to catch a typo in the year. */
export const MAX_START_AHEAD_DAYS = 366;

/** startAt as GraphQL gives it (a Date), or as REST does: epoch milliseconds or an ISO-8601 string with an offset. */
const startAt = z
  .union([
    z.date(),
    z
      .number()
      .int('must be epoch milliseconds')
      .transform((ms) => new Date(ms)),
    z.iso
      .datetime({ offset: true, message: 'must be an ISO-8601 date-time or epoch milliseconds' })
      .transform((iso) => new Date(iso)),
  ])
  .refine((d) => !Number.isNaN(d.getTime()), 'must be a valid date')
  .refine(
    (d) => d.getTime() <= Date.now() + MAX_START_AHEAD_DAYS * 86_400_000,
    `must be at most ${MAX_START_AHEAD_DAYS} days ahead`,
  );

const sendWindow = z.object({
  days: z.array(z.enum(WEEKDAYS, `must be one of ${WEEKDAYS.join(', ')}`)).max(7),
  start: z.string().max(5),
  end: z.string().max(5),
  timezone: z.string().max(64).refine(isTimeZone, 'must be an IANA time zone such as Europe/Paris').nullish(),
});

/** A window that never opens (no days, start equal to end) is refused naming the field; its zone is resolved. */
function checkSendWindow(
  input: { sendWindow?: z.infer<typeof sendWindow> | null; counterparty: { timezone?: string | null } },
  ctx: z.RefinementCtx,
): void {
  if (!input.sendWindow) return;
  const timezone = input.sendWindow.timezone ?? input.counterparty.timezone ?? 'UTC';
  // Day names and zones are refused by their own fields already; this adds what only the whole window shows.
  const own = sendWindowProblems({ ...input.sendWindow, timezone }).filter((p) =>
    ['days', 'start', 'end'].includes(p.path),
  );
  for (const problem of own)
    ctx.addIssue({ code: 'custom', path: ['sendWindow', ...problem.path.split('.')], message: problem.message });
}

function isOwnAddress(address: string, options: CaseSchemaOptions): boolean {
  const lower = address.trim().toLowerCase();
  const domain = lower.slice(lower.lastIndexOf('@') + 1);
  return (
    (options.ownDomains ?? []).some((d) => domain === d.toLowerCase()) ||
    (options.ownAddresses ?? []).some((a) => lower === a.toLowerCase())
  );
}

function caseObject(options: CaseSchemaOptions) {
  return z.object({
    channel: z.enum(['EMAIL', 'SMS']),
    goal: z.object({
      objective: text(LIMITS.objective),
      knowledge: z
        .union([storable().max(LIMITS.knowledgeText, `must be at most ${LIMITS.knowledgeText} characters`), jsonObject])
        .nullish()
        .refine((v) => v == null || jsonBytes(v) <= LIMITS.jsonBytes, `must be at most ${LIMITS.jsonBytes} bytes`),
    }),
    counterparty: z.object({
      // Checked against the channel below: an email address (EMAIL) or an E.164 number (SMS).
      address: z.string().trim().min(1, 'must not be empty').max(320, 'must be at most 320 characters'),
      name: text(LIMITS.shortText),
      company: optionalText(LIMITS.shortText),
      timezone: z.string().max(64).refine(isTimeZone, 'must be an IANA time zone such as Europe/Paris').nullish(),
      customData: cappedJson(z.record(storable().max(100), storable().max(2_000)), 8 * 1024).nullish(),
    }),
    senderPersona: z.object({
      name: text(LIMITS.shortText),
      role: optionalText(LIMITS.shortText),
      company: optionalText(LIMITS.shortText),
      tone: optionalText(LIMITS.shortText),
    }),
    clientReferenceId: optionalText(LIMITS.clientReferenceId),
    constraints: cappedJson(jsonValue, LIMITS.jsonBytes).nullish(),
    resultSchema: jsonSchemaObject.nullish(),
    metadata: cappedJson(jsonObject, LIMITS.jsonBytes).nullish(),
    clientWebhookUrl: webhookUrlSchema(options).nullish(),
    maxAttempts: z.number().int('must be an integer').min(0).max(20).nullish(),
    maxReplies: z.number().int('must be an integer').min(0).max(50).nullish(),
    startAt: startAt.nullish(),
    sendWindow: sendWindow.nullish(),
    followUpDelayHours: z
      .number()
      .int('must be an integer')
      .positive('must be a positive integer')
      .max(8_760)
      .nullish(),
  });
}

export type CreateCaseInput = z.infer<ReturnType<typeof createCaseSchema>>;

export const submitInputSchema = z.object({
  caseId: storable(),
  inputRequestId: storable().min(1, 'must not be empty').max(LIMITS.shortText),
  providedContext: text(LIMITS.providedContext),
});

export const cancelReasonSchema = storable().trim().max(LIMITS.reason).nullish();
export const idempotencyKeySchema = storable().min(1).max(LIMITS.idempotencyKey).nullish();
export const clientReferenceFilterSchema = storable().max(LIMITS.clientReferenceId).nullish();

/** Parses `value` or throws BAD_USER_INPUT listing every failing field path. */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, pathPrefix = ''): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const fields: FieldIssue[] = parsed.error.issues.map((issue) => ({
    path: [pathPrefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(input)',
    message: issue.message,
  }));
  throw badInput(fields);
}

export const isUuid = (value: string): boolean => z.uuid().safeParse(value).success;
