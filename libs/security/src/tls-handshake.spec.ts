import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { createCertificateAuthority } from './certificate-authority';
import { spiffeIdFromCertificate } from './certificate-identity';
import { issueCertificate } from './issue-certificate';
import { initDevPki, type DevPki } from './pki';

/**
 * Proves the PKI's output works with OpenSSL as Node's TLS uses it: mutual TLS with a service
 * certificate on the server side and the developer's or a foreign client certificate.
 */
describe('mutual TLS with the dev PKI', () => {
  let dir: string;
  let pki: DevPki;
  let server: Server;
  let port: number;
  let pkiCa: Buffer;
  const peers: (string | undefined)[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'verdict-tls-'));
    pki = await initDevPki({ dir, services: ['registry'] });
    pkiCa = await readFile(pki.caCert);
    server = createServer(
      {
        cert: await readFile(pki.services.registry.cert),
        key: await readFile(pki.services.registry.key),
        ca: pkiCa,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (socket) => {
        peers.push(spiffeIdFromCertificate(socket.getPeerX509Certificate()!));
        socket.end('hello');
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  /** Connects to 127.0.0.1; the server's identity is checked against `servername` or the IP. */
  function dial(options: { cert: Buffer | string; key: Buffer | string; servername?: string }) {
    // Never rejects: with TLS 1.3 the client may finish its side of the handshake before the
    // server refuses its certificate, so a refusal shows as an error or as an empty stream.
    return new Promise<{ data: string; serverId?: string; error?: Error }>((resolve) => {
      let data = '';
      let serverId: string | undefined;
      const socket: TLSSocket = connect({
        host: '127.0.0.1',
        servername: options.servername,
        port,
        cert: options.cert,
        key: options.key,
        ca: pkiCa,
      });
      socket.on('secureConnect', () => {
        serverId = spiffeIdFromCertificate(socket.getPeerX509Certificate()!);
      });
      socket.on('data', (chunk) => (data += chunk));
      socket.on('end', () => resolve({ data, serverId }));
      socket.on('error', (error) => resolve({ data, serverId, error }));
    });
  }

  /**
   * Why a server that trusts our CA would refuse a client certificate: a server that requests
   * the certificate without rejecting reports the verification error on the socket.
   */
  async function authorizationError(client: { certPem: string; keyPem: string }) {
    const inspecting = createServer({
      cert: await readFile(pki.services.registry.cert),
      key: await readFile(pki.services.registry.key),
      ca: pkiCa,
      requestCert: true,
      rejectUnauthorized: false,
    });
    await new Promise<void>((resolve) => inspecting.listen(0, '127.0.0.1', resolve));
    try {
      const accepted = once(inspecting, 'secureConnection');
      const socket = connect({
        host: '127.0.0.1',
        port: (inspecting.address() as AddressInfo).port,
        cert: client.certPem,
        key: client.keyPem,
        ca: pkiCa,
      });
      // The server side is destroyed first; the client may see the reset before its own destroy.
      socket.on('error', () => undefined);
      const [serverSide] = (await accepted) as [TLSSocket];
      const error = serverSide.authorized ? null : String(serverSide.authorizationError);
      serverSide.destroy();
      socket.destroy();
      return error;
    } finally {
      await new Promise((resolve) => inspecting.close(resolve));
    }
  }

  it('accepts the developer client certificate; each side sees the other SPIFFE ID', async () => {
    const result = await dial({
      cert: await readFile(pki.client.cert),
      key: await readFile(pki.client.key),
    });
    expect(result.error).toBeUndefined();
    expect(result.data).toBe('hello');
    expect(result.serverId).toBe('spiffe://verdict.local/ns/default/sa/registry');
    expect(peers.at(-1)).toBe('spiffe://verdict.local/ns/default/sa/developer');
  });

  it('verifies the server by host name localhost, and refuses another name', async () => {
    const client = { cert: await readFile(pki.client.cert), key: await readFile(pki.client.key) };
    expect((await dial({ ...client, servername: 'localhost' })).data).toBe('hello');
    const wrong = await dial({ ...client, servername: 'registry.example.com' });
    expect((wrong.error as NodeJS.ErrnoException | undefined)?.code).toBe(
      'ERR_TLS_CERT_ALTNAME_INVALID',
    );
  });

  it('refuses a client whose certificate comes from another CA', async () => {
    const foreignCa = await createCertificateAuthority();
    const foreign = await issueCertificate({
      ca: foreignCa,
      spiffeId: 'spiffe://verdict.local/ns/default/sa/developer',
      serverAuth: false,
    });
    const accepted = peers.length;
    const refused = once(server, 'tlsClientError');
    const result = await dial({ cert: foreign.certPem, key: foreign.keyPem });
    await refused;
    expect(result.data).toBe('');
    expect(peers).toHaveLength(accepted);
    expect(await authorizationError(foreign)).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('reports our own client certificate as authorized (control for the refusal)', async () => {
    const client = {
      certPem: await readFile(pki.client.cert, 'utf8'),
      keyPem: await readFile(pki.client.key, 'utf8'),
    };
    expect(await authorizationError(client)).toBeNull();
  });
});
