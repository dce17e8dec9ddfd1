import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

/**
 * The line of the YAML node at `path`, or of the deepest node on the way when the path leads to
 * something that is not there (a missing key reports the mapping that lacks it).
 */
export function lineOf(
  document: Document,
  lineCounter: LineCounter,
  path: readonly PropertyKey[],
): number | undefined {
  let node: Node | null | undefined = document.contents;
  let located: Node | null | undefined = node;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (pair === undefined) {
        break;
      }
      located = (pair.value as Node | null) ?? (pair.key as Node);
      node = pair.value as Node | null;
      if (node === null) {
        break;
      }
    } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
      node = node.items[segment] as Node;
      located = node;
    } else {
      break;
    }
  }
  const offset = located?.range?.[0];
  return offset === undefined ? undefined : lineCounter.linePos(offset).line;
}

/** The line of the key `key` inside the mapping at `path`, for issues about a key itself. */
export function lineOfKey(
  document: Document,
  lineCounter: LineCounter,
  path: readonly PropertyKey[],
  key: string,
): number | undefined {
  const container = path.length === 0 ? document.contents : document.getIn(path as unknown[], true);
  if (isMap(container)) {
    const pair = container.items.find(
      (item) => isScalar(item.key) && String(item.key.value) === key,
    );
    const offset = (pair?.key as Node | undefined)?.range?.[0];
    if (offset !== undefined) {
      return lineCounter.linePos(offset).line;
    }
  }
  return lineOf(document, lineCounter, path);
}
