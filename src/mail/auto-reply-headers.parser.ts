// Minimal auto-reply detection by header (RFC 3834 Auto-Submitted other than "no", X-Autoreply, X-Autorespond,
// Precedence auto_reply|bulk|junk), so issue 21's state-machine side has something to act on. Issue 20 owns the
// full detection parser in src/mail; when both are merged, that one replaces this and this file goes.

/** Header name (any case) -> value(s), as mailparser's headers map or a plain record gives them. */
export type HeaderBag = Map<string, unknown> | Record<string, unknown>;

export function isAutoReplyHeaders(headers: HeaderBag | undefined | null): boolean {
  if (!headers) return false;
  const entries = headers instanceof Map ? [...headers.entries()] : Object.entries(headers);
  const get = (name: string): string | null => {
    const found = entries.find(([key]) => key.toLowerCase() === name);
    if (!found) return null;
    const value = found[1] as unknown;
    if (typeof value === 'string') return value.trim().toLowerCase();
    // mailparser gives structured headers as { value, params }.
    if (value && typeof value === 'object' && 'value' in value) return String(value.value).trim().toLowerCase();
    return value == null ? null : String(value).trim().toLowerCase();
  };
  const autoSubmitted = get('auto-submitted');
  if (autoSubmitted && autoSubmitted.split(';')[0]!.trim() !== 'no') return true;
  if (get('x-autoreply') !== null || get('x-autorespond') !== null) return true;
  const precedence = get('precedence');
  return precedence !== null && ['auto_reply', 'bulk', 'junk'].includes(precedence);
}
