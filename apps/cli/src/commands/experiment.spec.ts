import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { create } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { experimentsV1 } from '@verdict/proto';
import {
  startFakeAnalyzerService,
  type FakeAnalyzer,
  type FakeAnalyzerService,
} from '../testing/fake-analyzer';
import { experimentCommand, type ExperimentFlags } from './experiment';

/**
 * The CLI against an in-process ExperimentService (a small fake, see testing/fake-analyzer.ts)
 * served over mutual TLS by the kit: what the CLI sends, how it prints, and its exit codes.
 */
describe('verdict experiment (against an in-process ExperimentService)', () => {
  let analyzer: FakeAnalyzerService;
  let pkiDir: string;
  let address: string;
  let fake: FakeAnalyzer;

  beforeAll(async () => {
    analyzer = await startFakeAnalyzerService();
    ({ pkiDir, address, fake } = analyzer);
  }, 30_000);

  afterAll(() => analyzer?.stop(), 20_000);

  async function cli(args: string[], flags: ExperimentFlags = {}) {
    const out = new PassThrough();
    const err = new PassThrough();
    let stdout = '';
    let stderr = '';
    out.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    err.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const { exitCode } = await experimentCommand(
      args,
      { address, pki: pkiDir, ...flags },
      { out, err },
    );
    return { exitCode, stdout, stderr, json: () => JSON.parse(stdout) };
  }

  const callsOf = (method: string) => fake.calls.filter((c) => c.method === method);

  const demoFlags: ExperimentFlags = {
    name: 'spam-v2',
    team: 'ml',
    model: 'spam',
    variant: ['control=1:50', 'treatment=2:50'],
    metric: 'correct',
    guardrail: ['error_rate', 'latency:p99=0.25'],
    method: 'sequential',
    interval: '30s',
    'auto-apply': true,
  };

  it('creates from flags: variants, roles, metric, guardrails and policy as sent', async () => {
    const created = await cli(['create'], demoFlags);
    expect(created.stderr).toBe('');
    expect(created.exitCode).toBe(0);
    expect(created.stdout).toMatch(
      /^created experiment exp-\d+ \(spam-v2 on spam, ab\): draft; control v1 50\.0% \| treatment v2 50\.0%\n$/,
    );
    const sent = (
      callsOf('CreateExperiment').at(-1)!.request as experimentsV1.CreateExperimentRequest
    ).experiment!;
    expect(sent).toMatchObject({
      name: 'spam-v2',
      team: 'ml',
      model: 'spam',
      kind: experimentsV1.ExperimentKind.AB,
      variants: [
        {
          name: 'control',
          target: { case: 'version', value: 1n },
          pool: 'default',
          weight: 50,
          role: experimentsV1.VariantRole.CONTROL,
        },
        {
          name: 'treatment',
          target: { case: 'version', value: 2n },
          weight: 50,
          role: experimentsV1.VariantRole.TREATMENT,
        },
      ],
      primaryMetric: {
        name: 'correct',
        type: experimentsV1.MetricType.BINARY,
        direction: experimentsV1.MetricDirection.HIGHER_IS_BETTER,
      },
      guardrails: [
        {
          metric: { name: 'error_rate', type: experimentsV1.MetricType.BINARY },
          maxDegradation: 0.01,
          relative: false,
        },
        {
          metric: { name: 'latency', type: experimentsV1.MetricType.LATENCY, percentile: 99 },
          maxDegradation: 0.25,
          relative: true,
        },
      ],
      policy: {
        interval: { seconds: 30n },
        method: experimentsV1.DecisionMethod.SEQUENTIAL,
        alpha: 0.05,
        autoApply: true,
      },
    });
  });

  it('creates from a YAML file of the Experiment message and prints proto JSON with --json', async () => {
    const file = join(analyzer.dir, 'exp.yaml');
    await writeFile(
      file,
      `name: canary-1
team: ml
model: spam
kind: EXPERIMENT_KIND_CANARY
variants:
  - { name: stable, alias: production, pool: default, weight: 95, role: VARIANT_ROLE_CONTROL }
  - { name: candidate, version: "2", pool: default, weight: 5, role: VARIANT_ROLE_TREATMENT }
policy: { interval: 10s, canaryStep: 0.1, canaryMaxWeight: 0.5, method: DECISION_METHOD_BAYESIAN }
`,
    );
    const created = await cli(['create'], { file, json: true });
    expect(created.exitCode).toBe(0);
    expect(created.json().experiment).toMatchObject({
      name: 'canary-1',
      kind: 'EXPERIMENT_KIND_CANARY',
      state: 'EXPERIMENT_STATE_DRAFT',
      variants: [
        { name: 'stable', alias: 'production', weight: 95 },
        { name: 'candidate', version: '2', weight: 5 },
      ],
      policy: { interval: '10s', canaryStep: 0.1, method: 'DECISION_METHOD_BAYESIAN' },
    });
  });

  it('refuses bad definitions with exit 2 naming the flag or field, and sends nothing', async () => {
    const before = callsOf('CreateExperiment').length;
    const file = join(analyzer.dir, 'bad.yaml');
    await writeFile(file, 'name: x\nkind: EXPERIMENT_KIND_SOMETIMES\n');
    const badFile = await cli(['create'], { file });
    expect(badFile.exitCode).toBe(2);
    expect(badFile.stderr).toContain(
      `${file}: kind: cannot decode enum verdict.experiments.v1.ExperimentKind from JSON: "EXPERIMENT_KIND_SOMETIMES"`,
    );

    const mixed = await cli(['create'], { file, name: 'y' });
    expect(mixed).toMatchObject({ exitCode: 2 });
    expect(mixed.stderr).toContain('leave out --name');

    const badVariant = await cli(['create'], { ...demoFlags, variant: ['control=one', 'b=2'] });
    expect(badVariant.exitCode).toBe(2);
    expect(badVariant.stderr).toContain(
      '--variant: expected NAME=VERSION[:WEIGHT] or NAME=@ALIAS[:WEIGHT] (e.g. control=1:50), got "control=one"',
    );
    const oneVariant = await cli(['create'], { ...demoFlags, variant: ['control=1'] });
    expect(oneVariant.stderr).toContain('--variant: expected at least two');
    const badMethod = await cli(['create'], { ...demoFlags, method: 'vibes' });
    expect(badMethod.stderr).toContain(
      '--method: expected one of fixed, sequential, bayesian, got "vibes"',
    );
    const badControl = await cli(['create'], { ...demoFlags, control: 'nobody' });
    expect(badControl.stderr).toContain('--control: expected one of the variant names');
    const noModel = await cli(['create'], { ...demoFlags, model: undefined });
    expect(noModel.stderr).toContain('--model: required');
    expect(callsOf('CreateExperiment')).toHaveLength(before);
  });

  it('starts, pauses, lists across pages with filters, and shows decisions', async () => {
    const { json } = await cli(['create'], { ...demoFlags, name: 'lifecycle', json: true });
    const id: string = json().experiment.id;
    const started = await cli(['start', id], { reason: 'go' });
    expect(started.stdout).toMatch(
      new RegExp(`^experiment ${id} \\(lifecycle on spam, ab\\): running;`),
    );
    expect(callsOf('StartExperiment').at(-1)!.request).toMatchObject({ id, reason: 'go' });

    const running = await cli(['list'], { state: 'running', json: true });
    expect(running.json().experiments.map((e: { id: string }) => e.id)).toEqual([id]);

    const paused = await cli(['pause', id]);
    expect(paused.stdout).toContain(': paused;');
    // Pages of one: every experiment comes back through next_page_token.
    const all = await cli(['list'], { model: 'spam' });
    expect(all.exitCode).toBe(0);
    expect(all.stdout.split('\n')[0]).toMatch(
      /^ID\s+NAME\s+MODEL\s+KIND\s+STATE\s+VARIANTS\s+CREATED$/,
    );
    expect(all.stdout).toMatch(
      new RegExp(`${id}\\s+lifecycle\\s+spam\\s+ab\\s+paused\\s+control v1 50\\.0%`),
    );
    expect(all.stdout.trim().split('\n').length).toBe(fake.experiments.size + 1);

    const badState = await cli(['list'], { state: 'sleeping' });
    expect(badState).toMatchObject({ exitCode: 2 });
    expect(badState.stderr).toContain(
      '--state: expected one of draft, running, paused, stopped, concluded',
    );

    const again = await cli(['pause', id]);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toMatch(
      /^verdict experiment pause: experiment '.*' is PAUSED, expected one of RUNNING \(FAILED_PRECONDITION\)\n$/,
    );
  });

  it('promotes the only treatment (ConcludeExperiment with promote) and shows the decision', async () => {
    const { json } = await cli(['create'], { ...demoFlags, name: 'promote', json: true });
    const id: string = json().experiment.id;
    await cli(['start', id]);
    const promoted = await cli(['promote', id], { alias: 'production' });
    expect(promoted.exitCode).toBe(0);
    expect(callsOf('ConcludeExperiment').at(-1)!.request).toMatchObject({
      id,
      winner: 'treatment',
      promote: true,
      alias: 'production',
    });
    expect(promoted.stdout).toContain(': concluded;');
    expect(promoted.stdout).toMatch(/decision dec-\d+: promote treatment \(routing table 7\)/);

    const shown = await cli(['show', id]);
    expect(shown.stdout).toMatch(/^FIELD\s+VALUE\n/);
    expect(shown.stdout).toMatch(/winner\s+treatment/);
    expect(shown.stdout).toMatch(
      /policy\s+sequential alpha 0\.05, every 30s, min n 100, min -, max -, auto-apply on/,
    );
    expect(shown.stdout).toMatch(/primary metric\s+correct \(binary, higher-is-better\)/);
    expect(shown.stdout).toMatch(/treatment\s+treatment\s+v2\s+default\s+50\s+50\.0%/);
    expect(shown.stdout).toMatch(
      /promote\s+treatment\s+yes\s+developer\s+promoted treatment by hand/,
    );
    const shownJson = await cli(['show', id], { json: true });
    expect(shownJson.json()).toMatchObject({
      experiment: { id, winner: 'treatment' },
      decisions: [{ action: 'DECISION_ACTION_PROMOTE', variant: 'treatment' }],
    });
  });

  it('rolls back to the control with a reason; without one it refuses with exit 2', async () => {
    const { json } = await cli(['create'], { ...demoFlags, name: 'rollback', json: true });
    const id: string = json().experiment.id;
    await cli(['start', id]);
    const noReason = await cli(['rollback', id]);
    expect(noReason).toMatchObject({ exitCode: 2 });
    expect(noReason.stderr).toContain('--reason: required');
    const rolled = await cli(['rollback', id], { reason: 'p99 too high', json: true });
    expect(rolled.exitCode).toBe(0);
    expect(callsOf('ConcludeExperiment').at(-1)!.request).toMatchObject({
      id,
      winner: 'control',
      promote: false,
      reason: 'p99 too high',
    });
    expect(rolled.json().decision).toMatchObject({ action: 'DECISION_ACTION_ROLLBACK' });
  });

  it('prints results per variant and metric with lift, CI, p, chance to beat, SRM and shadows', async () => {
    const { json } = await cli(['create'], { ...demoFlags, name: 'results', json: true });
    const id: string = json().experiment.id;
    fake.results.set(
      id,
      create(experimentsV1.ResultsSchema, {
        experimentId: id,
        experimentVersion: 3n,
        computeTime: timestampNow(),
        method: experimentsV1.DecisionMethod.SEQUENTIAL,
        alpha: 0.05,
        variants: [
          {
            variant: 'control',
            units: 5012n,
            requests: 9000n,
            expectedShare: 0.5,
            observedShare: 0.5012,
            metrics: [
              { metric: 'correct', n: 4000n, mean: 0.91, ci: { lower: 0.901, upper: 0.919 } },
            ],
          },
          {
            variant: 'treatment',
            units: 4988n,
            requests: 8950n,
            expectedShare: 0.5,
            observedShare: 0.4988,
            metrics: [
              {
                metric: 'correct',
                n: 3990n,
                mean: 0.95,
                ci: { lower: 0.943, upper: 0.957 },
                lift: 0.044,
                liftCi: { lower: 0.031, upper: 0.057 },
                pValue: 0.00001,
                chanceToBeatControl: 0.9999,
                significant: true,
              },
            ],
          },
        ],
        srm: { chiSquare: 0.0576, pValue: 0.81, mismatch: false },
        shadows: [
          {
            variant: 'shadow',
            comparisons: 120n,
            agreementRate: 0.975,
            agreementCi: { lower: 0.93, upper: 0.99 },
            meanAbsDiff: 0.012,
            maxAbsDiff: 0.2,
            meanLatencyDiffUs: 340,
            shadowErrorRate: 0,
          },
        ],
      }),
    );
    const shown = await cli(['results', id], { since: '2026-01-01T00:00:00Z' });
    expect(shown.exitCode).toBe(0);
    const lines = shown.stdout.split('\n');
    expect(lines[0]).toMatch(
      new RegExp(`^experiment ${id} \\(version 3\\), sequential at alpha 0\\.05`),
    );
    expect(shown.stdout).toMatch(/control\s+5012\s+9000\s+50\.0%\s+50\.1%/);
    expect(shown.stdout).toMatch(
      /VARIANT\s+METRIC\s+N\s+MEAN\s+CI\s+LIFT\s+LIFT CI\s+P\s+P\(BEAT CONTROL\)\s+SIGNIFICANT/,
    );
    expect(shown.stdout).toMatch(
      /control\s+correct\s+4000\s+0\.91\s+\[0\.901, 0\.919\]\s+-\s+-\s+-\s+-\s+-/,
    );
    expect(shown.stdout).toMatch(
      /treatment\s+correct\s+3990\s+0\.95\s+\[0\.943, 0\.957\]\s+\+4\.40%\s+\[\+3\.10%, \+5\.70%\]\s+<0\.0001\s+100\.0%\s+yes/,
    );
    expect(shown.stdout).toContain('SRM: chi2 0.0576, p 0.8100, ok');
    expect(shown.stdout).toMatch(/shadow\s+120\s+97\.5%\s+\[0\.93, 0\.99\]\s+0\.012\s+0\.2\s+340/);
    const request = callsOf('GetResults').at(-1)!.request as experimentsV1.GetResultsRequest;
    expect(request.startTime?.seconds).toBe(BigInt(Date.parse('2026-01-01T00:00:00Z') / 1000));
    expect(request.endTime).toBeUndefined();

    const asJson = await cli(['results', id], { json: true });
    expect(asJson.json().results).toMatchObject({
      experimentId: id,
      srm: { mismatch: false },
      variants: [
        { variant: 'control' },
        { variant: 'treatment', metrics: [{ significant: true }] },
      ],
    });
    const badTime = await cli(['results', id], { until: 'yesterday' });
    expect(badTime).toMatchObject({ exitCode: 2 });
    expect(badTime.stderr).toContain('--until: expected an ISO 8601 time');
  });

  it('reports the analyzer refusal with its status name and exit 1; usage errors exit 2', async () => {
    const missing = await cli(['show', 'exp-nope']);
    expect(missing).toMatchObject({
      exitCode: 1,
      stderr: "verdict experiment show: experiment 'exp-nope' not found (NOT_FOUND)\n",
    });
    expect(await cli(['show'])).toMatchObject({ exitCode: 2 });
    expect(await cli(['frobnicate'])).toMatchObject({ exitCode: 2 });
    const help = await cli([], { help: true });
    expect(help).toMatchObject({ exitCode: 0 });
    expect(help.stdout).toContain(
      'verdict experiment create|list|show|start|pause|promote|rollback|results',
    );
  });

  it('exits 1 naming the address when no analyzer listens', async () => {
    const out = new PassThrough();
    const err = new PassThrough();
    let stderr = '';
    err.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const { exitCode } = await experimentCommand(
      ['list'],
      { address: '127.0.0.1:1', pki: pkiDir },
      { out, err },
    );
    expect(exitCode).toBe(1);
    expect(stderr).toMatch(
      /^verdict experiment list: .*\(UNAVAILABLE\): is the service running\? [^\n]*\n$/,
    );
  });
});
