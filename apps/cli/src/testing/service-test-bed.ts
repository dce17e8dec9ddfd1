import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestPki, type TestPki } from '@verdict/grpc-kit/testing';

/** What a CLI test needs around a real service it starts in-process. */
export interface ServiceTestBed {
  readonly pki: TestPki;
  /** A temporary directory holding the policy, the CLI's PKI files and the service's data. */
  readonly dir: string;
  /** The CLI's `--pki` directory as `verdict pki init` writes it: ca.pem, developer.pem/.key (`tester`). */
  readonly pkiDir: string;
  /** VERDICT_* settings for the service: mutual TLS as `alpha`, data and policy in `dir`, no logs. */
  readonly serviceEnv: Record<string, string>;
  /** Deletes the PKI and the directory. */
  remove(): Promise<void>;
}

/** Creates a test PKI, writes `policyYaml` and the CLI's PKI files into a new temporary directory. */
export async function createServiceTestBed(
  prefix: string,
  policyYaml: string,
): Promise<ServiceTestBed> {
  const pki = await createTestPki();
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await writeFile(join(dir, 'policy.yaml'), policyYaml);
  const pkiDir = join(dir, 'pki');
  const client = pki.client('tester') as { caFile: string; certFile: string; keyFile: string };
  await mkdir(pkiDir);
  await copyFile(client.caFile, join(pkiDir, 'ca.pem'));
  await copyFile(client.certFile, join(pkiDir, 'developer.pem'));
  await copyFile(client.keyFile, join(pkiDir, 'developer.key'));
  const tls = pki.server('alpha');
  return {
    pki,
    dir,
    pkiDir,
    serviceEnv: {
      VERDICT_GRPC_PORT: '0',
      VERDICT_OPS_PORT: '0',
      VERDICT_TLS_CA_FILE: tls.caFile,
      VERDICT_TLS_CERT_FILE: tls.certFile,
      VERDICT_TLS_KEY_FILE: tls.keyFile,
      VERDICT_DATA_DIR: join(dir, 'data'),
      VERDICT_POLICY_FILE: join(dir, 'policy.yaml'),
      VERDICT_LOG_LEVEL: 'silent',
    },
    async remove() {
      await pki.remove();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
