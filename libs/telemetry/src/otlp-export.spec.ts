import { execFile } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

// The OTLP exporter loads `http` with a dynamic import(), which Jest's module sandbox cannot
// run. The export is therefore exercised the way a service runs it: in a plain Node child
// process that loads this library's TypeScript through a minimal transpile-on-require hook.
const CHILD = `
const ts = require('typescript');
const fs = require('node:fs');
require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  module._compile(outputText, filename);
};
const { createTracing } = require(process.argv[1]);
(async () => {
  const tracing = createTracing({ serviceName: 'otlp-child', otlpEndpoint: process.argv[2] });
  tracing.tracer().startSpan('to-collector').end();
  await tracing.forceFlush();
  await tracing.shutdown();
})().catch((error) => { console.error(error); process.exit(1); });
`;

interface Received {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

describe('OTLP export', () => {
  let collector: Server;
  let received: Received[];
  let endpoint: string;

  beforeEach(async () => {
    received = [];
    collector = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({
          method: request.method,
          url: request.url,
          headers: request.headers,
          body: Buffer.concat(chunks),
        });
        response.writeHead(200, { 'content-type': 'application/x-protobuf' });
        response.end();
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/`;
  });
  afterEach(async () => {
    collector.closeAllConnections();
    await new Promise((resolve) => collector.close(resolve));
  });

  it('posts ended spans as protobuf to <endpoint>/v1/traces', async () => {
    await new Promise<void>((resolve, reject) => {
      execFile(
        process.execPath,
        ['-e', CHILD, join(__dirname, 'tracing.ts'), endpoint],
        { cwd: __dirname, timeout: 20_000 },
        (error, _stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(),
      );
    });

    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/v1/traces');
    expect(request?.headers['content-type']).toBe('application/x-protobuf');
    expect(request?.body.includes('to-collector')).toBe(true);
    expect(request?.body.includes('otlp-child')).toBe(true);
  });
});
