import { readConfig } from './config';

const TLS = {
  VERDICT_TLS_CA_FILE: 'ca.pem',
  VERDICT_TLS_CERT_FILE: 'analyzer.pem',
  VERDICT_TLS_KEY_FILE: 'analyzer.key',
};

describe('analyzer configuration', () => {
  it('defaults to one local pool, the embedded store and no registry or audit address', () => {
    const config = readConfig(TLS);
    expect(config.pools).toEqual([
      { name: 'default', region: 'local', endpoints: ['127.0.0.1:50052'] },
    ]);
    expect(config.store).toEqual({ backend: 'memory' });
    expect(config.registry.address).toBeUndefined();
    expect(config.audit.address).toBeUndefined();
    expect(config.decision.tickMs).toBe(5000);
    expect(config.tables.refreshMs).toBe(30_000);
    expect(config.grpc.port).toBe(50054);
  });

  it('reads pools, addresses and intervals from the environment', () => {
    const config = readConfig({
      ...TLS,
      VERDICT_POOLS: JSON.stringify([
        { name: 'eu', region: 'eu-west', endpoints: ['ms-1.eu:50052', '[::1]:50052'] },
        { name: 'us', region: 'us-east', endpoints: ['10.0.0.7:50052'] },
      ]),
      VERDICT_REGISTRY_ADDRESS: 'registry:50053',
      VERDICT_AUDIT_ADDRESS: 'audit:50055',
      VERDICT_DECISION_TICK_MS: '250',
      VERDICT_TABLES_REFRESH_MS: '1000',
    });
    expect(config.pools.map((pool) => pool.name)).toEqual(['eu', 'us']);
    expect(config.registry.address).toBe('registry:50053');
    expect(config.audit.address).toBe('audit:50055');
    expect(config.decision.tickMs).toBe(250);
    expect(config.tables.refreshMs).toBe(1000);
  });

  it.each([
    ['not json', /VERDICT_POOLS \(env\): expected JSON/],
    ['[]', /VERDICT_POOLS \(env\): expected a pool list: at least one pool/],
    [
      '[{"name":"a","region":"r","endpoints":["host:99999"]}]',
      /VERDICT_POOLS \(env\): expected a pool list at \[0\]\[endpoints\]\[0\]: host:port/,
    ],
    [
      '[{"name":"a","region":"r","endpoints":["h:1"]},{"name":"a","region":"r","endpoints":["h:2"]}]',
      /VERDICT_POOLS \(env\): expected a pool list: unique pool names/,
    ],
    ['[{"name":"Bad Name","region":"r","endpoints":["h:1"]}]', /at \[0\]\[name\]/],
  ])('refuses VERDICT_POOLS=%s naming the setting', (pools, message) => {
    expect(() => readConfig({ ...TLS, VERDICT_POOLS: pools })).toThrow(message);
  });
});
