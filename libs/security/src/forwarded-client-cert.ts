import { UnauthenticatedError } from '@verdict/errors';

/**
 * One element of an `x-forwarded-client-cert` header: its keys (By, Hash, Cert, Chain,
 * Subject, URI, DNS) lower-cased, each with every value given for it, unquoted.
 */
export type ForwardedClientCertElement = Readonly<Record<string, readonly string[]>>;

/**
 * Parses Envoy's `x-forwarded-client-cert` header
 * (https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/headers#x-forwarded-client-cert):
 * elements separated by `,`, key=value pairs by `;`, values containing `,`, `;` or `=` in
 * double quotes with `\"` for a quote. Several header lines are read as one list, in order.
 *
 * @throws UnauthenticatedError when the header is malformed
 */
export function parseForwardedClientCertElements(
  header: string | readonly string[],
): ForwardedClientCertElement[] {
  const text = typeof header === 'string' ? header : header.join(',');
  const elements: Record<string, string[]>[] = [];
  // Null-prototype records, so a key such as `constructor` is a key like any other.
  const emptyElement = (): Record<string, string[]> => Object.create(null);
  let element = emptyElement();
  let position = 0;
  const fail = (why: string): never => {
    throw new UnauthenticatedError(
      `malformed x-forwarded-client-cert header: ${why} at offset ${position}`,
    );
  };
  const finishElement = () => {
    if (Object.keys(element).length === 0) {
      fail('empty element');
    }
    elements.push(element);
    element = emptyElement();
  };
  while (position < text.length) {
    const equals = text.indexOf('=', position);
    if (equals === -1) {
      fail("key without '='");
    }
    const key = text.slice(position, equals).trim().toLowerCase();
    if (!/^[a-z]+$/.test(key)) {
      fail(`invalid key ${JSON.stringify(key.slice(0, 40))}`);
    }
    position = equals + 1;
    let value = '';
    if (text[position] === '"') {
      position += 1;
      for (; position < text.length && text[position] !== '"'; position += 1) {
        if (text[position] === '\\' && position + 1 < text.length) {
          position += 1;
        }
        value += text[position];
      }
      if (position >= text.length) {
        fail('unterminated quoted value');
      }
      position += 1;
    } else {
      const end = nextDelimiter(text, position);
      value = text.slice(position, end);
      if (value.includes('"') || value.includes('=')) {
        fail('unquoted value containing a quote or =');
      }
      position = end;
    }
    (element[key] ??= []).push(value);
    while (text[position] === ' ') {
      position += 1;
    }
    if (position >= text.length) {
      break;
    }
    const delimiter = text[position];
    position += 1;
    if (delimiter === ',') {
      finishElement();
    } else if (delimiter !== ';') {
      fail(`unexpected ${JSON.stringify(delimiter)}`);
    }
  }
  finishElement();
  return elements;
}

/**
 * The URI of the immediate client from an `x-forwarded-client-cert` header: the last
 * element's `URI` (each proxy appends the certificate of the peer it received from), or
 * `undefined` when the header is absent or that element has no URI. Trust this header only
 * where a sidecar terminates mTLS and overwrites it (mesh mode); anywhere else a caller can
 * write it.
 *
 * @throws UnauthenticatedError when the header is malformed or the last element carries more
 *   than one URI
 */
export function parseForwardedClientCert(
  header: string | readonly string[] | undefined,
): string | undefined {
  if (header === undefined || header.length === 0) {
    return undefined;
  }
  const elements = parseForwardedClientCertElements(header);
  const uris = elements[elements.length - 1].uri ?? [];
  if (uris.length > 1) {
    throw new UnauthenticatedError(
      `x-forwarded-client-cert names ${uris.length} URIs for the client; expected one`,
    );
  }
  return uris[0];
}

function nextDelimiter(text: string, from: number): number {
  for (let index = from; index < text.length; index += 1) {
    if (text[index] === ',' || text[index] === ';') {
      return index;
    }
  }
  return text.length;
}
