import { InvalidArgumentError } from '@verdict/errors';
import type { CallContext, ServiceImpl } from '@verdict/grpc-kit';
import { registryV1 } from '@verdict/proto';
import type { Actor } from '@verdict/audit-client';
import type { Registry, VersionSelector } from './domain/registry';

// W3C traceparent: version-traceid-parentid-flags.
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

function actorOf(context: CallContext): Actor {
  const match = TRACEPARENT.exec(context.requestHeaders.get('traceparent') ?? '');
  return { principal: context.principal, traceId: match?.[1] ?? '' };
}

function selectorOf(
  selector:
    | { case: 'version'; value: bigint }
    | { case: 'alias'; value: string }
    | { case: undefined; value?: undefined },
): VersionSelector {
  if (selector.case === 'version') return { version: selector.value };
  if (selector.case === 'alias') return { alias: selector.value };
  throw new InvalidArgumentError({
    field: 'selector',
    expected: 'a version number or an alias',
    received: 'neither',
  });
}

async function* chunksAfterHeader(
  iterator: AsyncIterator<registryV1.UploadVersionRequest>,
): AsyncGenerator<Uint8Array> {
  for (;;) {
    const next = await iterator.next();
    if (next.done) return;
    if (next.value.content.case !== 'chunk') {
      throw new InvalidArgumentError({
        field: 'content',
        expected: 'a chunk after the header',
        received: next.value.content.case ?? 'nothing',
      });
    }
    yield next.value.content.value;
  }
}

/** gRPC handlers: translate messages to registry calls and back, nothing more. */
export function createRegistryHandlers(
  registry: Registry,
): ServiceImpl<typeof registryV1.RegistryService.method> {
  return {
    createModel: async (request, context) => ({
      model: await registry.createModel(actorOf(context), request),
    }),
    getModel: (request, context) => registry.getModel(actorOf(context), request.name),
    listModels: (request, context) => registry.listModels(actorOf(context), request),
    async uploadVersion(requests, context) {
      const iterator = requests[Symbol.asyncIterator]();
      const first = await iterator.next();
      if (first.done || first.value.content.case !== 'header') {
        throw new InvalidArgumentError({
          field: 'content',
          expected: 'a header in the first message',
          received: first.done ? 'no messages' : (first.value.content.case ?? 'nothing'),
        });
      }
      return registry.uploadVersion(
        actorOf(context),
        first.value.content.value,
        chunksAfterHeader(iterator),
      );
    },
    getVersion: async (request, context) => ({
      version: await registry.getVersion(
        actorOf(context),
        request.model,
        selectorOf(request.selector),
      ),
    }),
    listVersions: (request, context) => registry.listVersions(actorOf(context), request),
    async *downloadVersion(request, context) {
      const download = await registry.downloadVersion(
        actorOf(context),
        request.model,
        selectorOf(request.selector),
        request.offset,
      );
      yield {
        content: {
          case: 'header',
          value: {
            version: download.version,
            sha256: download.version.sha256,
            sizeBytes: download.sizeBytes,
            offset: download.offset,
          },
        },
      };
      for await (const chunk of download.chunks) yield { content: { case: 'chunk', value: chunk } };
    },
    setAlias: (request, context) =>
      registry.setAlias(actorOf(context), {
        model: request.model,
        alias: request.alias,
        version: request.version,
        ...(request.expectedVersion === undefined
          ? {}
          : { expectedVersion: request.expectedVersion }),
      }),
    getAlias: (request, context) =>
      registry.getAlias(actorOf(context), request.model, request.alias),
    aliasHistory: (request, context) => registry.aliasHistory(actorOf(context), request),
    async *watchAliases(request, context) {
      for await (const event of registry.watchAliases(
        actorOf(context),
        request.aliases,
        request.afterRevision,
        context.signal,
      )) {
        yield 'move' in event
          ? { event: { case: 'move', value: event.move } }
          : { event: { case: 'synced', value: { revision: event.synced } } };
      }
    },
    archiveVersion: async (request, context) => ({
      version: await registry.archiveVersion(
        actorOf(context),
        request.model,
        request.version,
        request.reason,
      ),
    }),
    async rewrapKeys(request, context) {
      const result = await registry.rewrapKeys(actorOf(context), request);
      return {
        keyId: result.keyId,
        rewrappedCount: BigInt(result.rewrapped),
        unchangedCount: BigInt(result.unchanged),
      };
    },
  };
}
