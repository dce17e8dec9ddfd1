import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { create } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { experimentsV1 } from '@verdict/proto';
import {
  startAnalyzerFixture,
  type AnalyzerFixture,
} from '../../../experiment-analyzer/src/testing/analyzer-fixture';
import { experimentCommand, type ExperimentFlags } from './experiment';
import { routesCommand } from './routes';

/**
 * The CLI against the real experiment-analyzer (its service wiring with the statistics modules,
 * in this process, over mutual TLS, with the embedded store): no fake in between.
 */
describe('verdict experiment and routes show against the real analyzer', () => {
  let fixture: AnalyzerFixture;
  let dir: string;
  let pkiDir: string;

  beforeAll(async () => {
    fixture = await startAnalyzerFixture();
    dir = await mkdtemp(join(tmpdir(), 'verdict-cli-analyzer-'));
    pkiDir = join(dir, 'pki');
    const client = fixture.pki.client('tester') as {
      caFile: string;
      certFile: string;
      keyFile: string;
    };
    await mkdir(pkiDir);
    await copyFile(client.caFile, join(pkiDir, 'ca.pem'));
    await copyFile(client.certFile, join(pkiDir, 'developer.pem'));
    await copyFile(client.keyFile, join(pkiDir, 'developer.key'));
  }, 30_000);

  afterAll(async () => {
    await fixture?.stop();
    await rm(dir, { recursive: true, force: true });
  }, 20_000);

  const capture = () => {
    const out = new PassThrough();
    const err = new PassThrough();
    const text = { stdout: '', stderr: '' };
    out.on('data', (chunk: Buffer) => (text.stdout += chunk.toString()));
    err.on('data', (chunk: Buffer) => (text.stderr += chunk.toString()));
    return { io: { out, err }, text };
  };

  async function cli(args: string[], flags: ExperimentFlags = {}) {
    const { io, text } = capture();
    const { exitCode } = await experimentCommand(
      args,
      { address: fixture.address, pki: pkiDir, ...flags },
      io,
    );
    return { exitCode, ...text, json: () => JSON.parse(text.stdout) };
  }

  const flags: ExperimentFlags = {
    name: 'cli-real',
    team: 'team-a',
    model: 'spam',
    variant: ['control=1:50', 'treatment=2:50'],
    metric: 'correct',
    guardrail: ['error_rate'],
    method: 'sequential',
  };

  it('creates, starts, reads results and the routing table, pauses, refuses a promote without registry, rolls back', async () => {
    const created = await cli(['create'], { ...flags, json: true });
    expect(created.stderr).toBe('');
    expect(created.exitCode).toBe(0);
    const id: string = created.json().experiment.id;
    expect(created.json().experiment).toMatchObject({
      name: 'cli-real',
      state: 'EXPERIMENT_STATE_DRAFT',
      variants: [
        { name: 'control', version: '1', role: 'VARIANT_ROLE_CONTROL' },
        { name: 'treatment', version: '2', role: 'VARIANT_ROLE_TREATMENT' },
      ],
    });

    const started = await cli(['start', id], { reason: 'cli test' });
    expect(started.stdout).toMatch(
      new RegExp(`^experiment ${id} \\(cli-real on spam, ab\\): running;`),
    );
    const listed = await cli(['list'], { model: 'spam', state: 'running' });
    expect(listed.stdout).toMatch(new RegExp(`${id}\\s+cli-real\\s+spam\\s+ab\\s+running`));

    // The routing table the analyzer built for it, with the configured 50/50 from its buckets.
    const routes = capture();
    const shown = await routesCommand(
      ['show'],
      { address: fixture.address, pki: pkiDir, metrics: '127.0.0.1:9', json: true },
      routes.io,
    );
    expect(shown.exitCode).toBe(0);
    const rows = JSON.parse(routes.text.stdout).routes as { experiment: string }[];
    expect(rows.filter((r) => r.experiment === id)).toEqual([
      expect.objectContaining({ variant: 'control', target: 'v1', configuredShare: 0.5 }),
      expect.objectContaining({ variant: 'treatment', target: 'v2', configuredShare: 0.5 }),
    ]);

    // Exposures and outcomes as routers and clients send them, then the results table.
    const ingest = fixture.ingest();
    const units = Array.from({ length: 200 }, (_, i) => `u${i}`);
    const variantOf = (i: number) => (i % 2 === 0 ? 'control' : 'treatment');
    await ingest.recordExposures({
      events: units.map((unit, i) =>
        create(experimentsV1.ExposureEventSchema, {
          eventId: `e-${unit}`,
          experimentId: id,
          variant: variantOf(i),
          unitId: unit,
          requestId: `r-${unit}`,
          model: 'spam',
          modelVersion: variantOf(i) === 'control' ? '1' : '2',
          time: timestampNow(),
          latencyUs: 1500n,
          statusCode: 0,
        }),
      ),
    });
    const outcomes = await ingest.recordOutcomes({
      outcomes: units.map((unit, i) =>
        create(experimentsV1.OutcomeSchema, {
          eventId: `o-${unit}`,
          subject: { case: 'requestId', value: `r-${unit}` },
          metric: 'correct',
          // control right 80 times in 100, treatment 90
          value: Math.floor(i / 2) % 10 < (variantOf(i) === 'control' ? 8 : 9) ? 1 : 0,
          time: timestampNow(),
        }),
      ),
    });
    expect(outcomes.acceptedCount).toBe(200n);
    const results = await cli(['results', id]);
    expect(results.exitCode).toBe(0);
    expect(results.stdout).toMatch(/control\s+100\s+100\s+50\.0%\s+50\.0%/);
    expect(results.stdout).toMatch(/control\s+correct\s+100\s+0\.8\s/);
    // Sequential method: the analyzer computes no chance to beat control, shown as "-" not 0%.
    expect(results.stdout).toMatch(
      /treatment\s+correct\s+100\s+0\.9\s+\[[^\]]+\]\s+\+12\.50%\s+\[[^\]]+\]\s+[0-9.<]+\s+-\s+(yes|no)/,
    );
    expect(results.stdout).toMatch(/SRM: chi2 0, p 1\.0000, ok/);
    const resultsJson = await cli(['results', id], { json: true });
    expect(resultsJson.json().results.variants.map((v: { variant: string }) => v.variant)).toEqual([
      'control',
      'treatment',
    ]);

    expect((await cli(['pause', id])).stdout).toContain(': paused;');
    expect((await cli(['start', id])).stdout).toContain(': running;');

    const promote = await cli(['promote', id]);
    expect(promote).toMatchObject({
      exitCode: 1,
      stderr:
        'verdict experiment promote: cannot promote: no model registry configured (VERDICT_REGISTRY_ADDRESS) (FAILED_PRECONDITION)\n',
    });

    const rolled = await cli(['rollback', id], { reason: 'cli test rollback' });
    expect(rolled.stderr).toBe('');
    expect(rolled.stdout).toMatch(new RegExp(`^experiment ${id} .*: concluded;`));
    const shownAfter = await cli(['show', id]);
    expect(shownAfter.stdout).toMatch(/winner\s+control/);
    expect(shownAfter.stdout).toMatch(/cli test rollback/);
  });

  it('passes the analyzer refusal of an invalid definition through with exit 1', async () => {
    const file = join(dir, 'one-variant.yaml');
    await writeFile(
      file,
      'name: lonely\nteam: team-a\nmodel: spam\nkind: EXPERIMENT_KIND_AB\nvariants:\n  - { name: only, version: "1", pool: default, weight: 1, role: VARIANT_ROLE_CONTROL }\n',
    );
    const refused = await cli(['create'], { file });
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(
      /^verdict experiment create: .*variants.*\(INVALID_ARGUMENT\)\n$/,
    );
    const missing = await cli(['results', 'exp-does-not-exist']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toMatch(/\(NOT_FOUND\)\n$/);
  });
});
