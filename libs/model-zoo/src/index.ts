export type { DenseLayer, DenseNetwork } from './dense-network';
export { predictDenseNetwork } from './dense-network';
export type { EncodeDenseNetworkOptions } from './onnx-encoder';
export { encodeDenseNetwork } from './onnx-encoder';
export type { MlpOptions } from './mlp';
export { buildMlp, createMlpWeights } from './mlp';
export type { OipDatatype, OnnxSignature, TensorSignature } from './onnx-signature';
export { readOnnxSignature } from './onnx-signature';
