import { loadSpamMessages, splitSpamMessages, subjectAndBody } from './spam-corpus';

describe('subjectAndBody', () => {
  it('keeps the unfolded subject and the body, drops the other headers, and cuts to maxChars', () => {
    const email = 'From: a@b\r\nSubject: Cheap\r\n  meds\r\nTo: c@d\r\n\r\nBuy now.\r\n';
    expect(subjectAndBody(email, 1000)).toBe('Subject: Cheap meds\n\nBuy now.\n');
    expect(subjectAndBody(email, 13)).toBe('Subject: Chea');
    expect(subjectAndBody('no headers at all', 100)).toBe('Subject: \n\n');
  });
});

describe('the SpamAssassin corpus', () => {
  it('has 6,046 messages with unique ids, 1,896 of them spam', () => {
    const messages = loadSpamMessages();
    expect(messages).toHaveLength(6046);
    expect(new Set(messages.map((message) => message.id)).size).toBe(6046);
    expect(messages.filter((message) => message.label === 1)).toHaveLength(1896);
    expect(messages.every((message) => message.text.length <= 8000)).toBe(true);
  });

  it('splits deterministically by seed into disjoint train and held-out parts', () => {
    const split = splitSpamMessages();
    expect(split.heldOut).toHaveLength(1209);
    expect(split.train).toHaveLength(6046 - 1209);
    const trainIds = new Set(split.train.map((message) => message.id));
    expect(split.heldOut.some((message) => trainIds.has(message.id))).toBe(false);
    const spamShare = split.heldOut.filter((message) => message.label === 1).length / 1209;
    expect(spamShare).toBeGreaterThan(0.25);
    expect(spamShare).toBeLessThan(0.38);
    expect(splitSpamMessages().heldOut.map((message) => message.id)).toEqual(
      split.heldOut.map((message) => message.id),
    );
    const other = splitSpamMessages({ seed: 1 }).heldOut.map((message) => message.id);
    expect(other).not.toEqual(split.heldOut.map((message) => message.id));
  });

  it('rejects a held-out fraction outside (0, 1)', () => {
    expect(() => splitSpamMessages({ heldOutFraction: 1 })).toThrow(/heldOutFraction/);
  });
});
