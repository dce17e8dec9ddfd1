/**
 * `@verdict/grpc-kit/testing`: what other packages' tests use of the kit's test helpers. Kept
 * out of the main entry point so production code never loads it.
 */
export { createTestPki } from './test-pki';
export type { TestPki } from './test-pki';
