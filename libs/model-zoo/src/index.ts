/**
 * ONNX models built without Python: synthetic MLPs for benchmarks, two spam classifiers trained
 * in TypeScript on the SpamAssassin corpus, the PP-OCR text-direction classifier, the signature
 * reader the model server uses, and a writer for a local model repository.
 */
export type { DenseLayer, DenseNetwork } from './dense-network';
export { predictDenseNetwork } from './dense-network';
export type { EncodeDenseNetworkOptions } from './onnx-encoder';
export { encodeDenseNetwork } from './onnx-encoder';
export type { MlpOptions } from './mlp';
export { buildMlp, createMlpWeights } from './mlp';
export type { OipDatatype, OnnxSignature, TensorSignature } from './onnx-signature';
export { readOnnxSignature } from './onnx-signature';
export type { SpamFeaturizer, SpamFeaturizerOptions, SparseFeatures } from './spam-featurizer';
export {
  SPAM_FEATURIZER_SCHEME,
  createSpamFeaturizer,
  fnv1a32,
  spamFeaturizerOptionsFromMetadata,
  tokenizeSpamText,
} from './spam-featurizer';
export type { SpamMessage, SpamSplit, SpamSplitOptions } from './spam-corpus';
export {
  SPAM_CORPUS,
  loadSpamMessages,
  spamHeldOutMessages,
  splitSpamMessages,
} from './spam-corpus';
export type { ClassifierTrainingOptions, LabelledFeatures } from './classifier-training';
export { trainDenseClassifier } from './classifier-training';
export type {
  SpamModel,
  SpamModelOptions,
  SpamModelVersion,
  SpamTrainingSettings,
} from './spam-models';
export { SPAM_TRAINING_DEFAULTS, buildSpamModel } from './spam-models';
export type { PpocrClassifier } from './ppocr';
export { PPOCR_CLASSIFIER_FILE, ppocrClassifierPath, readPpocrClassifier } from './ppocr';
export type { ModelRepositoryEntry, ModelRepositoryOptions } from './model-repository';
export { writeModelRepository } from './model-repository';
