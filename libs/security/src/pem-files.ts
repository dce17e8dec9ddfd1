import { randomBytes } from 'node:crypto';
import { chmod, rename, rm, writeFile } from 'node:fs/promises';

/** File mode of private keys: readable and writable by the owner only. */
export const PRIVATE_KEY_FILE_MODE = 0o600;
/** File mode of certificates, which are public. */
export const CERTIFICATE_FILE_MODE = 0o644;

/**
 * Writes a file through a temporary file and a rename, so a reader (a certificate watcher)
 * sees the old content or the new, never half of it. The mode is set on the temporary file,
 * so a key is never readable by others, not even for a moment.
 */
export async function writeFileAtomic(path: string, data: string, mode: number): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, data, { mode, flag: 'wx' });
    // The process umask may have narrowed the mode given to writeFile.
    await chmod(temporary, mode);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * Writes a certificate and its key: the key first (mode 0600), then the certificate (0644),
 * each atomically. A watcher that reloads when the certificate changes therefore finds the
 * matching key already in place.
 */
export async function writeCertificateFiles(
  paths: { cert: string; key: string },
  pem: { certPem: string; keyPem: string },
): Promise<void> {
  await writeFileAtomic(paths.key, pem.keyPem, PRIVATE_KEY_FILE_MODE);
  await writeFileAtomic(paths.cert, pem.certPem, CERTIFICATE_FILE_MODE);
}
