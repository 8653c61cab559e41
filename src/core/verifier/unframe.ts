// Takes a verifier log out of the output of the programs that printed it: line prefixes that
// consecutive lines share (journald, docker compose, kubectl, CI timestamps, go test, ctest),
// logs embedded in quoted fields of structured loggers (logrus/slog `msg="..."`), one-line
// summaries of loaders (cilium/ebpf `load program: <errno>: <last line> (N line(s) omitted)`,
// aya `Verifier output: ...`, bpftrace `ERROR: ...`). Only lines the classifier did not
// recognise are ever rewritten, so a plain verifier log passes through untouched.
import { classifyLine } from './parse';

/**
 * Prefixes that tools put before every line they print. Order: most specific first. `always`:
 * the prefix never starts a line of a log itself, so it is removed even when the rest of the line
 * is unknown (a compiler error, the first line of a crash dump).
 */
const KNOWN_PREFIXES: { re: RegExp; always?: boolean }[] = [
  // journald / syslog: `Jan 21 04:29:45 host prog[123]: ` (kernel lines add `[   59.69] `)
  { re: /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ [^\s:]+(?:\[\d+\])?: (?:\[ *\d+\.\d+\] )?/, always: true },
  // docker compose `svc-1  | `, kubectl `[pod/x/c] `
  { re: /^[\w.-]+(?:-\d+)?\s+\| /, always: true },
  { re: /^\[pod\/[^\]]+\] /, always: true },
  // timestamps: ISO 8601, `2022/04/10 06:07:31 `, spdlog `[2025-09-17 08:19:46.825] [info] [file:1] `
  {
    re: /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?\s+(?:(?:INFO|WARN|WARNING|ERROR|ERRO|ERR|DEBUG|DEBU|DBG|TRACE|FATAL|CRIT|NOTICE)\s+)?/,
    always: true,
  },
  { re: /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d(?:\.\d+)? /, always: true },
  { re: /^(?:\[[^\]]*\] ){1,4}/ },
  // logrus text `ERRO[0045] `, glog `E0101 12:00:00.000000 123 file.go:1] `
  { re: /^(?:TRAC|DEBU|INFO|WARN|ERRO|FATA|PANI)\[\d+\]\s+/, always: true },
  { re: /^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ \S+:\d+\] /, always: true },
  // docker buildx/buildkit steps `#12 3.456 `, and a stream's name (`stderr: `, `stdout: `)
  { re: /^#\d+ \d+\.\d+ /, always: true },
  { re: /^(?:stderr|stdout|STDERR|STDOUT):? (?=\S)/ },
  // go test `    verifier_test.go:245: `, GitHub Actions `##[error]`, quoted replies `> `
  { re: /^\s*\w+_test\.go:\d+: / },
  { re: /^##\[\w+\]/ },
  // (`> > ` and `>>>> ` for replies to replies)
  { re: /^>(?: ?>)*[ \t]+/ },
];

/** aya: `Error: the BPF_PROG_LOAD syscall failed. Verifier output: <first line>`; the rest of the log follows. */
const AYA_FIRST_LINE = /\bVerifier output: (.*)$/;

/** Loaders that put the first log line (or the last one) after their own words. */
const SUMMARIES: RegExp[] = [
  // iproute2/tc: `Prog section 'from-container' rejected: Permission denied (13)!`
  /^(Prog section '[^']*' rejected: .*)$/,
  AYA_FIRST_LINE,
  // cilium/ebpf VerifierError: `load program: permission denied: <last line> (N line(s) omitted)`
  // (the last one: wrappers repeat the words, `loading program: load program: ...`)
  /^.*\bload (?:program|BTF): [a-z][a-z ]*?: (.+?)(?: \((?:truncated, )?\d+ line\(s\) omitted\))?(?: \(BTF disabled\))?$/,
  // bpftrace: `stdin:1:18-48: ERROR: helper bpf_d_path not supported in probe`, `ERROR: Error: ...`
  /^(?:\S+:\d+(?::\d+)?(?:-\d+)?: )?ERROR: (?:Error: )?(.*)$/,
  // libscap and friends: `... bpf_load_program() err=28 ...`, bcc: `bpf: Argument list too long. Program ...`
  /^bpf: [A-Z][a-z ]+\. (.*)$/,
  // prose around a quoted error: `... failed with bpf verifier error \`misaligned packet access ...\``
  /`([^`]{8,})`/,
];

/** A loader's summary ends with the line that failed: `2908: (69) r5 = *(u16 *)(r1 +36): R1 invalid ...`. */
const INSN_THEN_ERROR = /^(\d+: \([0-9a-f]{2}\) .+?): ((?:R\d+|[a-z]).*)$/;

/** Quoted fields of structured loggers that carry log text. */
const QUOTED_FIELD = /\b(?:msg|message|error|err|log)="((?:[^"\\]|\\.)*)"/g;

function unescapeQuoted(s: string): string {
  return s.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c === 'r' ? '' : c));
}

const recognised = (line: string) => classifyLine(line).kind !== 'text';

export interface UnframedLine {
  text: string;
  /** Came from a one-line summary: a fuller copy of the same error may follow. */
  summary?: boolean;
}

export class Unframer {
  private previous = '';
  private prefix?: string;

  /**
   * Lines to analyse instead of `raw` (an unrecognised line), or undefined to keep it.
   * `isError` tells whether a text is a known error message.
   */
  unframe(raw: string, isError: (text: string) => boolean): UnframedLine[] | undefined {
    const prev = this.previous;
    this.previous = raw;
    const useful = (s: string) => recognised(s) || isError(s.trim());

    // Structured loggers: the log is the value of a quoted field, possibly several lines in one.
    if (raw.includes('="')) {
      const parts: UnframedLine[] = [];
      for (const m of raw.matchAll(QUOTED_FIELD)) {
        for (const line of unescapeQuoted(m[1]).split('\n')) parts.push(...this.unprefixed(this.peel(line, useful, isError), isError));
      }
      if (parts.length) return parts;
    }

    // A prefix this line shares with the lines before it.
    if (this.prefix && raw.startsWith(this.prefix)) {
      const rest = this.peel(raw.slice(this.prefix.length), useful, isError);
      return this.unprefixed(rest, isError);
    }
    // Known prefixes, also under an indentation (a log pasted as an indented block).
    const lead = /^\s*/.exec(raw)![0];
    const body = raw.slice(lead.length);
    for (const { re, always } of KNOWN_PREFIXES) {
      const m = re.exec(body);
      if (!m) continue;
      // A prefix with nothing after it is an empty line of the log.
      if (always && m[0].length >= body.trimEnd().length) return [{ text: '' }];
      if (m[0].length < body.length) {
        const rest = this.peel(body.slice(m[0].length), useful, isError);
        if (always || useful(rest) || this.inner(rest, isError)) {
          this.prefix = sharedPrefix(raw, prev) === lead + m[0] ? lead + m[0] : undefined;
          return this.unprefixed(rest, isError);
        }
      }
    }
    const shared = sharedPrefix(raw, prev);
    if (shared) {
      const rest = raw.slice(shared.length);
      if (useful(rest)) {
        this.prefix = shared;
        return [{ text: rest }];
      }
    }
    return this.inner(raw, isError);
  }

  /** A line without its prefix is read as the same line unprefixed would be: summaries only in unknown text. */
  private unprefixed(rest: string, isError: (text: string) => boolean): UnframedLine[] {
    return (recognised(rest) ? undefined : this.inner(rest, isError)) ?? [{ text: rest }];
  }

  /**
   * A second (third) tool's prefix under the first: a journal line collected by kubectl, say, or
   * a log quoted twice in a mail (`svc | > > R1 invalid mem access ...`). An error readable with
   * the quote is read without it as well.
   */
  private peel(rest: string, useful: (s: string) => boolean, isError: (text: string) => boolean): string {
    if (recognised(rest)) return rest;
    // Text that reads as an error already is taken further only to what reads as one too.
    const already = useful(rest);
    let cur = rest;
    for (let depth = 0; depth < 3; depth++) {
      let first: string | undefined;
      for (const { re } of KNOWN_PREFIXES) {
        const m = re.exec(cur)?.[0];
        if (!m || m.length >= cur.length) continue;
        const after = cur.slice(m.length);
        if (useful(after) || (!already && this.inner(after, isError))) return after;
        first ??= after;
      }
      if (first === undefined) break;
      cur = first;
    }
    return rest;
  }

  /** One-line summaries inside a line (after any prefix was removed). */
  private inner(line: string, isError: (text: string) => boolean, depth = 0): UnframedLine[] | undefined {
    if (depth > 3) return undefined;
    // cilium/ebpf with ENOSPC: the log was cut, so its last line is not the error; the summary is.
    const cut = /\bload program: no space left on device\b/.exec(line);
    if (cut) return [{ text: cut[0], summary: true }];
    for (const re of SUMMARIES) {
      const m = re.exec(line.trim());
      if (!m || !m[1]) continue;
      const tail = m[1].replace(/^`|`$/g, '').trim();
      const split = INSN_THEN_ERROR.exec(tail);
      // cilium/ebpf's last line is not always the error (a backtracking or state line of a log that
      // went on, or one cut short): then the errno it names is what the summary says.
      const errno = /^.*\b(load (?:program|BTF): [a-z][a-z ]*?): /.exec(line);
      if (split && errno && !isError(split[2])) return [{ text: split[1] }, { text: errno[1], summary: true }];
      if (split) return [{ text: split[1] }, { text: split[2], summary: true }];
      if (errno && recognised(tail) && !isError(tail)) return [{ text: tail }, { text: errno[1], summary: true }];
      if (recognised(tail) || isError(tail)) return [{ text: tail, summary: re !== AYA_FIRST_LINE }];
      // A summary whose last line is unknown to us still names an error: keep it whole.
      const deeper = tail === line.trim() ? undefined : this.inner(tail, isError, depth + 1);
      if (deeper) return deeper;
    }
    // Prose around an error (`errors:invalid access to ...`, `the error: "math between ..."`):
    // the message starts after a separator.
    if (depth === 0 && !isError(line.trim())) {
      let tries = 0;
      for (const m of line.matchAll(/[:"'`(]\s*(?=[A-Za-z])/g)) {
        if (++tries > 32) break;
        const rest = line.slice(m.index + m[0].length).replace(/["'`)]*[.,;]?\s*$/, '');
        if (rest.length >= 10 && isError(rest)) return [{ text: rest }];
      }
    }
    return undefined;
  }
}

/**
 * The part of `next` that frames it like `broken` (a line it continues, e.g. after a
 * quoted-printable soft break): the tool's prefix both lines carry, or their shared indentation.
 */
export function continuationPrefix(broken: string, next: string): string {
  for (const { re, always } of KNOWN_PREFIXES) {
    const m = always ? re.exec(next) : null;
    if (m && re.test(broken)) return m[0];
  }
  const shared = sharedPrefix(broken, next);
  if (shared) return shared;
  const lead = /^\s*/.exec(next)![0];
  return broken.startsWith(lead) ? lead : '';
}

/**
 * The longest prefix two lines share, cut after a separator (`: `, `| `, `] `, tab) and only when
 * it is not the start of a verifier line itself (`12: ` of two instructions, ` R` of two states).
 */
export function sharedPrefix(a: string, b: string): string | undefined {
  if (!a || !b) return undefined;
  let n = 0;
  const max = Math.min(a.length, b.length);
  while (n < max && a.charCodeAt(n) === b.charCodeAt(n)) n++;
  let cut = -1;
  for (let i = n - 1; i > 0; i--) {
    const c = a[i];
    if ((c === ' ' || c === '\t') && /[:|\]>]/.test(a[i - 1])) {
      cut = i + 1;
      break;
    }
    if (c === '\t') {
      cut = i + 1;
      break;
    }
  }
  if (cut < 2) return undefined;
  const p = a.slice(0, cut);
  // Shared whitespace is indentation, which the classifier already ignores.
  if (/^\s+$/.test(p)) return undefined;
  return p;
}

/** Where a line of a log starts inside a log whose newlines were lost. */
const LINE_STARTS: RegExp[] = [
  /(?<=\S\s+)(?=libbpf: )/g,
  /(?<=\s)(?=-- (?:BEGIN|END) (?:PROG LOAD |DUMP )?LOG --)/g,
  /(?<=-- (?:BEGIN|END) (?:PROG LOAD |DUMP )?LOG --\s)(?=\S)/g,
  /(?<=\s)(?=\d+: \([0-9a-f]{2}\) )/g,
  /(?<=\s)(?=from \d+ to \d+: )/g,
  // a source annotation, not the `; R1=...` state of an instruction
  /(?<=\s)(?=; (?!R\d|fp-|frame\d|refs=))/g,
  /(?<=\s)(?=processed \d+ insns|verification time \d+|stack depth \d)/g,
  /(?<=\s)(?=\{")/g,
];

/**
 * A log flattened into one line (a web page or a single-line field collapsed its newlines): two
 * instruction lines or two libbpf lines in one. Splits it where its lines started, and splits an
 * error from the instruction or text it ran into. Undefined for an ordinary line.
 */
export function unflatten(raw: string, isError: (text: string) => boolean): string[] | undefined {
  // A logger field with escaped newlines (`msg="...\\n..."`) keeps its lines: the unframer reads it.
  if (raw.includes('\\n')) return undefined;
  const insns = raw.match(/\d+: \([0-9a-f]{2}\) /g)?.length ?? 0;
  if (insns < 2 && raw.split('libbpf: ').length < 3) return undefined;
  const cuts = new Set<number>([0]);
  for (const re of LINE_STARTS) for (const m of raw.matchAll(re)) cuts.add(m.index);
  const points = [...cuts].sort((a, b) => a - b);
  const out: string[] = [];
  points.forEach((start, i) => {
    let seg = raw.slice(start, points[i + 1] ?? raw.length).trim();
    // An old-format state after an instruction (`... goto pc+4 R1=ctx(...) R10=fp0`).
    const state = /^\d+: \([0-9a-f]{2}\) [^;]*?\s(?=R\d+(?:_w)?=\S)/.exec(seg);
    if (state) {
      out.push(state[0].trim());
      seg = seg.slice(state[0].length);
    }
    // An error that ran into what was printed before it.
    let tries = 0;
    for (const m of seg.matchAll(/(?<=\s)[A-Za-z]/g)) {
      if (++tries > 60) break;
      const rest = seg.slice(m.index);
      if (isError(rest)) {
        out.push(seg.slice(0, m.index).trim());
        seg = rest;
        break;
      }
    }
    if (seg) out.push(seg);
  });
  return out.filter(Boolean);
}

// The escape character is the point of these two: a terminal's colour sequences start with it.
// eslint-disable-next-line no-control-regex
const MAYBE_MANGLED = /[\x1b&^\u0080-\uffff]/;
// eslint-disable-next-line no-control-regex
const ANSI_ESCAPE = /\x1b\[[0-9;?]*[ -/]*[@-~]|\^\[\[[0-9;]*m/g;

const HTML_ENTITIES: Record<string, string> = {
  gt: '>',
  lt: '<',
  amp: '&',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  '#39': "'",
  '#x27': "'",
  '#34': '"',
  '#x2F': '/',
};

/**
 * A line as it was printed, from how a web page, a terminal or a word processor passed it on:
 * colour escapes (`\x1b[31m`, and `^[[0m` as a pager shows them) removed, HTML entities
 * (`-&gt;`) decoded, no-break and other Unicode spaces as spaces, typographic quotes as ASCII.
 */
export function normalizeLine(raw: string): string {
  if (!MAYBE_MANGLED.test(raw)) return raw;
  return raw
    .replace(ANSI_ESCAPE, '')
    .replace(/&(gt|lt|amp|quot|apos|nbsp|#39|#x27|#34|#x2F);/g, (_, e: string) => HTML_ENTITIES[e])
    .replace(/[\u00a0\u2000-\u200a\u202f\u205f\u3000]/g, ' ')
    .replace(/[\u200b-\u200d\u2060\ufeff]/g, '')
    .replace(/[\u2018\u2019\u201a\u201b\u2032]/g, "'")
    .replace(/[\u201c\u201d\u201e\u2033]/g, '"');
}
