/**
 * Sends hand-built HTTP/1.x bytes over a real socket, so that a test can send what no HTTP
 * client library would (bad percent-encoding, odd methods, broken headers) and read back every
 * status line the server wrote.
 */
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';

/** What came back on one connection. */
export interface RawAnswer {
  /** Status codes of the interim (1xx) answers and then of the final one, in order. */
  readonly statuses: readonly number[];
  /** The bytes received, as latin1 text (for failure messages). */
  readonly text: string;
}

/** Options of {@link sendRaw}. */
export interface SendRawOptions {
  /**
   * Longest wait for the server to answer and close; past it the promise rejects, naming the
   * request, since a server that never answers is a failure of its own.
   * @default 15000
   */
  readonly giveUpMs?: number;
}

const STATUS_LINE = /^HTTP\/\d\.\d (\d{3})/;

/** Status codes of the answer's status lines: each interim one, then the final one. */
function statusesOf(text: string): number[] {
  const statuses: number[] = [];
  let rest = text;
  for (;;) {
    const match = STATUS_LINE.exec(rest);
    if (match === null) return statuses;
    const status = Number(match[1]);
    statuses.push(status);
    const headEnd = rest.indexOf('\r\n\r\n');
    if (status >= 200 || headEnd < 0) return statuses;
    rest = rest.slice(headEnd + 4);
  }
}

/**
 * Opens a connection to `url`'s host and port (TLS for `https:`, without checking the server's
 * certificate), writes `request` as is, and resolves with what the server sent once it closes
 * the connection. The request should carry `Connection: close`.
 */
export function sendRaw(
  url: string,
  request: Buffer,
  options: SendRawOptions = {},
): Promise<RawAnswer> {
  const { hostname, port, protocol } = new URL(url);
  const giveUpMs = options.giveUpMs ?? 15_000;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket: Socket =
      protocol === 'https:'
        ? connectTls({ host: hostname, port: Number(port), rejectUnauthorized: false }, () =>
            socket.end(request),
          )
        : connectTcp({ host: hostname, port: Number(port) }, () => socket.end(request));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(
          `no complete answer within ${giveUpMs} ms to ${JSON.stringify(request.toString('latin1'))}`,
        ),
      );
    }, giveUpMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A server may reset a connection it refused; what it wrote before still counts.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ statuses: statusesOf(text), text });
    });
  });
}
