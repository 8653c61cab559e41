// Line classifier for verifier logs and the tool output around them (libbpf, bpftool, clang).
// Every line of input maps to exactly one LogLine; unknown text becomes `text`, so malformed or
// interleaved input can never make the parser throw.

export type LogLine =
  | { kind: 'begin'; program?: string } // libbpf: prog 'x': -- BEGIN PROG LOAD LOG --
  | { kind: 'end'; program?: string } // libbpf: prog 'x': -- END PROG LOAD LOG --
  | { kind: 'insn'; index: number; opcode: string; disasm: string; state?: string; raw: string }
  | { kind: 'state'; index?: number; state: string; raw: string } // `12: R1=ctx() R10=fp0`, `R0=...`
  | { kind: 'branch'; from: number; to: number; speculative: boolean; state: string; raw: string }
  | { kind: 'pruned'; index: number; raw: string } // `12: safe`
  | { kind: 'annotation'; text: string; file?: string; line?: number; raw: string }
  | { kind: 'subprog'; index: number; insn: number; raw: string } // func#1 @12
  | { kind: 'frame'; role: 'caller' | 'callee'; raw: string }
  | {
      kind: 'stats';
      insnsProcessed: number;
      insnLimit?: number;
      maxStatesPerInsn?: number;
      totalStates?: number;
      peakStates?: number;
      markRead?: number;
      raw: string;
    }
  | { kind: 'time'; usec: number; raw: string }
  | { kind: 'stack'; depth: string; raw: string }
  | { kind: 'trace'; raw: string } // precision backtracking and other level-2 chatter
  | { kind: 'libbpf'; program?: string; text: string; raw: string } // any other `libbpf: ` line
  | {
      kind: 'clang';
      file?: string;
      line?: number;
      column?: number;
      severity: 'error' | 'warning' | 'note' | 'fatal error';
      text: string;
      raw: string;
      /** A line of LLVM's crash report, which restates an error reported before it. */
      backendCrash?: boolean;
    }
  | { kind: 'text'; text: string; raw: string }; // anything else: error candidates live here

const RE_LIBBPF = /^libbpf: (?:prog '([^']*)': )?(.*)$/;
const RE_INSN = /^(\d+): \(([0-9a-f]{2})\)(?: (.*)|$)/;
const RE_STATE_AT = /^(\d+): ((?:frame\d+: )?(?:R\d+|fp-?\d+)\S*=.*)$/;
const RE_STATE = /^((?:frame\d+: )?(?:R\d+|fp-?\d+)(?:_[rwD]+)?=.*)$/;
const RE_BRANCH = /^from (\d+) to (\d+)( \(speculative execution\))?:\s*(.*)$/;
const RE_PRUNED = /^(\d+): safe$/;
const RE_ANNOTATION_AT = /^; (.*) @ (\S+):(\d+)$/;
const RE_SUBPROG = /^func#(\d+) @(\d+)$/;
const RE_STATS =
  /^processed (\d+) insns(?: \(limit (\d+)\))?(?: max_states_per_insn (\d+))?(?: total_states (\d+))?(?: peak_states (\d+))?(?: mark_read (\d+))?/;
const RE_TIME = /^verification time (\d+) usec$/;
const RE_STACK = /^stack depth (.*)$/;
const RE_CLANG_LOC = /^([^"=]+?):(\d+):(?:(\d+):)? (fatal error|error|warning|note): (.*)$/;
const RE_CLANG_BARE = /^(fatal error|error|warning): (.*)$/;
const RE_LIVENESS = /^\s+\d+: [.0-9]{10,} \(/;
// Lines of the level-2 precision tracker and other informational chatter: never the error.
const RE_TRACE =
  /^(?:mark_precise: |last_idx |regs=|parent (?:didn't have|already had)|propagating |Validating |Func#|BTF (?:info|func)|Live regs before insn:|\s+\d+: [.0-9]{10,} \(|frame \d+: propagating |SCC (?:enter|exit|backedge)\b)/;

/** Classify one line (without its newline). Never throws. */
export function classifyLine(raw: string): LogLine {
  // libbpf's lines, also indented (a log pasted as an indented block).
  const lib = raw.startsWith('libbpf: ')
    ? RE_LIBBPF.exec(raw)
    : raw.charCodeAt(0) <= 32 && raw.trimStart().startsWith('libbpf: ')
      ? RE_LIBBPF.exec(raw.trimStart())
      : null;
  if (lib) {
    const program = lib[1] || undefined;
    const rest = lib[2];
    // libbpf >= 0.6 and the older `-- BEGIN DUMP LOG ---` / `-- END LOG --` framing.
    if (/-- BEGIN (?:PROG LOAD|DUMP) LOG -+/.test(rest)) return { kind: 'begin', program };
    if (/-- END (?:PROG LOAD )?LOG --/.test(rest)) return { kind: 'end', program };
    return { kind: 'libbpf', program, text: rest, raw };
  }
  // Level 2's liveness table is indented; other tools (Go loaders, CI logs) indent whole logs.
  if (RE_LIVENESS.test(raw)) return { kind: 'trace', raw };
  const line = raw.trim();
  if (/^-- BEGIN (?:PROG LOAD|DUMP) LOG -+$/.test(line)) return { kind: 'begin' };
  if (/^-- END (?:PROG LOAD )?LOG --$/.test(line)) return { kind: 'end' };
  // veristat: `PROCESSING dir/obj.o/prog, DURATION US: 12, VERDICT: failure, VERIFIER LOG:`
  const veristat = /^PROCESSING \S*?([^/\s]+), DURATION US: \d+, VERDICT: \w+, VERIFIER LOG:$/.exec(line);
  if (veristat) return { kind: 'begin', program: veristat[1] };

  // Most lines of a big log are instructions and states, which start with a digit.
  const c = line.charCodeAt(0);
  const digit = c >= 48 && c <= 57;
  let m = digit ? RE_INSN.exec(line) : null;
  if (m) {
    const body = m[3] ?? '';
    // The register state after the instruction follows ` ; ` (padded to a column).
    let cut = body.indexOf(' ; ');
    let skip = 3;
    if (cut < 0) {
      // Calls into callbacks and taken branches print the next state without the ` ; `:
      // `call bpf_loop#181 14: frame1: R1=...`, `if r3 > 0x64 goto pc+1 20: frame1: R0=1 ...`.
      const next = / (\d+: (?:frame\d+: )?(?:R\d+|fp-?\d+)\S*=.*)$/.exec(body);
      if (next) {
        cut = next.index;
        skip = 1;
      }
    }
    const disasm = (cut >= 0 ? body.slice(0, cut) : body).trim();
    const state =
      cut >= 0
        ? body
            .slice(cut + skip)
            .replace(/^\d+: /, '')
            .trim()
        : undefined;
    return { kind: 'insn', index: Number(m[1]), opcode: m[2], disasm, state, raw };
  }
  // libbpf poisons instructions whose CO-RE relocation failed and prints them like this.
  // Likewise calls of kfuncs it could not resolve (`<invalid kfunc call>`, libbpf 1.2+).
  if ((m = /^(\d+): (<invalid CO-RE relocation>|<invalid kfunc call>)$/.exec(line))) {
    return { kind: 'insn', index: Number(m[1]), opcode: '??', disasm: m[2], raw };
  }
  if ((m = RE_BRANCH.exec(line))) {
    return { kind: 'branch', from: Number(m[1]), to: Number(m[2]), speculative: !!m[3], state: m[4], raw };
  }
  if (digit && (m = RE_STATE_AT.exec(line))) return { kind: 'state', index: Number(m[1]), state: m[2], raw };
  if ((m = RE_STATE.exec(line.trimStart()))) return { kind: 'state', state: m[1], raw };
  if ((m = RE_PRUNED.exec(line))) return { kind: 'pruned', index: Number(m[1]), raw };
  if (line.startsWith('; ')) {
    if ((m = RE_ANNOTATION_AT.exec(line))) return { kind: 'annotation', text: m[1], file: m[2], line: Number(m[3]), raw };
    return { kind: 'annotation', text: line.slice(2), raw };
  }
  if (line === ';') return { kind: 'annotation', text: '', raw };
  if ((m = RE_SUBPROG.exec(line))) return { kind: 'subprog', index: Number(m[1]), insn: Number(m[2]), raw };
  if (line === 'caller:' || line === 'callee:') return { kind: 'frame', role: line === 'caller:' ? 'caller' : 'callee', raw };
  if (line === 'returning from callee:' || /^to caller at \d+:$/.test(line))
    return { kind: 'frame', role: line.startsWith('to') ? 'caller' : 'callee', raw };
  if ((m = RE_STATS.exec(line))) {
    const n = (i: number) => (m![i] === undefined ? undefined : Number(m![i]));
    return {
      kind: 'stats',
      insnsProcessed: Number(m[1]),
      insnLimit: n(2),
      maxStatesPerInsn: n(3),
      totalStates: n(4),
      peakStates: n(5),
      markRead: n(6),
      raw,
    };
  }
  if ((m = RE_TIME.exec(line))) return { kind: 'time', usec: Number(m[1]), raw };
  if ((m = RE_STACK.exec(line))) return { kind: 'stack', depth: m[1], raw };
  // LLVM's BPF backend: `Error at line 37: Unsupport signed division for DAG: ..., packet.h:37:3Please convert ...`
  // and the crash that follows it (`fatal error: error in backend: ...`, `LLVM ERROR: ...`).
  if ((m = /^(?:Error at line \d+|fatal error: error in backend|LLVM ERROR): (.*)$/.exec(line))) {
    const at = /, ((?:\.{0,2}\/)?[\w./-]+\.[ch]):(\d+):(\d+)/.exec(m[1]);
    const text = m[1]
      .replace(/ for DAG: .*?(?=Please|$)/, ' ')
      .replace(/^Cannot select: .*/, 'Cannot select an instruction for this operation')
      .trim();
    return {
      kind: 'clang',
      file: at?.[1],
      line: at ? Number(at[2]) : undefined,
      column: at ? Number(at[3]) : undefined,
      severity: line.startsWith('Error at line') ? 'error' : 'fatal error',
      text,
      raw,
      backendCrash: !line.startsWith('Error at line'),
    };
  }
  const compilerish = /(?:error|warning|note): /.test(line);
  if (compilerish && (m = RE_CLANG_LOC.exec(line)) && /\.(?:c|h|bpf\.c|cc|cpp)$|<unknown>|<stdin>/.test(m[1])) {
    return {
      kind: 'clang',
      file: m[1],
      line: Number(m[2]),
      column: m[3] ? Number(m[3]) : undefined,
      severity: m[4] as 'error',
      text: m[5],
      raw,
    };
  }
  if (compilerish && (m = RE_CLANG_BARE.exec(line))) return { kind: 'clang', severity: m[1] as 'error', text: m[2], raw };
  if (RE_TRACE.test(line)) return { kind: 'trace', raw };
  return { kind: 'text', text: line.trim(), raw };
}

/**
 * The verifier prints some errors without a trailing newline (the tail-call one), so the next
 * line runs into them: the statistics lines, which follow an error, are split off again.
 */
const RUN_ON = /(?<=\S)(?=processed \d+ insns \(limit |verification time \d+ usec|stack depth \d)/;
const RUN_ON_HINT = /processed |verification time |stack depth /;

export function splitRunOnLines(raw: string): string[] {
  if (!RUN_ON_HINT.test(raw)) return [raw];
  const out: string[] = [];
  let rest = raw;
  for (let m = RUN_ON.exec(rest); m && m.index > 0; m = RUN_ON.exec(rest)) {
    out.push(rest.slice(0, m.index));
    rest = rest.slice(m.index);
  }
  out.push(rest);
  return out;
}

/** Longest line kept; the rest of a longer line is dropped (a verifier line is at most a few KiB). */
export const MAX_LINE_LENGTH = 64 * 1024;

/**
 * Splits a stream of chunks into lines, holding only the unfinished tail (at most `maxLine`
 * characters), so a single endless line costs bounded memory and linear time.
 */
export class LineSplitter {
  private tail = '';
  private skipping = false;
  /** Lines that were longer than the limit and were cut. */
  longLines = 0;
  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLine = MAX_LINE_LENGTH,
  ) {}

  push(chunk: string): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf('\n', start);
      if (nl < 0) break;
      if (this.skipping) this.skipping = false;
      else this.emit(this.tail + chunk.slice(start, nl));
      this.tail = '';
      start = nl + 1;
    }
    if (this.skipping || start >= chunk.length) return;
    const rest = chunk.slice(start);
    if (this.tail.length + rest.length > this.maxLine) {
      // Keep the start of an overlong line, drop the remainder up to its newline.
      this.emit((this.tail + rest).slice(0, this.maxLine));
      this.longLines++;
      this.tail = '';
      this.skipping = true;
    } else this.tail += rest;
  }

  end(): void {
    if (this.tail.length && !this.skipping) this.emit(this.tail);
    this.tail = '';
    this.skipping = false;
  }

  private emit(line: string): void {
    if (line.length > this.maxLine) {
      line = line.slice(0, this.maxLine);
      this.longLines++;
    }
    this.onLine(line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line);
  }
}

/** Split a register state string (`R1=ctx() fp-8=mmmm`) into `name -> value`, honouring parentheses. */
export function parseRegisterState(state: string): Map<string, string> {
  const out = new Map<string, string>();
  let depth = 0;
  let token = '';
  let frame = '';
  const flush = () => {
    if (!token) return;
    if (/^frame\d+:$/.test(token)) {
      frame = token.slice(0, -1);
    } else {
      const eq = token.indexOf('=');
      if (eq > 0) {
        const name = token.slice(0, eq).replace(/_[rwD]+$/, '');
        out.set(frame && frame !== 'frame0' ? `${frame}.${name}` : name, token.slice(eq + 1));
      }
    }
    token = '';
  };
  for (const ch of state) {
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') depth = Math.max(0, depth - 1);
    if (depth === 0 && (ch === ' ' || ch === '\t')) flush();
    else token += ch;
  }
  flush();
  return out;
}
