import { open, readFile, rm } from 'node:fs/promises';
import { FailedPreconditionError } from '@verdict/errors';

/**
 * An advisory lock file (`<log>.lock`, holding the owner's pid) that keeps two stores, in this
 * process or another, from appending to the same log. A lock left by a process that no longer
 * runs (after a crash) is taken over.
 * @returns a function that releases the lock.
 */
export async function acquireFileLock(
  lockPath: string,
  resource: string,
): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockPath, 'wx');
      try {
        await handle.writeFile(String(process.pid));
      } finally {
        await handle.close();
      }
      return () => rm(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw error;
      }
    }
    const holder = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
    if (Number.isSafeInteger(holder) && holder > 0 && isRunning(holder)) {
      throw new FailedPreconditionError(
        `${resource} is in use by process ${holder}${holder === process.pid ? ' (this one)' : ''}; ` +
          `close that store first (lock file ${lockPath})`,
      );
    }
    await rm(lockPath, { force: true });
  }
  throw new FailedPreconditionError(
    `${resource}: another process took the lock ${lockPath} while this one opened it`,
  );
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
