// Signed, expiring download links for attachments whose bytes we keep. The signature binds the attachment, its
// case and the expiry, so a link can neither be extended nor pointed at another file.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { settingOrInitial } from '../../persistence/settings.repository';
import type { Database } from '../../persistence/transaction.types';

export interface AttachmentLink {
  url: string;
  expiresAt: Date;
}

export class AttachmentLinks {
  constructor(
    private readonly secret: string,
    /** Read at minting time: with PORT=0 the address is known only once the server listens. */
    private readonly publicUrl: () => string,
    private readonly ttlSeconds: number,
    private readonly clock: () => Date,
  ) {}

  mint(caseId: string, attachmentId: string): AttachmentLink {
    const expiresAt = new Date(this.clock().getTime() + this.ttlSeconds * 1000);
    const expires = Math.floor(expiresAt.getTime() / 1000);
    const sig = this.sign(caseId, attachmentId, expires);
    const url = `${this.publicUrl()}/attachments/${caseId}/${attachmentId}?expires=${expires}&sig=${sig}`;
    return { url, expiresAt: new Date(expires * 1000) };
  }

  /** True when the link was minted here for this attachment and has not expired. */
  verify(caseId: string, attachmentId: string, expires: string, sig: string): boolean {
    const at = Number(expires);
    if (!Number.isInteger(at) || at * 1000 < this.clock().getTime()) return false;
    const expected = Buffer.from(this.sign(caseId, attachmentId, at));
    const given = Buffer.from(sig);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  private sign(caseId: string, attachmentId: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`${caseId}.${attachmentId}.${expires}`).digest('base64url');
  }
}

/** The deployment's signing secret: SIGNING_SECRET when set, else one generated once and kept in the database. */
export async function loadSigningSecret(db: Database, configured: string | undefined): Promise<string> {
  if (configured) return configured;
  // Every process of the deployment must sign alike: the first to start stores the secret, the others read it.
  return settingOrInitial(db.manager, 'signing_secret', randomBytes(32).toString('base64url'));
}
