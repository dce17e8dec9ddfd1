import { Endpoint } from './endpoint';
import { Pool } from './pool';

/** An endpoint whose health and load the test sets; its channels point nowhere and stay idle. */
function endpoint(address: string, serving: boolean, outstanding = 0): Endpoint {
  const created = new Endpoint({ address, transport: { mode: 'mesh' }, healthRetryMs: 60_000 });
  created.close();
  created.serving = serving;
  created.outstanding = outstanding;
  return created;
}

describe('Pool', () => {
  it('picks the available endpoint with the fewest calls in flight', () => {
    const busy = endpoint('127.0.0.1:1', true, 5);
    const idle = endpoint('127.0.0.1:2', true, 1);
    const down = endpoint('127.0.0.1:3', false, 0);
    const pool = new Pool('p', 'r', [busy, idle, down]);
    for (let i = 0; i < 6; i++) expect(pool.pick(undefined, true)).toBe(idle);
  });

  it('rotates among equally loaded endpoints', () => {
    const endpoints = ['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'].map((a) => endpoint(a, true));
    const pool = new Pool('p', 'r', endpoints);
    const picked = new Set(Array.from({ length: 6 }, () => pool.pick(undefined, true)));
    expect(picked).toEqual(new Set(endpoints));
  });

  it('never picks the excluded endpoint (the one a retry left)', () => {
    const a = endpoint('127.0.0.1:1', true);
    const b = endpoint('127.0.0.1:2', true, 9);
    const pool = new Pool('p', 'r', [a, b]);
    for (let i = 0; i < 4; i++) expect(pool.pick(a, true)).toBe(b);
    expect(new Pool('p', 'r', [a]).pick(a, true)).toBeUndefined();
  });

  it('tries an unhealthy endpoint only in panic mode, and reports health', () => {
    const down = endpoint('127.0.0.1:1', false);
    const pool = new Pool('p', 'r', [down]);
    expect(pool.healthy()).toBe(false);
    expect(pool.pick(undefined, false)).toBeUndefined();
    expect(pool.pick(undefined, true)).toBe(down);
  });
});

describe('Endpoint ejection', () => {
  it('leaves an ejected endpoint out for the ejection time, doubling on each consecutive ejection', () => {
    const e = new Endpoint({
      address: '127.0.0.1:1',
      transport: { mode: 'mesh' },
      ejectionMs: 100,
      maxEjectionMs: 250,
      healthRetryMs: 60_000,
    });
    e.close();
    e.serving = true;
    e.eject(1000);
    expect(e.available(1050)).toBe(false);
    expect(e.available(1100)).toBe(true);
    e.eject(1100);
    expect(e.available(1299)).toBe(false);
    expect(e.available(1300)).toBe(true);
    e.eject(1300);
    expect(e.ejectedUntil).toBe(1550);
  });
});
