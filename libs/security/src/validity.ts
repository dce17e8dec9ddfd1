import { randomBytes } from 'node:crypto';

/** Milliseconds in a day. */
export const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * How far before "now" a new certificate's validity starts by default, so that a peer whose
 * clock runs slightly behind does not reject a certificate issued a moment ago.
 */
export const DEFAULT_BACKDATE_MS = 5 * 60 * 1000;

/** A validity window from explicit dates, or from now minus the backdate plus `validityDays`. */
export function validityWindow(
  options: { notBefore?: Date; notAfter?: Date; validityDays: number },
  now: Date = new Date(),
): { notBefore: Date; notAfter: Date } {
  const notBefore = options.notBefore ?? new Date(now.getTime() - DEFAULT_BACKDATE_MS);
  const notAfter = options.notAfter ?? new Date(now.getTime() + options.validityDays * DAY_MS);
  return { notBefore, notAfter };
}

/** A random positive 128-bit serial number in hex (RFC 5280 allows up to 20 octets). */
export function randomSerialNumber(): string {
  const bytes = randomBytes(16);
  // A set high bit would make the DER INTEGER negative; a zero first byte would make it non-minimal.
  bytes[0] = (bytes[0] & 0x7f) | 0x01;
  return bytes.toString('hex');
}
