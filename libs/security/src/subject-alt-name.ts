/** One entry of a certificate's subjectAltName as Node prints it, e.g. `{ type: 'URI', value }`. */
export interface SubjectAltNameEntry {
  /** Node's label: `DNS`, `URI`, `IP Address`, `email`, `DirName`, `Registered ID`, ... */
  readonly type: string;
  readonly value: string;
}

/**
 * Parses Node's `X509Certificate.subjectAltName` text (`DNS:a, URI:b, IP Address:c`). Since the
 * fix for CVE-2021-44532, Node writes any value that holds a separator or a non-ASCII
 * character as a JSON string literal (`URI:"spiffe://td/a\u002cb"`); a naive split on `, `
 * would let one crafted name pose as two. Such values are decoded here, so each entry is
 * exactly one name from the certificate.
 *
 * @throws Error when the text is not in that format (Node never produces such text)
 */
export function parseSubjectAltNames(text: string | undefined): SubjectAltNameEntry[] {
  const entries: SubjectAltNameEntry[] = [];
  if (text === undefined || text === '') {
    return entries;
  }
  let position = 0;
  while (position < text.length) {
    const colon = text.indexOf(':', position);
    if (colon === -1) {
      throw new Error(`subjectAltName entry without a type at offset ${position}`);
    }
    const type = text.slice(position, colon);
    let value: string;
    let end: number;
    if (text[colon + 1] === '"') {
      end = endOfJsonString(text, colon + 1);
      value = JSON.parse(text.slice(colon + 1, end)) as string;
    } else {
      const separator = text.indexOf(', ', colon + 1);
      end = separator === -1 ? text.length : separator;
      value = text.slice(colon + 1, end);
    }
    entries.push({ type, value });
    if (end === text.length) {
      break;
    }
    if (!text.startsWith(', ', end)) {
      throw new Error(`subjectAltName entries must be separated by ', ' (offset ${end})`);
    }
    position = end + 2;
  }
  return entries;
}

/** The index just past the JSON string literal that opens at `start`. */
function endOfJsonString(text: string, start: number): number {
  for (let index = start + 1; index < text.length; index += 1) {
    if (text[index] === '\\') {
      index += 1;
    } else if (text[index] === '"') {
      return index + 1;
    }
  }
  throw new Error(`unterminated quoted subjectAltName value at offset ${start}`);
}
