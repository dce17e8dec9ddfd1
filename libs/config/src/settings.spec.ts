import { envName } from './index';

describe('envName', () => {
  it.each([
    [['grpc', 'port'], 'VERDICT_GRPC_PORT'],
    [['tls', 'certFile'], 'VERDICT_TLS_CERT_FILE'],
    [['grpc', 'maxMessageBytes'], 'VERDICT_GRPC_MAX_MESSAGE_BYTES'],
    [['otlpEndpoint'], 'VERDICT_OTLP_ENDPOINT'],
    [['store', 'redisUrl'], 'VERDICT_STORE_REDIS_URL'],
    [['http2Window'], 'VERDICT_HTTP2_WINDOW'],
    [['jwksURL'], 'VERDICT_JWKS_URL'],
    [['spiffeIDPrefix'], 'VERDICT_SPIFFE_ID_PREFIX'],
  ])('maps %j to %s', (path, name) => {
    expect(envName('VERDICT_', path)).toBe(name);
  });
});
