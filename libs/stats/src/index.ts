export type {
  MeanSummary,
  BinomialSummary,
  Moments,
  Comparison,
  ComparisonOptions,
} from './summary';
export { momentsOf } from './summary';
export type { InsufficientData } from './insufficient';
export { MIN_UNITS_PER_ARM, estimated, insufficient, isInsufficient } from './insufficient';
export type { ZTestOptions } from './frequentist';
export {
  twoProportionZTest,
  welchTTest,
  welchTTestFromMoments,
  relativeLift,
  relativeWald,
  waldComparison,
} from './frequentist';
export type { SequentialOptions, SequentialComparison, SequentialMonitor } from './sequential';
export {
  DEFAULT_MIXING_EFFECT_SIZE,
  mixtureSprt,
  sequentialProportionTest,
  sequentialMeanTest,
  sequentialMeanTestFromMoments,
  createSequentialMonitor,
} from './sequential';
export type { BayesianOptions, BayesianComparison } from './bayesian';
export { betaBinomialComparison, normalComparison, normalComparisonFromMoments } from './bayesian';
export type { SrmOptions, SrmResult, SequentialSrmOptions, SequentialSrmResult } from './srm';
export { sampleRatioMismatch, sequentialSampleRatioMismatch } from './srm';
export type { RatioSummary } from './ratio';
export { ratioMoments, ratioTTest, ratioSequentialTest, ratioBayesianComparison } from './ratio';
export type { CovariateSummary, CupedResult } from './cuped';
export { cuped } from './cuped';
export type { CorrectionResult } from './corrections';
export { bonferroni, holm, benjaminiHochberg } from './corrections';
export type { PercentileOptions, PercentileInterval } from './percentile';
export { percentileInterval, histogramPercentileInterval, percentileRanks } from './percentile';
export type { ThompsonOptions, BinomialPeriod, MeanPeriod } from './bandit';
export {
  thompsonWeights,
  periodStratifiedDifference,
  stratifiedSequentialTest,
  stratifiedMeanSequentialTest,
  stratifiedMeanDifference,
} from './bandit';
export type { PsiOptions, PsiResult, KsOptions, KsResult, ChiSquareResult } from './drift';
export {
  quantileEdges,
  binCounts,
  psi,
  psiFromCounts,
  ksTwoSample,
  chiSquareHomogeneity,
} from './drift';
export type {
  CompareArm,
  CompareInput,
  CompareOutput,
  InsufficientOutput,
  SrmInput,
  SrmOutput,
} from './json-api';
export { compare, srm } from './json-api';
export type { Random } from './random';
export { createRandom } from './random';
export { normalCdf, normalSf, normalPdf, normalQuantile } from './special/normal';
export {
  studentTCdf,
  studentTSf,
  studentTQuantile,
  chiSquareCdf,
  chiSquareSf,
  binomialCdf,
  binomialQuantile,
  betaCdf,
  betaSf,
  betaPdf,
  kolmogorovSf,
} from './special/distributions';
export { regularizedBeta, logBeta } from './special/beta';
export { regularizedGammaP, regularizedGammaQ, logGamma } from './special/gamma';
