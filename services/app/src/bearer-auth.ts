/**
 * Bearer tokens compared in constant time. Both sides are hashed first, so the comparison takes the same time
 * whatever the length of the presented token, and `timingSafeEqual` never sees buffers of different sizes.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export class BearerToken {
  private readonly digest: Buffer;

  constructor(token: string) {
    this.digest = sha256(token);
  }

  /** Whether `Authorization: Bearer <token>` (or the bare token, for a query parameter) is this token. */
  accepts(presented: string | undefined, bare = false): boolean {
    if (presented === undefined) return false;
    let token = presented;
    if (!bare) {
      const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(presented);
      if (!m) return false;
      token = m[1];
    }
    return timingSafeEqual(sha256(token), this.digest);
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
