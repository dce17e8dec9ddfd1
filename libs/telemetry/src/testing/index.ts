/**
 * `@verdict/telemetry/testing`: an in-process OTLP/HTTP receiver for tests that check the spans
 * a service exports. Kept out of the main entry point so production code never loads it.
 */
export { decodeSpans, startOtlpReceiver } from './otlp-receiver';
export type { OtlpReceiver, ReceivedSpan } from './otlp-receiver';
