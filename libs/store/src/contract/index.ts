/**
 * The Store contract suite, for backends' specs: `@verdict/store/contract`. Kept out of the
 * main entry point because it imports jest.
 */
export { describeStoreContract } from './store-contract';
export type { StoreFixture, StoreContractOptions } from './store-contract';
