import { readdirSync, readFileSync } from 'node:fs';

/**
 * The direct children of a process, from Linux's `/proc/<pid>/task/<tid>/children` (3.5+);
 * empty when the process is gone. For finding what a launched process started itself (the
 * services of `verdict dev`, nginx's workers).
 */
export function childPids(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  return tasks.flatMap((tid) => {
    let children: string;
    try {
      children = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8');
    } catch {
      return [];
    }
    return children
      .trim()
      .split(' ')
      .filter((entry) => entry !== '')
      .map(Number);
  });
}

/** Whether a process with this id exists (signal 0 checks without sending anything). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
