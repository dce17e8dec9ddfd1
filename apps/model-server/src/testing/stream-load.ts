/**
 * A steady ModelStreamInfer load, run as its own process (`node --import tsx stream-load.ts`)
 * so that the load generator's CPU is not the model server's. Settings come as one JSON
 * argument ({@link StreamLoadSettings}); stdin lines `mark` and `stop` control it, and it prints
 * one JSON {@link StreamLoadReport} on stdout when the stream has ended.
 */
import { createInterface } from 'node:readline';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { createClient, type ClientTransportOptions } from '@verdict/grpc-kit';
import { inference } from '@verdict/proto';

/** What the load process is told. */
export interface StreamLoadSettings {
  readonly address: string;
  readonly transport: ClientTransportOptions;
  readonly model: string;
  /** Requests offered per second, on a schedule that does not drift with timer lateness. */
  readonly requestsPerSecond: number;
  /** Floats in each request's one FP32 row (`input` [1, width]). */
  readonly width: number;
}

/** What the load process reports. */
export interface StreamLoadReport {
  readonly sent: number;
  readonly received: number;
  readonly failures: readonly string[];
  /** Answers per model version. */
  readonly versions: Readonly<Record<string, number>>;
  /** Answers received between consecutive `mark` lines (one entry per interval). */
  readonly answeredBetweenMarks: readonly number[];
  /** Milliseconds between consecutive `mark` lines, by this process's clock. */
  readonly msBetweenMarks: readonly number[];
}

/** Interval of the send loop; each tick sends what the elapsed time calls for. */
const TICK_MS = 2;

type Request = MessageInitShape<typeof inference.ModelInferRequestSchema>;

async function main(settings: StreamLoadSettings): Promise<StreamLoadReport> {
  const client = createClient(inference.GRPCInferenceService, {
    address: settings.address,
    transport: settings.transport,
  });
  const input = new Uint8Array(new Float32Array(settings.width).fill(0.5).buffer);
  const tensor = { name: 'input', datatype: 'FP32', shape: [1n, BigInt(settings.width)] };
  const pending: Request[] = [];
  let wake: (() => void) | undefined;
  let sending = true;
  let sent = 0;
  let received = 0;
  const marks: { at: number; received: number }[] = [];
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line === 'mark') marks.push({ at: performance.now(), received });
    if (line === 'stop') sending = false;
  });
  async function* requests(): AsyncIterable<Request> {
    for (;;) {
      while (pending.length > 0) yield pending.shift()!;
      if (!sending) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  }
  const versions: Record<string, number> = {};
  const failures: string[] = [];
  const responses = (async () => {
    for await (const response of client.modelStreamInfer(requests(), { timeoutMs: 300_000 })) {
      received++;
      if (response.errorMessage !== '') failures.push(response.errorMessage);
      else {
        const version = response.inferResponse!.modelVersion;
        versions[version] = (versions[version] ?? 0) + 1;
      }
    }
  })();
  const started = performance.now();
  while (sending) {
    const due =
      Math.floor(((performance.now() - started) * settings.requestsPerSecond) / 1000) - sent;
    for (let i = 0; i < due; i++) {
      pending.push({
        modelName: settings.model,
        id: String(sent++),
        inputs: [tensor],
        rawInputContents: [input],
      });
    }
    wake?.();
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  wake?.();
  await responses;
  lines.close();
  client.close();
  return {
    sent,
    received,
    failures,
    versions,
    answeredBetweenMarks: marks.slice(1).map((mark, i) => mark.received - marks[i].received),
    msBetweenMarks: marks.slice(1).map((mark, i) => mark.at - marks[i].at),
  };
}

if (require.main === module) {
  void main(JSON.parse(process.argv[2]) as StreamLoadSettings).then(
    (report) => process.stdout.write(`${JSON.stringify(report)}\n`),
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
