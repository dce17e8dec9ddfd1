/**
 * Compares two strings by the byte order of their UTF-8 encodings, which is what Redis (and any
 * byte-oriented store) uses. JavaScript's `<` compares UTF-16 code units instead, which puts
 * characters above U+FFFF (surrogate pairs) before U+E000..U+FFFF; mapping the code units as
 * below restores code point order without encoding either string.
 */
export function compareUtf8(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      return codePointRank(x) - codePointRank(y);
    }
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit < 0xd800) {
    return unit;
  }
  // Surrogates (0xD800..0xDFFF) stand for code points above 0xFFFF: move them past the BMP.
  return unit <= 0xdfff ? unit + 0x2000 : unit - 0x800;
}
