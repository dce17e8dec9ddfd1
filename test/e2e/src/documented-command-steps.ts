/**
 * How the documented-commands test runs each command the docs show. Every command in a shell
 * code block of README.md or docs/*.md must be covered by a step here or listed as not runnable
 * with the reason; the test fails on one that is neither, and on an entry the docs no longer have.
 */

/** One command line the test runs, in this order, from the repository root and from elsewhere. */
export interface Step {
  /** The documented command this step runs (as `documentedCommands` extracts it). */
  readonly covers: string;
  /**
   * The shell line run for it: the documented one, or, for a synopsis with placeholders, a
   * concrete instance. `{name}` is filled from earlier captures and from the test (`{repo}`,
   * `{demo}`: the seeded experiment, `{tag}`: `root` or `elsewhere`). A leading `verdict` or
   * `npx verdict` runs the linked bin (`npx --prefix {repo} verdict` away from the root), a
   * leading `npm run` the root's script.
   */
  readonly run: string;
  /** Remembers the first experiment id the step prints under this name. */
  readonly captures?: string;
  /** Files written into the working directory before the step (placeholders filled), removed after. */
  readonly files?: Readonly<Record<string, string>>;
  /** Files the step writes into the working directory, removed after the run. */
  readonly leaves?: readonly string[];
}

/** Whole families of commands the test does not run: the first pattern that matches gives the reason. */
export const NOT_RUNNABLE_KINDS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^docker /, 'needs Docker, which the test machine does not have'],
  [/^kubectl /, 'needs a Kubernetes cluster, which the test machine does not have'],
];

/** Documented commands the test does not run, and why. */
export const NOT_RUNNABLE: Readonly<Record<string, string>> = {
  'npm install && npm start':
    'the test runs its `verdict dev` through the e2e harness on free ports (npm start would take the default ports of a developer’s own stack); `npx verdict` working afterwards is what the steps check',
  'npm test': 'runs every suite, this one included',
  'npx nx run-many -t build': 'the e2e test target already depends on every build (nx ^build)',
  'npx nx affected -t test --base=main': 'runs test suites, this one included',
  'npm run lint && npm run typecheck': 'CI runs both (.ci/run); minutes of CPU, no stack involved',
  'npm run generate -w @verdict/proto':
    'rewrites libs/proto/src/gen; the generated code has its own freshness check',
  'bash .ci/run': 'is CI itself, this test included',
  'cd apps/experiment-analyzer && VERDICT_UPDATE_SCREENSHOT=1 npx jest src/dashboard/dashboard.browser.spec.ts':
    "runs the dashboard's browser test suite to retake the screenshot; that suite runs in npm test",
  'curl --cacert .verdict/pki/ca.pem --cert .verdict/pki/developer.pem --key .verdict/pki/developer.key https://127.0.0.1:<port>/api/experiments':
    "needs the dashboard's port and token, which `verdict dev` prints only on the default ports; the dashboard's own tests call /api/experiments",
  'openssl pkcs12 -export -in .verdict/pki/developer.pem -inkey .verdict/pki/developer.key -out developer.p12 -name verdict-developer':
    'OpenSSL packing the certificate for a browser, asks for a password interactively; nothing of Verdict runs',
  'npm run build && npx tsx deploy/k8s/generate.ts && npx prettier --write deploy/k8s':
    'rewrites the committed manifests in deploy/k8s; test/e2e/src/deploy.spec.ts checks them against the code',
};

const EXPERIMENT_YAML = `name: docs-file-{tag}
team: demo
model: spam
kind: EXPERIMENT_KIND_AB
unitType: user
primaryMetric: { name: correct, type: METRIC_TYPE_BINARY, direction: METRIC_DIRECTION_HIGHER_IS_BETTER }
policy: { interval: 60s, method: DECISION_METHOD_SEQUENTIAL, alpha: 0.05, srmAlpha: 0.001, minSampleSize: 100 }
variants:
  - { name: control, version: "1", pool: default, weight: 50, role: VARIANT_ROLE_CONTROL }
  - { name: treatment, version: "2", pool: default, weight: 50, role: VARIANT_ROLE_TREATMENT }
`;

const CREATE_SYNOPSIS =
  'verdict experiment create --name NAME --team TEAM --model MODEL --variant control=1:50 --variant treatment=2:50 [--control NAME] [--pool default] [--kind ab|canary|blue-green|shadow|bandit] --metric correct [--metric-type binary|continuous] [--guardrail error_rate=0.01] [--guardrail latency:p99=0.2] [--method sequential|fixed|bayesian] [--alpha 0.05] [--interval 60s] [--min-sample-size 100] [--min-duration 1h] [--max-duration 14d] [--auto-apply] [--unit-type user] [--description TEXT] [--shadow mirror=2:0.1] [--canary-step 0.1 --canary-max-weight 0.5]';

/** The runnable commands, in the order they run (the demo last: it stops the other experiments). */
export const STEPS: readonly Step[] = [
  { covers: 'npx verdict --help', run: 'npx verdict --help' },
  {
    covers: 'npx --prefix ~/src/verdict verdict health',
    run: 'npx --prefix {repo} verdict health',
  },
  { covers: 'npx verdict health', run: 'npx verdict health' },
  { covers: 'verdict health', run: 'verdict health' },
  { covers: 'verdict model list', run: 'verdict model list' },
  { covers: 'verdict model versions spam', run: 'verdict model versions spam' },
  {
    covers: 'verdict drift status --model spam --version 1',
    run: 'verdict drift status --model spam --version 1',
  },
  { covers: 'verdict audit verify', run: 'verdict audit verify' },
  {
    covers: 'npx verdict infer --model spam --unit alice --text "WIN a FREE prize, click now"',
    run: 'npx verdict infer --model spam --unit alice --text "WIN a FREE prize, click now"',
  },
  { covers: 'npx verdict routes show', run: 'npx verdict routes show' },
  {
    covers:
      'verdict routes show [--address 127.0.0.1:50054] [--metrics 127.0.0.1:9101] [--file table.yaml] [--json]',
    run: 'verdict routes show --json',
  },
  { covers: 'npx verdict experiment list', run: 'npx verdict experiment list' },
  {
    covers: 'verdict experiment create --file exp.yaml',
    run: 'verdict experiment create --file exp.yaml',
    files: { 'exp.yaml': EXPERIMENT_YAML },
    captures: 'fromFile',
  },
  {
    covers: CREATE_SYNOPSIS,
    run: 'verdict experiment create --name docs-flags-{tag} --team demo --model spam --variant control=1:50 --variant treatment=2:50 --metric correct --guardrail error_rate=0.01 --guardrail latency:p99=0.2 --interval 60s',
    captures: 'fromFlags',
  },
  {
    covers:
      'verdict experiment list [--model M] [--team T] [--state draft|running|paused|stopped|concluded]',
    run: 'verdict experiment list --model spam --team demo --state draft',
  },
  { covers: 'verdict experiment show ID', run: 'verdict experiment show {fromFlags}' },
  {
    covers: 'verdict experiment start ID [--reason TEXT]',
    run: 'verdict experiment start {fromFile} --reason "documented commands"',
  },
  {
    covers: 'verdict experiment pause ID [--reason TEXT]',
    run: 'verdict experiment pause {fromFile} --reason "documented commands"',
  },
  {
    covers: 'verdict experiment rollback ID --reason TEXT',
    run: 'verdict experiment rollback {fromFile} --reason "documented commands"',
  },
  {
    covers: 'verdict experiment start ID [--reason TEXT]',
    run: 'verdict experiment start {fromFlags}',
  },
  {
    covers: 'verdict experiment promote ID [VARIANT] [--alias production] [--reason TEXT]',
    run: 'verdict experiment promote {fromFlags} treatment --alias production --reason "documented commands"',
  },
  {
    covers: 'verdict experiment results ID [--since 2026-01-31T00:00:00Z] [--until ...]',
    run: 'verdict experiment results {demo} --since 2026-01-31T00:00:00Z',
  },
  {
    covers: 'npx verdict experiment results <id>',
    run: 'npx verdict experiment results {demo}',
  },
  { covers: 'npx verdict drift alerts', run: 'npx verdict drift alerts' },
  {
    covers: 'npx verdict dataset spam-held-out > held-out.jsonl',
    run: 'npx verdict dataset spam-held-out > held-out.jsonl',
    leaves: ['held-out.jsonl'],
  },
  {
    covers: 'npx verdict experiment replay --data held-out.jsonl --model spam --variants 1,2',
    run: 'npx verdict experiment replay --data held-out.jsonl --model spam --variants 1,2',
    leaves: ['held-out.jsonl'],
  },
  { covers: 'npm run demo', run: 'npm run demo' },
];
