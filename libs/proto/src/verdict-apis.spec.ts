import { create, fromBinary, toBinary, type DescService } from '@bufbuild/protobuf';
import { auditV1, driftV1, experimentsV1, registryV1 } from './index';

function methodKinds(service: DescService): string[] {
  return service.methods.map((method) => `${method.name} ${method.methodKind}`);
}

describe('own APIs', () => {
  it('registry streams uploads in, downloads and alias moves out', () => {
    expect(registryV1.RegistryService.typeName).toBe('verdict.registry.v1.RegistryService');
    expect(methodKinds(registryV1.RegistryService)).toEqual([
      'CreateModel unary',
      'GetModel unary',
      'ListModels unary',
      'UploadVersion client_streaming',
      'GetVersion unary',
      'ListVersions unary',
      'DownloadVersion server_streaming',
      'SetAlias unary',
      'GetAlias unary',
      'AliasHistory unary',
      'WatchAliases server_streaming',
      'ArchiveVersion unary',
      'RewrapKeys unary',
    ]);
  });

  it('experiments, routing and ingest expose their methods', () => {
    expect(methodKinds(experimentsV1.ExperimentService)).toEqual([
      'CreateExperiment unary',
      'UpdateExperiment unary',
      'GetExperiment unary',
      'ListExperiments unary',
      'StartExperiment unary',
      'PauseExperiment unary',
      'StopExperiment unary',
      'ConcludeExperiment unary',
      'GetResults unary',
      'ListDecisions unary',
    ]);
    expect(methodKinds(experimentsV1.RoutingService)).toEqual([
      'GetRoutingTable unary',
      'WatchRoutingTable server_streaming',
    ]);
    expect(methodKinds(experimentsV1.IngestService)).toEqual([
      'RecordExposures unary',
      'RecordShadowComparisons unary',
      'RecordOutcomes unary',
    ]);
  });

  it('audit appends in batches and exports as a stream', () => {
    expect(methodKinds(auditV1.AuditService)).toEqual([
      'Append unary',
      'AppendStream client_streaming',
      'GetCheckpoint unary',
      'GetInclusionProof unary',
      'GetConsistencyProof unary',
      'Query unary',
      'Export server_streaming',
    ]);
  });

  it('drift takes profiles and samples and reports windows and alerts', () => {
    expect(methodKinds(driftV1.DriftService)).toEqual([
      'PutReferenceProfile unary',
      'GetReferenceProfile unary',
      'RecordInputSamples unary',
      'GetDriftStatus unary',
      'ListDriftAlerts unary',
    ]);
  });

  it('carries an upload header and a chunk as alternatives of one message', () => {
    const schema = registryV1.UploadVersionRequestSchema;
    const header = create(schema, {
      content: {
        case: 'header',
        value: { model: 'spam', sha256: 'ab'.repeat(32), metadata: { owner: 'ml' } },
      },
    });
    const chunk = create(schema, { content: { case: 'chunk', value: new Uint8Array([1, 2, 3]) } });
    expect(fromBinary(schema, toBinary(schema, header)).content).toEqual(header.content);
    expect(fromBinary(schema, toBinary(schema, chunk)).content).toEqual({
      case: 'chunk',
      value: new Uint8Array([1, 2, 3]),
    });
  });

  it('tells an unconditional alias move from a compare-and-set on "must not exist"', () => {
    const schema = registryV1.SetAliasRequestSchema;
    const unconditional = fromBinary(
      schema,
      toBinary(schema, create(schema, { model: 'spam', alias: 'production', version: 2n })),
    );
    const mustNotExist = fromBinary(
      schema,
      toBinary(
        schema,
        create(schema, { model: 'spam', alias: 'production', version: 2n, expectedVersion: 0n }),
      ),
    );
    expect(unconditional.expectedVersion).toBeUndefined();
    expect(mustNotExist.expectedVersion).toBe(0n);
  });

  it('round-trips an audit record with its serving metadata', () => {
    const schema = auditV1.RecordSchema;
    const record = create(schema, {
      id: 'rec-1',
      time: { seconds: 1_700_000_000n, nanos: 5 },
      actor: 'spiffe://verdict.local/ns/default/sa/router',
      action: 'inference.request',
      resource: 'model/spam/version/2',
      outcome: auditV1.Outcome.SUCCESS,
      details: { route: 'ab' },
      serving: {
        model: 'spam',
        version: '2',
        latencyUs: 850n,
        inputSha256: 'cd'.repeat(32),
        inputBytes: 256n,
      },
    });
    expect(fromBinary(schema, toBinary(schema, record))).toEqual(record);
  });
});
