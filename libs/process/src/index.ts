/**
 * `@verdict/process`: the one child-process launcher of the repository, used by `verdict dev`,
 * the e2e harness, the services' test stacks and the benches.
 */
export { launch } from './launch';
export type { LaunchOptions } from './launch';
export { spawnProcess } from './launched-process';
export type { LaunchedProcess, SpawnOptions } from './launched-process';
export type { ProcessCommand } from './node-command';
export { DEFAULT_STOP_GRACE_MS } from './stop-child';
export type { ProcessExit, StopOptions } from './stop-child';
export { stopAll } from './stop-all';
export type { StopAllOptions } from './stop-all';
export { httpReady, httpStatus, waitReady } from './wait-ready';
export type { ReadyCheck } from './wait-ready';
export { readLines } from './read-lines';
export { freePort } from './free-port';
export { childPids, processExists } from './child-pids';
