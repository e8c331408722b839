// Attachment content types come from whoever wrote the mail. Stored and served is only what an HTTP header can carry
// and a browser will read as a type: `type/subtype` in RFC 7231 token characters, lower-cased, parameters dropped
// (a charset matters for text bodies we render, not for downloads). Anything else is no type at all.
const TOKEN = "[!#$%&'*+.^_`|~0-9a-z-]+";
const MEDIA_TYPE = new RegExp(`^(${TOKEN})/(${TOKEN})$`);

/** `type/subtype` from a Content-Type value, or null when it holds none a header could carry. */
export function safeContentType(value: string | null | undefined): string | null {
  if (!value) return null;
  const essence = value.split(';', 1)[0]!.trim().toLowerCase();
  if (essence.length > 255) return null;
  return MEDIA_TYPE.test(essence) ? essence : null;
}
