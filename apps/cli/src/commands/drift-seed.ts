import { buildReferenceProfile } from '@verdict/drift';
import { Code } from '@verdict/errors';
import { createSpamFeaturizer, splitSpamMessages, SPAM_CORPUS } from '@verdict/model-zoo';
import type { driftV1 } from '@verdict/proto';
import type { DriftClient } from './drift';
import { rpcCodeOf } from './model-client';

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

/**
 * Puts the profiles of spam:1 and spam:2 that the analyzer does not hold yet. Featurizing the
 * training split takes a couple of seconds, so a restart of the dev stack (whose analyzer keeps
 * its profiles in its data directory) skips it; a profile already there is never replaced.
 */
export async function seedSpamProfiles(
  client: DriftClient,
  versions = ['1', '2'],
  profileOf: (version: string) => driftV1.ReferenceProfile = spamReferenceProfile,
): Promise<void> {
  const missing: string[] = [];
  for (const version of versions) {
    try {
      await client.getReferenceProfile({ model: 'spam', version });
    } catch (error) {
      if (rpcCodeOf(error) !== Code.NOT_FOUND) throw error;
      missing.push(version);
    }
  }
  if (missing.length === 0) return;
  // Both versions take the same features from the same training split: featurize once.
  const profile = profileOf(missing[0]);
  for (const version of missing) {
    await client.putReferenceProfile({ profile: { ...profile, version } });
  }
}
