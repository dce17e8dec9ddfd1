import { buildReferenceProfile } from '@verdict/drift';
import { createSpamFeaturizer, splitSpamMessages, SPAM_CORPUS } from '@verdict/model-zoo';
import type { driftV1 } from '@verdict/proto';
import type { DriftClient } from './drift';

/**
 * The reference profile of a demo spam model's `features` input: the training split of the
 * SpamAssassin corpus, featurized the way the models were trained (model-zoo's defaults; both
 * versions share them).
 */
export function spamReferenceProfile(version: string): driftV1.ReferenceProfile {
  const featurizer = createSpamFeaturizer();
  const { train } = splitSpamMessages();
  const width = featurizer.options.buckets;
  const features = featurizer.featurizeBatch(train.map((message) => message.text));
  const rows = Array.from({ length: train.length }, (_, i) =>
    features.subarray(i * width, (i + 1) * width),
  );
  return buildReferenceProfile({
    model: 'spam',
    version,
    input: 'features',
    source: `${SPAM_CORPUS} training split`,
    rows,
  });
}

/** Puts the profiles of spam:1 and spam:2 (the same data, so a second run changes nothing). */
export async function seedSpamProfiles(client: DriftClient, versions = ['1', '2']): Promise<void> {
  // Both versions take the same features from the same training split: featurize once.
  const profile = spamReferenceProfile(versions[0]);
  for (const version of versions) {
    await client.putReferenceProfile({ profile: { ...profile, version } });
  }
}
