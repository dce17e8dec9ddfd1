/**
 * Derives the Kubernetes objects that must mirror Verdict's RBAC from the code that defines it:
 * the RBAC policy (devPolicyYaml's roles, bound to this namespace's service accounts), the
 * NetworkPolicies (who may open a gRPC connection to whom), the mTLS overlay's cert-manager
 * Certificates, and the mesh overlay's PeerAuthentications and AuthorizationPolicies (which
 * service account may call which gRPC path). test/e2e/src/deploy.spec.ts checks that the files
 * under deploy/k8s equal what this module derives, so a change to the permission tables or the
 * roles fails CI until the manifests are regenerated:
 *
 *   npm run build && npx tsx deploy/k8s/generate.ts && npx prettier --write deploy/k8s
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AUDIT_PERMISSIONS,
  EXPERIMENTS_PERMISSIONS,
  INFERENCE_PERMISSIONS,
  REGISTRY_PERMISSIONS,
  createAuthorizer,
  devPolicyYaml,
  parsePolicy,
  servicePrincipal,
  serviceSpiffeId,
} from '@verdict/security';
import { stringify } from 'yaml';
import { STACK_SERVICES } from '../../apps/cli/src/services';

/** Kubernetes namespace of every object, and of the SPIFFE IDs. */
export const NAMESPACE = 'verdict';
/** Istio's and cert-manager's default trust domain for this cluster. */
export const TRUST_DOMAIN = 'cluster.local';
/** Service account that people and CI use to run `verdict` commands with full rights. */
export const ADMIN_ACCOUNT = 'verdict-admin';
/** Namespace whose Prometheus scrapes the ops ports (NetworkPolicy). */
export const MONITORING_NAMESPACE = 'monitoring';
/** The label every Verdict pod carries with its service name. */
export const NAME_LABEL = 'app.kubernetes.io/name';
/** HTTP paths of the ops server; nothing else is served there. */
export const OPS_PATHS = ['/healthz', '/readyz', '/metrics'] as const;
/** gRPC services the kit serves to any authenticated peer (isOpenMethod in @verdict/grpc-kit). */
export const OPEN_GRPC_PATHS = [
  '/grpc.health.v1.Health/*',
  '/grpc.reflection.v1.ServerReflection/*',
  '/grpc.reflection.v1alpha.ServerReflection/*',
] as const;

/** One deployed service: its ports (the config defaults) and the RPC table it authorizes with. */
export interface DeployedService {
  readonly name: string;
  readonly grpcPort: number;
  readonly opsPort: number;
  readonly permissions: Readonly<Record<string, string>>;
}

// Which table each app passes to runServiceProcess (apps/<service>/src/main.ts).
const TABLES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  router: INFERENCE_PERMISSIONS,
  'model-server': INFERENCE_PERMISSIONS,
  registry: REGISTRY_PERMISSIONS,
  'experiment-analyzer': EXPERIMENTS_PERMISSIONS,
  audit: AUDIT_PERMISSIONS,
};

/** The five services with the ports README.md documents, in the dev stack's start order. */
export const DEPLOYED_SERVICES: readonly DeployedService[] = STACK_SERVICES.map((service) => {
  const permissions = TABLES[service.name];
  if (permissions === undefined) throw new Error(`no permission table for ${service.name}`);
  return { ...service, permissions };
});

/** Every service account that can hold an identity here: the five services and the admin. */
export const ACCOUNTS: readonly string[] = [...DEPLOYED_SERVICES.map((s) => s.name), ADMIN_ACCOUNT];

/** The RBAC policy the services load: the dev stack's roles for this namespace's identities. */
export function policyYaml(): string {
  return devPolicyYaml({
    trustDomain: TRUST_DOMAIN,
    namespace: NAMESPACE,
    clientName: ADMIN_ACCOUNT,
  });
}

/** Full method name -> the service accounts whose calls the RBAC policy allows, sorted. */
export function allowedCallers(service: DeployedService): ReadonlyMap<string, readonly string[]> {
  const authorizer = createAuthorizer(parsePolicy(policyYaml(), 'deploy policy'));
  const callers = new Map<string, readonly string[]>();
  for (const [method, permission] of Object.entries(service.permissions)) {
    callers.set(
      method,
      ACCOUNTS.filter(
        (account) =>
          authorizer.authorize(
            servicePrincipal(serviceSpiffeId(TRUST_DOMAIN, NAMESPACE, account)),
            permission,
          ).allowed,
      ).sort(),
    );
  }
  return callers;
}

function istioPrincipal(account: string): string {
  return `${TRUST_DOMAIN}/ns/${NAMESPACE}/sa/${account}`;
}

function metadata(name: string, service?: string) {
  return {
    name,
    namespace: NAMESPACE,
    labels: { 'app.kubernetes.io/part-of': 'verdict', ...(service && { [NAME_LABEL]: service }) },
  };
}

/** NetworkPolicy: gRPC from the accounts RBAC lets call something here; ops from Prometheus. */
export function networkPolicy(service: DeployedService) {
  const callers = [...new Set([...allowedCallers(service).values()].flat())].sort();
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: metadata(service.name, service.name),
    spec: {
      podSelector: { matchLabels: { [NAME_LABEL]: service.name } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [
            {
              podSelector: {
                matchExpressions: [{ key: NAME_LABEL, operator: 'In', values: callers }],
              },
            },
          ],
          ports: [{ protocol: 'TCP', port: service.grpcPort }],
        },
        {
          from: [
            {
              namespaceSelector: {
                matchLabels: { 'kubernetes.io/metadata.name': MONITORING_NAMESPACE },
              },
            },
          ],
          ports: [{ protocol: 'TCP', port: service.opsPort }],
        },
      ],
    },
  };
}

/** cert-manager Certificate for one account: its SPIFFE ID as URI SAN, client and server use. */
export function certificate(account: string) {
  const service = DEPLOYED_SERVICES.find((s) => s.name === account);
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: metadata(account, account),
    spec: {
      secretName: `${account}-tls`,
      duration: '24h',
      renewBefore: '8h',
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      usages: ['digital signature', 'key encipherment', 'server auth', 'client auth'],
      uris: [serviceSpiffeId(TRUST_DOMAIN, NAMESPACE, account)],
      ...(service && {
        dnsNames: [
          service.name,
          `${service.name}.${NAMESPACE}.svc`,
          `${service.name}.${NAMESPACE}.svc.cluster.local`,
        ],
      }),
      issuerRef: { name: 'verdict-ca', kind: 'Issuer', group: 'cert-manager.io' },
    },
  };
}

/** Istio PeerAuthentication: STRICT mTLS, except the ops port that kubelet and Prometheus reach. */
export function peerAuthentication(service: DeployedService) {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: metadata(service.name, service.name),
    spec: {
      selector: { matchLabels: { [NAME_LABEL]: service.name } },
      mtls: { mode: 'STRICT' },
      portLevelMtls: { [service.opsPort]: { mode: 'PERMISSIVE' } },
    },
  };
}

/** Istio AuthorizationPolicy (ALLOW) mirroring the RBAC decisions for one callee. */
export function authorizationPolicy(service: DeployedService) {
  const byCallers = new Map<string, string[]>();
  for (const [method, callers] of allowedCallers(service)) {
    if (callers.length === 0) continue;
    const key = callers.join(',');
    byCallers.set(key, [...(byCallers.get(key) ?? []), method]);
  }
  const rules: unknown[] = [...byCallers]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, methods]) => ({
      from: [{ source: { principals: key.split(',').map(istioPrincipal) } }],
      to: [{ operation: { ports: [String(service.grpcPort)], paths: methods.sort() } }],
    }));
  rules.push(
    {
      from: [{ source: { principals: ['*'] } }],
      to: [{ operation: { ports: [String(service.grpcPort)], paths: [...OPEN_GRPC_PATHS] } }],
    },
    {
      to: [
        {
          operation: { ports: [String(service.opsPort)], methods: ['GET'], paths: [...OPS_PATHS] },
        },
      ],
    },
  );
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: metadata(service.name, service.name),
    spec: {
      selector: { matchLabels: { [NAME_LABEL]: service.name } },
      action: 'ALLOW',
      rules,
    },
  };
}

/** Every generated file, relative to deploy/k8s, with the objects it holds. */
export function generatedFiles(): ReadonlyMap<string, readonly unknown[]> {
  return new Map<string, readonly unknown[]>([
    ['base/network-policies.yaml', DEPLOYED_SERVICES.map(networkPolicy)],
    ['overlays/mtls/certificates.yaml', ACCOUNTS.map(certificate)],
    ['overlays/mesh/peer-authentications.yaml', DEPLOYED_SERVICES.map(peerAuthentication)],
    ['overlays/mesh/authorization-policies.yaml', DEPLOYED_SERVICES.map(authorizationPolicy)],
  ]);
}

const HEADER = '# Generated by deploy/k8s/generate.ts from @verdict/security; do not edit.\n';

function main(): void {
  // The policy is devPolicyYaml's own text, so it keeps its comments; only this header is added.
  writeFileSync(join(__dirname, 'base', 'policy.yaml'), HEADER + policyYaml());
  for (const [file, objects] of generatedFiles()) {
    const documents = objects.map((object) => stringify(object, { lineWidth: 0 }));
    writeFileSync(join(__dirname, file), HEADER + documents.join('---\n'));
  }
}

if (require.main === module) main();
