/**
 * Parsing helpers for plain `node:http` servers that face untrusted clients (the ops endpoint,
 * the analyzer's dashboard): whatever a client sends gets an answer, never a throw.
 */
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * The URL of a request target, or undefined when the target is not one a server can route:
 * origin-form (`/path?query`) is read as a path even when it starts with `//` (which `new
 * URL(target, base)` would take for a host), absolute-form (`http://host/path`) as RFC 9112
 * requires servers to accept, and anything else (`*`, `host:port`, text `URL` rejects) is
 * undefined.
 */
export function parseRequestTarget(target: string | undefined): URL | undefined {
  const text = target ?? '/';
  try {
    if (text.startsWith('/')) return new URL(`http://request-target${text}`);
    if (/^https?:\/\//i.test(text)) return new URL(text);
  } catch {
    // Not a URL: the caller answers 400.
  }
  return undefined;
}

/**
 * Answers CONNECT with `405 Method Not Allowed` and closes the connection. Without a
 * `connect` listener Node closes such connections without a word, so a client cannot tell a
 * refused method from a crashed server.
 */
export function refuseConnectRequests(server: Server, allow = 'GET'): void {
  server.on('connect', (_request: unknown, socket: Duplex) => {
    const body = 'method CONNECT not allowed: this server does not open tunnels\n';
    socket.on('error', () => undefined);
    socket.end(
      [
        'HTTP/1.1 405 Method Not Allowed',
        `allow: ${allow}`,
        'content-type: text/plain; charset=utf-8',
        `content-length: ${Buffer.byteLength(body)}`,
        'connection: close',
        '',
        body,
      ].join('\r\n'),
    );
  });
}
