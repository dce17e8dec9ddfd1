import { X509Certificate } from 'node:crypto';
import { UnauthenticatedError, isVerdictError } from '@verdict/errors';
import { parseSpiffeId } from './spiffe';
import { parseSubjectAltNames } from './subject-alt-name';

/**
 * The SPIFFE ID a certificate carries as its URI SAN, validated, or `undefined` when it
 * carries none. Accepts DER (as grpc-js's `sslPeerCertificate.raw`), PEM, or a parsed
 * certificate.
 *
 * @throws UnauthenticatedError when the certificate cannot be parsed, carries more than one
 *   `spiffe:` URI SAN (the X.509-SVID spec allows exactly one), or an invalid SPIFFE ID
 */
export function spiffeIdFromCertificate(
  certificate: Buffer | Uint8Array | string | X509Certificate,
): string | undefined {
  const parsed = parseCertificate(certificate);
  let entries;
  try {
    entries = parseSubjectAltNames(parsed.subjectAltName);
  } catch (error) {
    throw new UnauthenticatedError('peer certificate has an unreadable subjectAltName', {
      cause: error,
    });
  }
  // Matched case-insensitively so that `SPIFFE://...` cannot slip past the one-ID rule; it is
  // then rejected by the (case-sensitive) ID validation.
  const ids = entries
    .filter((entry) => entry.type === 'URI' && /^spiffe:/i.test(entry.value))
    .map((entry) => entry.value);
  if (ids.length === 0) {
    return undefined;
  }
  if (ids.length > 1) {
    throw new UnauthenticatedError(
      `peer certificate carries ${ids.length} SPIFFE IDs (${ids.join(', ')}); an X.509-SVID carries exactly one`,
    );
  }
  try {
    return parseSpiffeId(ids[0], 'certificate URI SAN').id;
  } catch (error) {
    throw new UnauthenticatedError(
      `peer certificate carries an invalid SPIFFE ID: ${isVerdictError(error) ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

function parseCertificate(
  certificate: Buffer | Uint8Array | string | X509Certificate,
): X509Certificate {
  if (certificate instanceof X509Certificate) {
    return certificate;
  }
  try {
    return new X509Certificate(
      typeof certificate === 'string' ? certificate : Buffer.from(certificate),
    );
  } catch (error) {
    throw new UnauthenticatedError('peer certificate could not be parsed', { cause: error });
  }
}
