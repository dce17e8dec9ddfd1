import { join } from 'node:path';
import { Code } from '@verdict/errors';
import { rpcCodeOf, type RegistryClient } from './commands/model-client';
import { hashFile, uploadFile } from './commands/model-transfer';
import { DEMO_MODEL } from './demo-experiment';

/** The alias a promotion moves by default (ConcludeExperiment with an empty alias). */
export const DEMO_ALIAS = 'production';

/** Team that owns the demo model, as the demo experiment's. */
export const DEMO_TEAM = 'demo';

/** What registry seeding found or did. */
export interface DemoRegistrySeed {
  /** False when the registry already had the demo model; it is left as it is. */
  readonly created: boolean;
}

/**
 * Puts spam versions 1 and 2 of the dev model repository into the registry, with
 * `spam@production` on version 1, unless the registry has a `spam` model already. Then a
 * promotion of the demo experiment (by hand or by the analyzer) has an alias to move.
 */
export async function seedDemoRegistry(
  client: RegistryClient,
  modelsDir: string,
): Promise<DemoRegistrySeed> {
  try {
    await client.getModel({ name: DEMO_MODEL });
    return { created: false };
  } catch (error) {
    if (rpcCodeOf(error) !== Code.NOT_FOUND) throw error;
  }
  await client.createModel({
    name: DEMO_MODEL,
    team: DEMO_TEAM,
    description: 'Demo spam classifiers seeded by verdict dev from its model repository',
  });
  for (const expected of [1n, 2n]) {
    const file = join(modelsDir, DEMO_MODEL, String(expected), 'model.onnx');
    const { sha256, sizeBytes } = await hashFile(file);
    const { version } = await uploadFile(client, file, {
      model: DEMO_MODEL,
      sha256,
      sizeBytes,
      metadata: { source: 'verdict dev model repository' },
    });
    // Registry and model server must agree on what "version 2" means.
    if (version?.number !== expected) {
      throw new Error(
        `the registry numbered ${DEMO_MODEL} ${file} as version ${version?.number}, expected ${expected}`,
      );
    }
  }
  await client.setAlias({ model: DEMO_MODEL, alias: DEMO_ALIAS, version: 1n });
  return { created: true };
}
