// Turns an extracted format string into a message the kernel could print with it.
export interface Family {
  format: string;
  source: string;
  kind: 'error' | 'info';
  fragment?: boolean;
  origin?: string;
  printedAfter?: string;
}

/** A message the format string could print: conversions replaced by plausible values. */
export function sampleOf(f: Family): string {
  const text = f.format
    .replace(/%%/g, '%')
    .replace(/%[-+ #0]*\d*(?:\.\d+)?(?:ll|l|z|h|hh|j|t)?[diu]/g, '7')
    .replace(/%[-+ #0]*\d*(?:ll|l|z|h)?[xX]/g, '1f')
    .replace(/%[-+ #0]*\d*(?:\.\d+)?s/g, 'foo')
    .replace(/%c/g, 'y')
    .replace(/%p[a-zA-Z]*/g, '0x0')
    .replace(/^\t/, '');
  return f.printedAfter ? `[7] STRUCT foo ${text}` : text;
}
