import { create } from '@bufbuild/protobuf';
import { Code } from '@verdict/errors';
import { driftV1 } from '@verdict/proto';
import type { DriftClient } from './drift';
import { seedSpamProfiles } from './drift-seed';

/** The two calls seedSpamProfiles makes, over a map of profiles by version. */
function fakeDrift(held: Map<string, driftV1.ReferenceProfile>) {
  const puts: string[] = [];
  const client = {
    async getReferenceProfile({ version }: { model: string; version: string }) {
      const profile = held.get(version);
      if (profile === undefined)
        throw { code: Code.NOT_FOUND, details: `no profile of spam:${version}` };
      return { profile };
    },
    async putReferenceProfile({ profile }: { profile: driftV1.ReferenceProfile }) {
      puts.push(profile.version);
      held.set(profile.version, profile);
      return {};
    },
  };
  return { client: client as unknown as DriftClient, puts };
}

/** Featurizing the real corpus takes seconds (longer under Jest); the skipping is what is tested. */
let built = 0;
const profileOf = (version: string) => {
  built += 1;
  return create(driftV1.ReferenceProfileSchema, { model: 'spam', version, source: 'test' });
};

describe('seedSpamProfiles', () => {
  it('puts only the profiles the analyzer lacks, and nothing when it has both', async () => {
    const held = new Map<string, driftV1.ReferenceProfile>();
    const first = fakeDrift(held);
    await seedSpamProfiles(first.client, ['1', '2'], profileOf);
    expect(first.puts).toEqual(['1', '2']);
    expect(held.get('2')).toMatchObject({ model: 'spam', version: '2' });
    expect(built).toBe(1); // one profile built, put under both versions

    const again = fakeDrift(held);
    await seedSpamProfiles(again.client, ['1', '2'], profileOf);
    expect(again.puts).toEqual([]);
    expect(built).toBe(1);

    held.delete('1');
    const oneGone = fakeDrift(held);
    await seedSpamProfiles(oneGone.client, ['1', '2'], profileOf);
    expect(oneGone.puts).toEqual(['1']);
    expect(held.get('1')).toMatchObject({ version: '1' });
  });

  it('stops on any refusal other than NOT_FOUND', async () => {
    const client = {
      getReferenceProfile: async () => {
        throw { code: Code.PERMISSION_DENIED, details: 'missing drift:read' };
      },
    } as unknown as DriftClient;
    await expect(seedSpamProfiles(client)).rejects.toMatchObject({ code: Code.PERMISSION_DENIED });
  });
});
