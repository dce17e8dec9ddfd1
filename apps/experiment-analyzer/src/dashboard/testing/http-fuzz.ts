/**
 * fast-check arbitraries of HTTP/1.x requests as raw bytes: methods, request targets (paths of
 * known and made-up segments, broken percent-encoding, absolute and asterisk forms), query
 * strings, headers and cookies, some well-formed enough to pass authentication and reach the
 * routes, others malformed at every level the server parses.
 */
import fc from 'fast-check';

/** What the generated requests know about the server under test. */
export interface HttpFuzzTarget {
  /** Path segments the server routes on, so that generated paths reach real handlers. */
  readonly segments: readonly string[];
  /** Query parameter names the server reads. */
  readonly queryNames: readonly string[];
  /** Header lines that authenticate (e.g. `Authorization: Bearer ...`); one may be added. */
  readonly credentials: readonly string[];
  /** Cookie names the server reads. */
  readonly cookieNames: readonly string[];
}

/** One generated request and its bytes. */
export interface FuzzedRequest {
  readonly bytes: Buffer;
  /** The request as text, for a failure message. */
  readonly text: string;
}

const BROKEN_ESCAPES = ['%', '%E0%A4%A', '%ZZ', '%00', '%2F', '%C0%AF', '%FF%FE', '%%', '%u0041'];

/** Any character of Latin-1, control characters included (the server parses bytes, not text). */
const latin1 = fc.string({
  unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)),
});

const printable = fc.string({
  unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 40,
});

const method = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('GET', 'HEAD') },
  {
    weight: 3,
    arbitrary: fc.constantFrom('POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT'),
  },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z-]{1,12}$/) },
);

const version = fc.oneof(
  { weight: 8, arbitrary: fc.constant('HTTP/1.1') },
  {
    weight: 2,
    arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/1.x', 'XTTP/1.1'),
  },
);

function segment(target: HttpFuzzTarget): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...target.segments) },
    { weight: 2, arbitrary: fc.constantFrom(...BROKEN_ESCAPES, '..', '.', '', '~') },
    { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9._~%-]{0,24}$/) },
    { weight: 1, arbitrary: printable },
  );
}

function query(target: HttpFuzzTarget): fc.Arbitrary<string> {
  const value = fc.oneof(
    fc.integer({ min: -10, max: 1000 }).map(String),
    fc.constantFrom('', '2026-12-05T09:00:00Z', 'yesterday', 'NaN', '1e999', ...BROKEN_ESCAPES),
    fc.stringMatching(/^[A-Za-z0-9%+=&:.-]{0,24}$/),
  );
  const pair = fc
    .tuple(
      fc.oneof(fc.constantFrom(...target.queryNames), fc.stringMatching(/^[a-z%]{0,8}$/)),
      value,
    )
    .map(([name, v]) => `${name}=${v}`);
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant('') },
    {
      weight: 4,
      arbitrary: fc.array(pair, { maxLength: 4 }).map((pairs) => `?${pairs.join('&')}`),
    },
    { weight: 1, arbitrary: printable.map((text) => `?${text}`) },
  );
}

function requestTarget(target: HttpFuzzTarget): fc.Arbitrary<string> {
  const path = fc
    .array(segment(target), { minLength: 0, maxLength: 5 })
    .map((parts) => `/${parts.join('/')}`);
  return fc.oneof(
    { weight: 12, arbitrary: fc.tuple(path, query(target)).map(([p, q]) => `${p}${q}`) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '*',
        '//',
        '//evil.example/x',
        'http://evil.example/healthz',
        '/%',
        '',
      ),
    },
    { weight: 1, arbitrary: fc.tuple(path, latin1).map(([p, junk]) => `${p}${junk}`) },
  );
}

function cookieHeader(target: HttpFuzzTarget): fc.Arbitrary<string> {
  const value = fc.oneof(
    fc.constantFrom(...BROKEN_ESCAPES, '', '"', '=;', '%E0%A4%A;%E0'),
    fc.stringMatching(/^[A-Za-z0-9%=;" -]{0,30}$/),
    latin1,
  );
  const pair = fc
    .tuple(
      fc.oneof(fc.constantFrom(...target.cookieNames), fc.stringMatching(/^[a-z_]{0,10}$/)),
      value,
    )
    .map(([name, v]) => `${name}=${v}`);
  return fc
    .array(pair, { minLength: 1, maxLength: 3 })
    .map((pairs) => `Cookie: ${pairs.join('; ')}`);
}

function header(target: HttpFuzzTarget): fc.Arbitrary<string> {
  const name = fc.oneof(
    fc.constantFrom(
      'Authorization',
      'Accept',
      'Content-Type',
      'Content-Length',
      'Transfer-Encoding',
      'Expect',
      'Upgrade',
      'Range',
      'If-None-Match',
      'X-Forwarded-For',
      'Host',
    ),
    fc.stringMatching(/^[A-Za-z-]{1,16}$/),
    printable,
  );
  const value = fc.oneof(
    fc.constantFrom(
      'Bearer',
      'Bearer ',
      'Bearer %E0%A4%A',
      'chunked',
      '100-continue',
      'websocket',
      '-1',
      '99999999999999999999',
    ),
    printable,
    latin1,
  );
  return fc.oneof(
    { weight: 4, arbitrary: fc.tuple(name, value).map(([n, v]) => `${n}: ${v}`) },
    { weight: 2, arbitrary: cookieHeader(target) },
    { weight: 1, arbitrary: latin1 },
  );
}

/** Requests against `target`: about half carry valid credentials, so routing is reached. */
export function httpRequests(target: HttpFuzzTarget): fc.Arbitrary<FuzzedRequest> {
  const credentials =
    target.credentials.length === 0
      ? fc.constant<string[]>([])
      : fc
          .option(fc.constantFrom(...target.credentials), { nil: undefined })
          .map((line) => (line === undefined ? [] : [line]));
  return fc
    .record({
      method,
      target: requestTarget(target),
      version,
      host: fc.oneof(
        { weight: 9, arbitrary: fc.constant(['Host: localhost']) },
        { weight: 1, arbitrary: fc.constant<string[]>([]) },
      ),
      credentials,
      headers: fc.array(header(target), { maxLength: 5 }),
    })
    .map((r) => {
      const lines = [
        `${r.method} ${r.target} ${r.version}`,
        ...r.host,
        ...r.credentials,
        ...r.headers,
        'Connection: close',
      ];
      const text = `${lines.join('\r\n')}\r\n\r\n`;
      return { bytes: Buffer.from(text, 'latin1'), text };
    });
}
