// Where a trace line was printed: every bpf_printk / bpf_trace_printk / bpf_stream_printk call of
// a C source, its format string turned into a pattern, and the call whose pattern matches a line
// best (the one with the most literal text, so "%s" alone never wins over a specific format).
// Pure: the extension reads the sources and links trace lines to these sites.

export interface PrintkSite {
  /** 0-based line and column of the call's name. */
  line: number;
  column: number;
  format: string;
  pattern: RegExp;
  /** Characters of literal (non-conversion) text: how specific the pattern is. */
  literal: number;
}

const CALL = /\b(bpf_printk|bpf_trace_printk|bpf_stream_printk|BPF_PRINTK|bpf_printk_debug)\s*\(/g;

/** The C string literal(s) starting at `i` (adjacent literals concatenate), decoded; or undefined. */
function readLiteral(src: string, i: number): { value: string; end: number } | undefined {
  let value = '';
  let found = false;
  for (;;) {
    while (i < src.length && /\s/.test(src[i])) i++;
    if (src[i] !== '"') break;
    found = true;
    i++;
    while (i < src.length && src[i] !== '"') {
      if (src[i] === '\\' && i + 1 < src.length) {
        const c = src[i + 1];
        const esc: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", '0': '\0' };
        value += esc[c] ?? c;
        i += 2;
        continue;
      }
      if (src[i] === '\n') return undefined;
      value += src[i++];
    }
    i++;
  }
  return found ? { value, end: i } : undefined;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** printf-style format (the kernel's bpf_trace_printk subset) → anchored pattern over the printed text. */
export function formatPattern(format: string): { pattern: RegExp; literal: number } {
  let re = '';
  let literal = 0;
  const conv = /%([-+ #0]*)(\d+|\*)?(?:\.(\d+|\*))?(hh|h|ll|l|z)?([diuxXcspK%])([a-zA-Z0-9]*)/y;
  let i = 0;
  let text = '';
  const flushText = () => {
    re += escapeRegExp(text);
    literal += text.replace(/\s/g, '').length;
    text = '';
  };
  while (i < format.length) {
    if (format[i] !== '%') {
      text += format[i++];
      continue;
    }
    conv.lastIndex = i;
    const m = conv.exec(format);
    if (!m) {
      text += format[i++];
      continue;
    }
    i = conv.lastIndex;
    if (m[5] === '%') {
      text += '%';
      continue;
    }
    flushText();
    if (m[5] === 'p') {
      const ext = m[6];
      i -= ext.length;
      // %pI4 / %pi4, %pI6 / %pi6 / %pI6c, %pks / %pus (strings), %pB (symbol), plain %p / %pK (address).
      const sub = /^(I4|i4|I6c|I6|i6|ks|us|B|K|S|s)?/.exec(ext)![0];
      i += sub.length;
      re +=
        sub === 'ks' || sub === 'us' || sub === 'B' || sub === 'S' || sub === 's'
          ? '.*?'
          : sub
            ? '[0-9a-fA-F.:]+'
            : '(?:0x)?[0-9a-f]+|\\(null\\)|0';
      continue;
    }
    i -= m[6].length; // letters after a conversion are literal text
    switch (m[5]) {
      case 's':
        re += '.*?';
        break;
      case 'c':
        re += '[\\s\\S]';
        break;
      case 'x':
      case 'X':
        re += '\\s*(?:0[xX])?[0-9a-fA-F]+';
        break;
      default:
        re += '\\s*[-+]?\\d+';
    }
  }
  flushText();
  return { pattern: new RegExp(`^${re}$`, 's'), literal };
}

/** Every printk-style call in a C source with a literal format string. */
export function findPrintkSites(source: string): PrintkSite[] {
  const sites: PrintkSite[] = [];
  const lineStarts = [0];
  for (let i = 0; i < source.length; i++) if (source[i] === '\n') lineStarts.push(i + 1);
  const position = (offset: number) => {
    let lo = 0,
      hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, column: offset - lineStarts[lo] };
  };
  // char fmt[] = "..."; used as bpf_trace_printk(fmt, sizeof(fmt), ...)
  const named = new Map<string, string>();
  for (const m of source.matchAll(/\bchar\s+(\w+)\s*\[\s*\]\s*=\s*/g)) {
    const lit = readLiteral(source, m.index! + m[0].length);
    if (lit) named.set(m[1], lit.value);
  }
  for (const m of source.matchAll(CALL)) {
    let at = m.index! + m[0].length;
    // bpf_stream_printk(stream_id, "fmt", ...): skip the first argument.
    if (m[1] === 'bpf_stream_printk') {
      const comma = source.indexOf(',', at);
      if (comma < 0) continue;
      at = comma + 1;
    }
    let format = readLiteral(source, at)?.value;
    if (format === undefined) {
      const ident = /^\s*(\w+)/.exec(source.slice(at, at + 80))?.[1];
      format = ident ? named.get(ident) : undefined;
    }
    if (format === undefined) continue;
    const { pattern, literal } = formatPattern(format.replace(/\n+$/, ''));
    sites.push({ ...position(m.index!), format, pattern, literal });
  }
  return sites;
}

/** The site that printed `text` (a trace line's message), the most specific one when several match. */
export function matchPrintkSite<S extends Pick<PrintkSite, 'pattern' | 'literal'>>(sites: readonly S[], text: string): S | undefined {
  const t = text.replace(/\n+$/, '');
  let best: S | undefined;
  for (const s of sites) if (s.pattern.test(t) && (!best || s.literal > best.literal)) best = s;
  return best;
}
