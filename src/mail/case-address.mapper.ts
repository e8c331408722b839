// Every case mails from an address of its own, so a reply finds its case by recipient alone.
const LOCAL_PART = /^case-([0-9a-f]{32})$/;

export function caseAddress(caseId: string, domain: string): string {
  return `case-${caseId.replace(/-/g, '').toLowerCase()}@${domain.toLowerCase()}`;
}

/** The case id a recipient address names, or null when it is not one of ours under `domain`. */
export function caseIdFromAddress(address: string, domain: string): string | null {
  const at = address.lastIndexOf('@');
  if (at < 0 || address.slice(at + 1).toLowerCase() !== domain.toLowerCase()) return null;
  const match = LOCAL_PART.exec(address.slice(0, at).toLowerCase());
  if (!match?.[1]) return null;
  const h = match[1];
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
