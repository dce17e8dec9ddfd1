import { toBinary, type DescFile, type DescMessage } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { reflectionV1, reflectionV1alpha } from '@verdict/proto';
import { Code } from '@verdict/errors';

/** Index of the files a server describes: by file name and by fully-qualified symbol. */
interface DescriptorIndex {
  services: string[];
  byFilename: Map<string, DescFile>;
  bySymbol: Map<string, DescFile>;
}

function indexFiles(roots: readonly DescFile[], serviceNames: readonly string[]): DescriptorIndex {
  const byFilename = new Map<string, DescFile>();
  const bySymbol = new Map<string, DescFile>();
  const visit = (file: DescFile) => {
    if (byFilename.has(file.proto.name)) return;
    byFilename.set(file.proto.name, file);
    const addMessage = (message: DescMessage) => {
      bySymbol.set(message.typeName, file);
      message.nestedMessages.forEach(addMessage);
      for (const nested of message.nestedEnums) bySymbol.set(nested.typeName, file);
    };
    file.messages.forEach(addMessage);
    for (const descEnum of file.enums) bySymbol.set(descEnum.typeName, file);
    for (const service of file.services) {
      bySymbol.set(service.typeName, file);
      for (const method of service.methods)
        bySymbol.set(`${service.typeName}.${method.name}`, file);
    }
    file.dependencies.forEach(visit);
  };
  roots.forEach(visit);
  return { services: [...serviceNames].sort(), byFilename, bySymbol };
}

/** The file and everything it imports, each encoded as a FileDescriptorProto. */
function encodeWithDependencies(file: DescFile): Uint8Array[] {
  const seen = new Set<string>();
  const encoded: Uint8Array[] = [];
  const visit = (current: DescFile) => {
    if (seen.has(current.proto.name)) return;
    seen.add(current.proto.name);
    encoded.push(toBinary(FileDescriptorProtoSchema, current.proto));
    current.dependencies.forEach(visit);
  };
  visit(file);
  return encoded;
}

type ReflectionRequest = reflectionV1.ServerReflectionRequest;
type ReflectionResponseInit = {
  validHost: string;
  originalRequest: ReflectionRequest;
  messageResponse: reflectionV1.ServerReflectionResponse['messageResponse'];
};

/** Answers one reflection request; shared by v1 and v1alpha, whose messages have the same shape. */
function answer(index: DescriptorIndex, request: ReflectionRequest): ReflectionResponseInit {
  const reply = (messageResponse: ReflectionResponseInit['messageResponse']) => ({
    validHost: request.host,
    originalRequest: request,
    messageResponse,
  });
  const notFound = (what: string) =>
    reply({
      case: 'errorResponse',
      value: { errorCode: Code.NOT_FOUND, errorMessage: `${what} not found` } as never,
    });
  const files = (file: DescFile | undefined, what: string) =>
    file === undefined
      ? notFound(what)
      : reply({
          case: 'fileDescriptorResponse',
          value: { fileDescriptorProto: encodeWithDependencies(file) } as never,
        });
  const message = request.messageRequest;
  switch (message.case) {
    case 'listServices':
      return reply({
        case: 'listServicesResponse',
        value: { service: index.services.map((name) => ({ name })) } as never,
      });
    case 'fileByFilename':
      return files(index.byFilename.get(message.value), `file ${message.value}`);
    case 'fileContainingSymbol':
      return files(index.bySymbol.get(message.value), `symbol ${message.value}`);
    case 'fileContainingExtension':
      return notFound(
        `extension ${message.value.containingType}(${message.value.extensionNumber})`,
      );
    case 'allExtensionNumbersOfType':
      return index.bySymbol.has(message.value)
        ? reply({
            case: 'allExtensionNumbersResponse',
            value: { baseTypeName: message.value, extensionNumber: [] } as never,
          })
        : notFound(`type ${message.value}`);
    default:
      return reply({
        case: 'errorResponse',
        value: {
          errorCode: Code.INVALID_ARGUMENT,
          errorMessage: 'message_request: expected one of the defined requests, got none',
        } as never,
      });
  }
}

/**
 * grpc.reflection v1 and v1alpha for the given files, so grpcurl and similar tools can list
 * and describe the server's services without local .proto files.
 */
export function createReflectionServices(files: readonly DescFile[]) {
  const serviceNames = files.flatMap((file) => file.services.map((service) => service.typeName));
  serviceNames.push(
    'grpc.health.v1.Health',
    'grpc.reflection.v1.ServerReflection',
    'grpc.reflection.v1alpha.ServerReflection',
  );
  const index = indexFiles(
    [
      ...files,
      reflectionV1.file_grpc_reflection_v1_reflection,
      reflectionV1alpha.file_grpc_reflection_v1alpha_reflection,
    ],
    [...new Set(serviceNames)],
  );
  async function* serverReflectionInfo(requests: AsyncIterable<ReflectionRequest>) {
    for await (const request of requests) yield answer(index, request);
  }
  return [
    { service: reflectionV1.ServerReflection, impl: { serverReflectionInfo } },
    { service: reflectionV1alpha.ServerReflection, impl: { serverReflectionInfo } },
  ] as const;
}
