/**
 * The dashboard's HTTP(S) server: read-only pages and the JSON they poll, behind a client
 * certificate (mTLS) or a bearer token.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { InvalidArgumentError, NotFoundError, isVerdictError, Code } from '@verdict/errors';
import type { experimentsV1 } from '@verdict/proto';
import { parseRequestTarget, refuseConnectRequests, type Logger } from '@verdict/telemetry';
import { createAccessCheck, TOKEN_COOKIE } from './auth';
import { defaultAssetsDir, loadAssets, type Asset } from './assets';
import { driftView } from './drift-view';
import { experimentPage, listPage, notFoundPage, type PageSettings } from './pages';
import type { DashboardSource, ResultsRange } from './source';
import { createTimeseries, type TimeseriesOptions } from './timeseries';
import { decisionView, experimentView, resultsView } from './views';

/** Files of the dashboard's TLS identity and the CA its clients' certificates must chain to. */
export interface DashboardTlsOptions {
  /** PEM certificate file of the server. */
  readonly cert: string;
  /** PEM private key file of the server. */
  readonly key: string;
  /** PEM CA file: clients presenting a certificate it issued get in without a token. */
  readonly ca: string;
}

/** Options of {@link startDashboard}. */
export interface DashboardOptions {
  /** Port to listen on; 0 picks a free one (read it back from the url). */
  readonly port: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Serve HTTPS and accept client certificates; without it the server speaks plain HTTP. */
  readonly tls?: DashboardTlsOptions;
  /** Bearer tokens that grant access (`Authorization: Bearer <token>`). @default [] */
  readonly tokens?: readonly string[];
  readonly source: DashboardSource;
  readonly logger: Logger;
  /** How often the pages poll, in ms. @default 5000 */
  readonly pollMs?: number;
  /** Points of the over-time plots a page asks for. @default 48 */
  readonly points?: number;
  /** Most points a client may ask the timeseries endpoint for. @default 200 */
  readonly maxPoints?: number;
  /** Most drift windows returned per model (the latest). @default 500 */
  readonly maxDriftWindows?: number;
  /** Cache of past timeseries points. */
  readonly timeseries?: TimeseriesOptions;
  /** Folder of the page scripts and stylesheet. @default the package's src/dashboard/assets */
  readonly assetsDir?: string;
}

/** A running dashboard. */
export interface Dashboard {
  /** Base URL, e.g. `https://127.0.0.1:9443`. */
  readonly url: string;
  readonly port: number;
  /** Stops accepting requests and closes open connections. */
  stop(): Promise<void>;
}

/** An HTTP answer to a request that cannot be served, with a message naming what was wrong. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const STATUS_OF_CODE: Partial<Record<Code, number>> = {
  [Code.INVALID_ARGUMENT]: 400,
  [Code.NOT_FOUND]: 404,
  [Code.UNAUTHENTICATED]: 401,
  [Code.PERMISSION_DENIED]: 403,
  [Code.FAILED_PRECONDITION]: 409,
  [Code.UNAVAILABLE]: 503,
  [Code.DEADLINE_EXCEEDED]: 504,
};

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const tokens = options.tokens ?? [];
  if (options.tls === undefined && tokens.length === 0) {
    throw new InvalidArgumentError({
      field: 'dashboard',
      expected: 'tls (client certificates) or at least one token, so that someone can get in',
      received: 'neither',
    });
  }
  const host = options.host ?? '127.0.0.1';
  const settings: PageSettings = { pollMs: options.pollMs ?? 5000, points: options.points ?? 48 };
  const maxPoints = options.maxPoints ?? 200;
  const maxDriftWindows = options.maxDriftWindows ?? 500;
  const { source, logger } = options;
  const assets = await loadAssets(options.assetsDir ?? defaultAssetsDir());
  const access = createAccessCheck(tokens);
  const timeseries = createTimeseries(source, options.timeseries);

  async function experimentOrThrow(id: string): Promise<experimentsV1.Experiment> {
    const experiment = await source.experiment(id);
    if (experiment === undefined) throw new NotFoundError({ kind: 'experiment', resource: id });
    return experiment;
  }

  async function api(parts: readonly string[], query: URLSearchParams): Promise<unknown> {
    if (parts.length === 1 && parts[0] === 'experiments') {
      return { experiments: (await source.listExperiments()).map(experimentView) };
    }
    if (parts[0] === 'experiments' && parts.length >= 2 && parts.length <= 3) {
      const experiment = await experimentOrThrow(parts[1]);
      switch (parts[2]) {
        case undefined:
          return { experiment: experimentView(experiment) };
        case 'results':
          return { results: resultsView(await source.results(experiment, rangeOf(query))) };
        case 'timeseries':
          return {
            timeseries: await timeseries.build(
              experiment,
              integerParam(query, 'points', settings.points, 2, maxPoints),
            ),
          };
        case 'decisions':
          return { decisions: (await source.decisions(experiment.id)).map(decisionView) };
      }
    }
    if (parts.length === 3 && parts[0] === 'models' && parts[2] === 'drift') {
      const series = source.drift === undefined ? undefined : await source.drift(parts[1]);
      return { drift: driftView(parts[1], series, maxDriftWindows) };
    }
    throw new HttpError(404, `no API endpoint /api/${parts.join('/')}`);
  }

  async function route(url: URL, response: ServerResponse): Promise<void> {
    const parts = url.pathname
      .split('/')
      .filter((part) => part !== '')
      .map((part) => {
        try {
          return decodeURIComponent(part);
        } catch {
          throw new HttpError(400, `path segment '${part}' is not valid percent-encoding`);
        }
      });
    if (parts[0] === 'api') {
      sendJson(response, 200, await api(parts.slice(1), url.searchParams));
      return;
    }
    if (parts.length === 0) {
      sendHtml(response, 200, listPage(settings));
      return;
    }
    if (parts.length === 2 && parts[0] === 'experiments') {
      const experiment = await experimentOrThrow(parts[1]);
      sendHtml(response, 200, experimentPage(experiment, settings));
      // The page asks for the series as soon as its scripts run: start filling the cache of
      // past points now, so that the first poll finds them computed or in flight.
      timeseries.build(experiment, settings.points).catch((error: unknown) => {
        logger.debug({ err: error, experiment: experiment.id }, 'timeseries prefetch failed');
      });
      return;
    }
    if (parts.length === 2 && parts[0] === 'assets' && assets.has(parts[1])) {
      sendAsset(response, assets.get(parts[1])!);
      return;
    }
    throw new HttpError(404, `no page ${url.pathname}`);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const wantsJson = (request.url ?? '').startsWith('/api/');
    const fail = (status: number, message: string, headers: Record<string, string> = {}) => {
      for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
      if (wantsJson) sendJson(response, status, { error: message });
      else if (status === 404) sendHtml(response, status, notFoundPage(message));
      else sendText(response, status, message);
    };
    const url = parseRequestTarget(request.url);
    if (url === undefined) {
      fail(400, 'bad request target: expected a path such as /experiments/<id>');
      return;
    }
    // A person opens `/?token=...` once: the token moves into an HttpOnly cookie and out of the
    // address bar (and of the history), then the page loads like any other.
    const signIn = url.searchParams.get('token');
    if (signIn !== null && request.method === 'GET' && access.accepts(signIn)) {
      const target = new URL(url);
      target.searchParams.delete('token');
      response.writeHead(303, {
        ...SECURITY_HEADERS,
        location: `${target.pathname}${target.search}`,
        'set-cookie': `${TOKEN_COOKIE}=${encodeURIComponent(signIn)}; HttpOnly; SameSite=Strict; Path=/${options.tls === undefined ? '' : '; Secure'}`,
        'cache-control': 'no-store',
      });
      response.end();
      return;
    }
    const granted = access.check(request);
    if (!granted.granted) {
      logger.debug({ url: request.url, reason: granted.reason }, 'dashboard request refused');
      fail(
        401,
        `unauthenticated: ${granted.reason}; present a client certificate or a bearer token`,
        {
          'www-authenticate': 'Bearer realm="verdict-dashboard"',
        },
      );
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      fail(405, `method ${request.method}: the dashboard is read-only (GET)`, {
        allow: 'GET, HEAD',
      });
      return;
    }
    try {
      await route(url, response);
    } catch (error) {
      if (error instanceof HttpError) {
        fail(error.status, error.message);
      } else if (isVerdictError(error) && STATUS_OF_CODE[error.code] !== undefined) {
        fail(STATUS_OF_CODE[error.code]!, error.message);
      } else {
        const correlationId = randomUUID();
        logger.error({ err: error, correlationId, url: request.url }, 'dashboard request failed');
        fail(500, `internal error (correlation id ${correlationId})`);
      }
    }
  }

  const listener = (request: IncomingMessage, response: ServerResponse) => {
    // handle() answers every failure it knows of; this catches a failure in answering itself
    // (the client already gone, say), which must not become an unhandled rejection.
    handle(request, response).catch((error: unknown) => {
      logger.warn({ err: error, url: request.url }, 'dashboard request could not be answered');
      response.destroy();
    });
  };
  const server: Server =
    options.tls === undefined
      ? createHttpServer(listener)
      : createHttpsServer(
          {
            cert: await readFile(options.tls.cert),
            key: await readFile(options.tls.key),
            ca: await readFile(options.tls.ca),
            requestCert: true,
            // A client without a certificate may still come with a token; `authorized` on the
            // socket tells the two apart.
            rejectUnauthorized: false,
          },
          listener,
        );
  refuseConnectRequests(server, 'GET, HEAD');
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const scheme = options.tls === undefined ? 'http' : 'https';
  const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info(
    { url, mtls: options.tls !== undefined, tokens: tokens.length },
    'dashboard listening',
  );
  return {
    url,
    port,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function rangeOf(query: URLSearchParams): ResultsRange {
  const time = (name: string): Date | undefined => {
    const text = query.get(name);
    if (text === null) return undefined;
    const date = new Date(text);
    if (Number.isNaN(date.getTime())) {
      throw new InvalidArgumentError({
        field: `query parameter '${name}'`,
        expected: 'an ISO 8601 time',
        received: JSON.stringify(text),
      });
    }
    return date;
  };
  const start = time('start');
  const end = time('end');
  return { ...(start ? { start } : {}), ...(end ? { end } : {}) };
}

function integerParam(
  query: URLSearchParams,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const text = query.get(name);
  if (text === null) return Math.min(max, Math.max(min, fallback));
  const value = Number(text);
  if (!(Number.isInteger(value) && value >= min && value <= max)) {
    throw new InvalidArgumentError({
      field: `query parameter '${name}'`,
      expected: `an integer in [${min}, ${max}]`,
      received: JSON.stringify(text),
    });
  }
  return value;
}

function send(response: ServerResponse, status: number, type: string, body: string | Buffer) {
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  response.end(body);
}

function sendJson(response: ServerResponse, status: number, value: unknown) {
  send(response, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

function sendHtml(response: ServerResponse, status: number, html: string) {
  send(response, status, 'text/html; charset=utf-8', html);
}

function sendText(response: ServerResponse, status: number, text: string) {
  send(response, status, 'text/plain; charset=utf-8', `${text}\n`);
}

function sendAsset(response: ServerResponse, asset: Asset) {
  response.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': asset.contentType,
    'content-length': asset.body.length,
    'cache-control': 'no-cache',
  });
  response.end(asset.body);
}
