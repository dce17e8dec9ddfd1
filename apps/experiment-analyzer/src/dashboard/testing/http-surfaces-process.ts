/**
 * A child process holding the analyzer's two HTTP surfaces as they really run: the dashboard
 * (HTTPS with the dev PKI, a bearer token, a recorded experiment) and the ops server
 * (`/metrics`, `/healthz`, `/readyz`). It prints one JSON line
 * `{"dashboard": url, "ops": url, "token": token}` once both listen, and runs until killed.
 * It installs no process-wide rejection guard, so a request that makes a handler's promise
 * reject unhandled ends this process as it would have ended the analyzer.
 *
 * Run with `node --import tsx <this file> <pki dir>`, from the package folder (its tsconfig maps
 * `@verdict/*` to the sources).
 */
import { initDevPki } from '@verdict/security';
import { createLogger, createMetricsRegistry, startOpsServer } from '@verdict/telemetry';
import { startDashboard } from '../server';
import { recordExperiment } from './recorded-experiment';

/** The token the fixture's dashboard accepts. */
export const FIXTURE_TOKEN = 'fuzz-token';

async function main(pkiDir: string): Promise<void> {
  const logger = createLogger({ service: 'http-surfaces', level: 'silent' });
  const pki = await initDevPki({ dir: pkiDir });
  const recorded = await recordExperiment({ logger, requests: 400 });
  const server = pki.services['experiment-analyzer'];
  const dashboard = await startDashboard({
    port: 0,
    tls: { cert: server.cert, key: server.key, ca: pki.caCert },
    tokens: [FIXTURE_TOKEN],
    source: recorded.source,
    logger,
    timeseries: { minStepMs: recorded.windowMs },
  });
  const ops = await startOpsServer({
    port: 0,
    registry: createMetricsRegistry({ service: 'http-surfaces' }),
    readiness: () => true,
    logger,
  });
  process.stdout.write(
    `${JSON.stringify({ dashboard: dashboard.url, ops: ops.url, token: FIXTURE_TOKEN })}\n`,
  );
}

if (require.main === module) {
  const pkiDir = process.argv[2];
  if (pkiDir === undefined) {
    process.stderr.write('usage: http-surfaces-process <pki dir>\n');
    process.exit(2);
  }
  main(pkiDir).catch((error: unknown) => {
    process.stderr.write(`http-surfaces-process failed to start: ${String(error)}\n`);
    process.exit(1);
  });
}
