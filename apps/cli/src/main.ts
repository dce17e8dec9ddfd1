import { readCliEnvironment } from './environment/cli-environment';
import { runCli } from './program/run-cli';

// The only place the process's arguments, environment and exit code are touched.
runCli(process.argv.slice(2), {
  environment: readCliEnvironment(),
  out: process.stdout,
  err: process.stderr,
}).then(
  (exitCode) => process.exit(exitCode),
  (error: unknown) => {
    process.stderr.write(`verdict: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
