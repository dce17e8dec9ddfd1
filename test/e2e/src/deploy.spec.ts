import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { listSettings, loadServiceConfig } from '@verdict/config';
import { isOpenMethod } from '@verdict/grpc-kit';
import {
  AUDIT_PERMISSIONS,
  EXPERIMENTS_PERMISSIONS,
  INFERENCE_PERMISSIONS,
  REGISTRY_PERMISSIONS,
  parsePolicy,
  serviceSpiffeId,
} from '@verdict/security';
import { parse, parseAllDocuments } from 'yaml';
import { configSchema as auditSchema } from '../../../apps/audit/src/config';
import { configSchema as analyzerSchema } from '../../../apps/experiment-analyzer/src/config';
import { configSchema as modelServerSchema } from '../../../apps/model-server/src/config';
import { configSchema as registrySchema } from '../../../apps/registry/src/config';
import { configSchema as routerSchema } from '../../../apps/router/src/config';
import {
  NAMESPACE,
  OPS_PATHS,
  TRUST_DOMAIN,
  generatedFiles,
  policyYaml,
} from '../../../deploy/k8s/generate';

// Checks deploy/ against the code without a cluster: every manifest parses, every VERDICT_*
// variable is a setting the service reads and holds a valid value, ports and probes agree, the
// RBAC mirrors (policy, NetworkPolicies, AuthorizationPolicies) equal what the permission
// tables derive, and promtool accepts the alert rules.

const ROOT = join(__dirname, '..', '..', '..');
const K8S = join(ROOT, 'deploy', 'k8s');
const MONITORING = join(ROOT, 'deploy', 'monitoring');

const SCHEMAS = {
  router: routerSchema,
  'model-server': modelServerSchema,
  registry: registrySchema,
  'experiment-analyzer': analyzerSchema,
  audit: auditSchema,
} as const;
type ServiceName = keyof typeof SCHEMAS;
const SERVICES = Object.keys(SCHEMAS) as ServiceName[];

const TABLES: Record<ServiceName, Readonly<Record<string, string>>> = {
  router: INFERENCE_PERMISSIONS,
  'model-server': INFERENCE_PERMISSIONS,
  registry: REGISTRY_PERMISSIONS,
  'experiment-analyzer': EXPERIMENTS_PERMISSIONS,
  audit: AUDIT_PERMISSIONS,
};

// Loose shapes of the Kubernetes objects this test reads.
interface EnvVar {
  name: string;
  value?: string;
  $patch?: string;
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  args?: string[];
  env?: EnvVar[];
  ports?: { name: string; containerPort: number }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  serviceAccountName?: string;
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  containers: Container[];
  volumes?: {
    name: string;
    secret?: { secretName: string };
    emptyDir?: object;
    persistentVolumeClaim?: object;
  }[];
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown> & {
    template?: { spec: PodSpec };
    volumeClaimTemplates?: { metadata: { name: string } }[];
  };
}
interface LoadedObject {
  file: string;
  object: K8sObject;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(entry.name) ? [path] : [];
  });
}

function loadDocuments(path: string): K8sObject[] {
  const documents = parseAllDocuments(readFileSync(path, 'utf8'));
  return documents.map((document) => {
    if (document.errors.length > 0) {
      throw new Error(`${relative(ROOT, path)}: ${document.errors.map(String).join('; ')}`);
    }
    return document.toJS() as K8sObject;
  });
}

const ALL: LoadedObject[] = yamlFiles(K8S).flatMap((path) =>
  loadDocuments(path).map((object) => ({ file: relative(K8S, path), object })),
);
const inFile = (prefix: string) => ALL.filter(({ file }) => file.startsWith(prefix));
const BASE = inFile('base/').map(({ object }) => object);

function workload(name: ServiceName): K8sObject {
  const found = BASE.filter(
    (o) => (o.kind === 'Deployment' || o.kind === 'StatefulSet') && o.metadata.name === name,
  );
  expect(found).toHaveLength(1);
  return found[0];
}

function podSpec(object: K8sObject): PodSpec {
  const spec = object.spec?.template?.spec;
  if (spec === undefined) throw new Error(`${object.kind}/${object.metadata.name} has no pod spec`);
  return spec;
}

function serviceContainer(object: K8sObject): Container {
  const container = podSpec(object).containers.find((c) => c.name === 'service');
  if (container === undefined)
    throw new Error(`${object.metadata.name} has no container "service"`);
  return container;
}

function envOf(container: Container): Record<string, string> {
  return Object.fromEntries(
    (container.env ?? []).map((variable) => [variable.name, variable.value ?? '']),
  );
}

function portNamed(container: Container, name: string): number {
  const port = container.ports?.find((p) => p.name === name);
  if (port === undefined) throw new Error(`container has no port named ${name}`);
  return port.containerPort;
}

// The overlays' env patches, applied the way a strategic merge patch treats a list keyed by name.
function patchEnv(base: Record<string, string>, patch: EnvVar[]): Record<string, string> {
  const result = { ...base };
  for (const variable of patch) {
    if (variable.$patch === 'delete') delete result[variable.name];
    else result[variable.name] = variable.value ?? '';
  }
  return result;
}

function overlayEnvPatches(overlay: string): EnvVar[][] {
  return inFile(`overlays/${overlay}/`)
    .filter(({ object }) => object.kind === 'Deployment' || object.kind === 'StatefulSet')
    .map(({ object }) => podSpec(object).containers.flatMap((c) => c.env ?? []));
}

const REGENERATE =
  'npm run build && npx tsx deploy/k8s/generate.ts && npx prettier --write deploy/k8s';

describe('deploy/k8s', () => {
  it('parses, and every object lives in namespace verdict', () => {
    expect(ALL.length).toBeGreaterThan(40);
    for (const { file, object } of ALL) {
      // kustomization.yaml files have no metadata; kustomize sets the namespace of the rest.
      if (object.kind !== 'Namespace' && object.metadata?.namespace !== undefined) {
        expect({ file, namespace: object.metadata.namespace }).toEqual({
          file,
          namespace: NAMESPACE,
        });
      }
    }
    const kustomizations = yamlFiles(K8S).filter((path) => path.endsWith('kustomization.yaml'));
    expect(kustomizations.map((path) => relative(K8S, path)).sort()).toEqual([
      'base/kustomization.yaml',
      'overlays/mesh/kustomization.yaml',
      'overlays/mtls/kustomization.yaml',
    ]);
    for (const path of kustomizations) {
      expect((parse(readFileSync(path, 'utf8')) as { namespace: string }).namespace).toBe(
        NAMESPACE,
      );
    }
  });

  describe.each(SERVICES)('%s', (name) => {
    const schema = SCHEMAS[name];
    const settings = new Set(listSettings(schema, 'VERDICT_').map((setting) => setting.env));

    it('runs its own entry point under its own service account, as non-root on a read-only root', () => {
      const object = workload(name);
      expect(object.kind).toBe(name === 'audit' ? 'StatefulSet' : 'Deployment');
      const pod = podSpec(object);
      expect(pod.serviceAccountName).toBe(name);
      expect(BASE.some((o) => o.kind === 'ServiceAccount' && o.metadata.name === name)).toBe(true);
      const container = serviceContainer(object);
      expect(container.args).toEqual([`apps/${name}/dist/main.js`]);
      expect(pod.securityContext?.runAsNonRoot).toBe(true);
      expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
      expect(container.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
      });
    });

    it('sets only real VERDICT_* settings, with values the service accepts, in both overlays', () => {
      const container = serviceContainer(workload(name));
      const env = envOf(container);
      const unknown = Object.keys(env).filter(
        (variable) => variable.startsWith('VERDICT_') && !settings.has(variable),
      );
      expect(unknown).toEqual([]);
      const config = loadServiceConfig(schema, env);
      expect(config.grpc.host).toBe('0.0.0.0');
      expect(config.ops.host).toBe('0.0.0.0');
      expect(config.tls.mode).toBe('mtls');
      expect(config.trustDomain).toBe(TRUST_DOMAIN);

      for (const patch of overlayEnvPatches('mesh')) {
        const patched = patchEnv(env, patch);
        expect(Object.keys(patched).filter((v) => !settings.has(v))).toEqual([]);
        const meshConfig = loadServiceConfig(schema, patched);
        expect(meshConfig.tls).toEqual({ mode: 'mesh' });
      }
      expect(overlayEnvPatches('mtls')).toEqual([]);
    });

    it('mounts the TLS Secret, the policy and a writable data directory where the settings point', () => {
      const object = workload(name);
      const pod = podSpec(object);
      const container = serviceContainer(object);
      const config = loadServiceConfig(schema, envOf(container));
      const mountOf = (file: string) =>
        container.volumeMounts?.find((mount) => file.startsWith(`${mount.mountPath}/`))?.name;
      const tlsVolume = pod.volumes?.find((v) => v.name === mountOf(config.tls.certFile ?? ''));
      expect(tlsVolume?.secret?.secretName).toBe(`${name}-tls`);
      expect(mountOf(config.tls.caFile ?? '')).toBe(tlsVolume?.name);
      expect(mountOf(config.tls.keyFile ?? '')).toBe(tlsVolume?.name);
      expect(mountOf(config.policyFile ?? '')).toBe('policy');

      const dataMount = container.volumeMounts?.find((m) => m.mountPath === config.dataDir);
      expect(dataMount).toBeDefined();
      const dataVolume = pod.volumes?.find((v) => v.name === dataMount?.name);
      const claimTemplate = object.spec?.volumeClaimTemplates?.find(
        (t) => t.metadata.name === dataMount?.name,
      );
      if (name === 'router' || name === 'model-server') {
        expect(dataVolume?.emptyDir).toBeDefined();
      } else if (name === 'audit') {
        expect(claimTemplate).toBeDefined();
      } else {
        expect(dataVolume?.persistentVolumeClaim).toBeDefined();
      }
    });

    it('exposes the configured ports, probes /healthz and /readyz on the ops port', () => {
      const container = serviceContainer(workload(name));
      const config = loadServiceConfig(schema, envOf(container));
      expect(portNamed(container, 'grpc')).toBe(config.grpc.port);
      expect(portNamed(container, 'ops')).toBe(config.ops.port);
      const opsPort = (probe?: Probe) =>
        probe?.httpGet?.port === 'ops' ? config.ops.port : probe?.httpGet?.port;
      expect(container.livenessProbe?.httpGet?.path).toBe('/healthz');
      expect(opsPort(container.livenessProbe)).toBe(config.ops.port);
      expect(container.readinessProbe?.httpGet?.path).toBe('/readyz');
      expect(opsPort(container.readinessProbe)).toBe(config.ops.port);

      const services = BASE.filter(
        (o) => o.kind === 'Service' && o.metadata.labels?.['app.kubernetes.io/name'] === name,
      );
      const grpc = services.find((s) => s.metadata.name === name);
      expect(grpc?.spec).toMatchObject({
        clusterIP: 'None',
        selector: { 'app.kubernetes.io/name': name },
        ports: [{ name: 'grpc', port: config.grpc.port, targetPort: 'grpc', appProtocol: 'grpc' }],
      });
      const metrics = services.find((s) => s.metadata.name === `${name}-metrics`);
      expect(metrics?.spec).toMatchObject({
        selector: { 'app.kubernetes.io/name': name },
        ports: [{ port: config.ops.port, targetPort: 'ops' }],
      });
    });

    it('gives in-flight calls their grace period before the kubelet kills the pod', () => {
      const object = workload(name);
      const container = serviceContainer(object);
      const config = loadServiceConfig(schema, envOf(container));
      const preStop = container.lifecycle?.preStop?.exec?.command ?? [];
      const preStopMs = preStop[0] === 'sleep' ? Number(preStop[1]) * 1000 : 0;
      const graceMs = (podSpec(object).terminationGracePeriodSeconds ?? 30) * 1000;
      expect(graceMs).toBeGreaterThan(preStopMs + config.shutdownGraceMs);
    });

    it('has a disruption budget, and an autoscaler only where replicas share no state', () => {
      const byKind = (kind: string) =>
        BASE.filter((o) => o.kind === kind && o.metadata.name === name);
      expect(byKind('PodDisruptionBudget')).toHaveLength(1);
      const autoscalers = byKind('HorizontalPodAutoscaler');
      const stateless = name === 'router' || name === 'model-server';
      expect(autoscalers).toHaveLength(stateless ? 1 : 0);
      if (!stateless) expect(workload(name).spec?.replicas).toBe(1);
    });

    it("mesh AuthorizationPolicy paths exist in its permission table or are the kit's open services", () => {
      const container = serviceContainer(workload(name));
      const config = loadServiceConfig(schema, envOf(container));
      const policies = inFile('overlays/mesh/')
        .map(({ object }) => object)
        .filter((o) => o.kind === 'AuthorizationPolicy' && o.metadata.name === name);
      expect(policies).toHaveLength(1);
      const rules = (policies[0].spec?.rules ?? []) as {
        to: { operation: { ports?: string[]; paths?: string[] } }[];
      }[];
      const covered = new Set<string>();
      for (const rule of rules) {
        for (const { operation } of rule.to) {
          const ports = (operation.ports ?? []).map(Number);
          expect(ports.length).toBeGreaterThan(0);
          for (const path of operation.paths ?? []) {
            if (ports.every((port) => port === config.ops.port)) {
              expect(OPS_PATHS).toContain(path);
              continue;
            }
            expect(ports).toEqual([config.grpc.port]);
            const known = path.endsWith('/*')
              ? isOpenMethod(path.slice(0, -1))
              : TABLES[name][path] !== undefined;
            expect({ path, known }).toEqual({ path, known: true });
            covered.add(path);
          }
        }
      }
      // Every RPC of the table is reachable by someone (at least the admin).
      expect(Object.keys(TABLES[name]).filter((path) => !covered.has(path))).toEqual([]);
    });
  });

  it('loads the RBAC policy the permission tables were derived from', () => {
    const text = readFileSync(join(K8S, 'base', 'policy.yaml'), 'utf8');
    expect(parsePolicy(text, 'deploy/k8s/base/policy.yaml')).toEqual(
      parsePolicy(policyYaml(), 'deploy/k8s/base/policy.yaml'),
    );
  });

  it.each([...generatedFiles()])(
    `%s is what generate.ts derives (else: ${REGENERATE})`,
    (file, objects) => {
      // Through JSON, as YAML would carry them: numeric map keys become strings.
      expect(loadDocuments(join(K8S, file))).toEqual(JSON.parse(JSON.stringify(objects)));
    },
  );

  it('issues each service a certificate for the SPIFFE ID of the account it runs as (mtls)', () => {
    const certificates = inFile('overlays/mtls/')
      .map(({ object }) => object)
      .filter((o) => o.kind === 'Certificate');
    for (const name of SERVICES) {
      const certificate = certificates.find((c) => c.spec?.secretName === `${name}-tls`);
      expect(certificate?.spec?.uris).toEqual([serviceSpiffeId(TRUST_DOMAIN, NAMESPACE, name)]);
      expect(podSpec(workload(name)).serviceAccountName).toBe(name);
    }
  });
});

describe('deploy/monitoring', () => {
  const rulesFile = join(MONITORING, 'verdict-alerts.rules.yaml');

  function promtool(...args: string[]): string {
    try {
      return execFileSync('promtool', args, { cwd: MONITORING, encoding: 'utf8' });
    } catch (error) {
      const failure = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
      if (failure.code === 'ENOENT') {
        throw new Error(
          'promtool is not installed: install the Debian package "prometheus" (.ci/run does)',
        );
      }
      throw new Error(`promtool ${args.join(' ')} failed:\n${failure.stdout}${failure.stderr}`);
    }
  }

  it('promtool accepts the alert rules', () => {
    expect(promtool('check', 'rules', rulesFile)).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('the alerts fire on the series their unit tests feed them, and only there', () => {
    expect(promtool('test', 'rules', 'verdict-alerts.test.yaml')).toMatch(/SUCCESS/);
  });

  it('alerts only on metrics the services export', () => {
    const rules = parse(readFileSync(rulesFile, 'utf8')) as {
      groups: { rules: { expr: string }[] }[];
    };
    const exported = /^rpc_server_(requests_total|duration_seconds_(bucket|count|sum))$/;
    for (const rule of rules.groups.flatMap((group) => group.rules)) {
      const metrics = rule.expr.match(/\b[a-z_]+(?=\{|\[)/g) ?? [];
      expect(metrics.length).toBeGreaterThan(0);
      for (const metric of metrics) expect(metric).toMatch(exported);
    }
  });

  it('the PrometheusRule carries the same groups as the rules file', () => {
    const rules = parse(readFileSync(rulesFile, 'utf8')) as unknown;
    const resource = parse(readFileSync(join(MONITORING, 'prometheus-rule.yaml'), 'utf8')) as {
      kind: string;
      spec: unknown;
    };
    expect(resource.kind).toBe('PrometheusRule');
    expect(resource.spec).toEqual(rules);
  });
});
