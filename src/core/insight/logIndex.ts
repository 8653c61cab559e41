// An index of a verifier log, built in one streaming pass, so that logs of hundreds of megabytes
// can be stepped through and summed up without holding their text: per instruction line ("step")
// its byte offset, instruction index, source line and explored branch, in typed arrays; the text
// of any step is read back from the source on demand (see stepper.ts).
//
// The verifier prints a source annotation (`; text @ file:line`) whenever the line changes along
// what it walks, so the source line of a step is the last annotation printed before it in the same
// program. At level 2 every explored branch starts with `from X to Y: <full state>` and ends at an
// exit, an error, or a pruning point (`N: safe`, `from X to Y: safe`); the kernel's processed-insns
// count is the number of instruction lines plus the pruning points.
import { promises as fsp } from 'node:fs';
import { classifyLine } from '../verifier/parse';

/** Random access to the log's bytes: a file (fs.read at a position) or a buffer. */
export interface LogSource {
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

export function bufferSource(bytes: Uint8Array | string): LogSource {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { size: buf.length, read: async (offset, length) => buf.subarray(offset, Math.min(buf.length, offset + length)) };
}

/** A log file read at positions (nothing of it is held but the index); close() when done. */
export async function openFileSource(path: string): Promise<LogSource & { close(): Promise<void> }> {
  const handle = await fsp.open(path, 'r');
  const { size } = await handle.stat();
  return {
    size,
    async read(offset, length) {
      const buf = Buffer.alloc(Math.max(0, Math.min(length, size - offset)));
      let done = 0;
      while (done < buf.length) {
        const { bytesRead } = await handle.read(buf, done, buf.length - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return buf.subarray(0, done);
    },
    close: () => handle.close(),
  };
}

export interface SourceLine {
  file?: string;
  /** 1-based; 0 for compiler-made code. */
  line?: number;
  /** The source text the log printed. */
  text: string;
}

/** One explored path: from its start (program entry or `from X to Y`) to its end. */
export interface Segment {
  /** `from` instruction (undefined for the program's entry path). */
  from?: number;
  to?: number;
  speculative: boolean;
  firstStep: number;
  /** Exclusive. */
  endStep: number;
  /** Byte offset of the `from` line (its full register state), or of the program's first line. */
  offset: number;
  /** The step at the branch instruction this path was pushed from (undefined when unknown). */
  parentStep?: number;
  /** Paths this one descends from (0 for the entry path). */
  depth: number;
  /** How it ended: pruned (`safe`: equivalent to a verified state), exit, error, or cut (log ends). */
  end: 'pruned' | 'exit' | 'error' | 'cut';
  /** Instruction where it was pruned. */
  prunedAt?: number;
}

export interface ProgramIndex {
  /** libbpf's program name, when the log names it. */
  name?: string;
  firstStep: number;
  /** Exclusive. */
  endStep: number;
  /** Byte range of the program's log. */
  startOffset: number;
  endOffset: number;
  firstSegment: number;
  /** Exclusive. */
  endSegment: number;
  /** Pruning points (`N: safe`, `from X to Y: safe`): counted by the kernel as processed instructions. */
  pruned: number;
  stats?: {
    processedInsns: number;
    insnLimit?: number;
    maxStatesPerInsn?: number;
    totalStates?: number;
    peakStates?: number;
    markRead?: number;
  };
  verificationMicros?: number;
  /** As printed: one number per subprogram. */
  stackDepth?: number[];
  subprograms: { index: number; insn: number }[];
  /** The verifier's error line, when the program was rejected. */
  error?: string;
  /** The last step before the error. */
  errorStep?: number;
  /** Instruction texts of the whole program, from level 2's liveness table (6.x), by instruction index. */
  listing: Map<number, string>;
}

class Growable<T extends Int32Array | Float64Array> {
  length = 0;
  constructor(
    public data: T,
    private readonly make: (n: number) => T,
  ) {}
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = this.make(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  trimmed(): T {
    return this.data.subarray(0, this.length) as T;
  }
}

export interface LogIndex {
  programs: ProgramIndex[];
  segments: Segment[];
  /** Source lines; `stepLine[s]` indexes here (-1: none printed yet). */
  lines: SourceLine[];
  stepOffset: Float64Array;
  stepInsn: Int32Array;
  stepLine: Int32Array;
  stepSegment: Int32Array;
  /** Bytes and lines read. */
  bytes: number;
  lineCount: number;
  /** Level 2 (a `from X to Y` path or a full trace) rather than level 1 (only the failing path survives). */
  level2: boolean;
}

const MAX_TEXT_CANDIDATES = 8;
const MAX_PENDING_PER_INSN = 64;
const CHATTER =
  /^(?:mark_precise: |last_idx |regs=|parent (?:didn't have|already had)|propagating |Validating |Func#|BTF (?:info|func)|Live regs before insn:|\(\d+\) frame |\(\d+\) live |frame \d+: propagating |caller:|callee:|returning from callee:|to caller at |insn \d+ |prog '|reg type unsupported|\s*$)/;

/** Streaming indexer: push chunks in order, then end(). */
export class LogIndexer {
  private readonly stepOffset = new Growable(new Float64Array(4096), (n) => new Float64Array(n));
  private readonly stepInsn = new Growable(new Int32Array(4096), (n) => new Int32Array(n));
  private readonly stepLine = new Growable(new Int32Array(4096), (n) => new Int32Array(n));
  private readonly stepSegment = new Growable(new Int32Array(4096), (n) => new Int32Array(n));
  private readonly programs: ProgramIndex[] = [];
  private readonly segments: Segment[] = [];
  private readonly segmentClosed: boolean[] = [];
  private readonly lines: SourceLine[] = [];
  private readonly lineIds = new Map<string, number>();
  private tail: Buffer = Buffer.alloc(0);
  private offset = 0; // byte offset of the start of `tail`
  private lineCount = 0;
  private level2 = false;

  // Per program.
  private program?: ProgramIndex;
  private currentLine = -1;
  private candidates: string[] = [];
  private sawStats = false;
  private pending = new Map<number, number[]>(); // insn -> steps at conditional jumps there
  private lastOpcode = -1;
  private lastName?: string;

  push(chunk: Uint8Array): void {
    const buf = this.tail.length ? Buffer.concat([this.tail, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      if (nl < 0) break;
      let end = nl;
      if (end > start && buf[end - 1] === 13) end--;
      this.line(buf, start, end, this.offset + start);
      start = nl + 1;
    }
    this.offset += start;
    this.tail = Buffer.from(buf.subarray(start)); // a copy: the chunk may be reused by the caller
  }

  end(): LogIndex {
    if (this.tail.length) this.line(this.tail, 0, this.tail.length, this.offset);
    this.offset += this.tail.length;
    this.tail = Buffer.alloc(0);
    this.closeProgram(this.offset);
    return {
      programs: this.programs,
      segments: this.segments,
      lines: this.lines,
      stepOffset: this.stepOffset.trimmed(),
      stepInsn: this.stepInsn.trimmed(),
      stepLine: this.stepLine.trimmed(),
      stepSegment: this.stepSegment.trimmed(),
      bytes: this.offset,
      lineCount: this.lineCount,
      level2: this.level2,
    };
  }

  private open(offset: number): ProgramIndex {
    this.closeProgram(offset);
    const steps = this.stepOffset.length;
    const p: ProgramIndex = {
      name: this.lastName,
      firstStep: steps,
      endStep: steps,
      startOffset: offset,
      endOffset: offset,
      firstSegment: this.segments.length,
      endSegment: this.segments.length,
      pruned: 0,
      subprograms: [],
      listing: new Map(),
    };
    this.programs.push(p);
    this.program = p;
    this.currentLine = -1;
    this.candidates = [];
    this.sawStats = false;
    this.pending.clear();
    this.segments.push({ speculative: false, firstStep: steps, endStep: steps, offset, depth: 0, end: 'cut' });
    return p;
  }

  /** The program lines belong to; a stats line closes one, so the next instruction opens the next. */
  private ensure(offset: number): ProgramIndex {
    return this.program && !this.sawStats ? this.program : this.open(offset);
  }

  private closeProgram(offset: number): void {
    const p = this.program;
    if (!p) return;
    this.program = undefined;
    p.endStep = this.stepOffset.length;
    p.endOffset = offset;
    this.finishSegment(p.endStep, p.error ? 'error' : 'cut');
    p.endSegment = this.segments.length;
  }

  /** Ends the path being walked (once: a later marker of the same path changes nothing). */
  private finishSegment(endStep: number, end: Segment['end'], prunedAt?: number): void {
    const i = this.segments.length - 1;
    if (i < 0 || this.segmentClosed[i]) return;
    const seg = this.segments[i];
    seg.endStep = endStep;
    seg.end = end;
    if (prunedAt !== undefined) seg.prunedAt = prunedAt;
    this.segmentClosed[i] = true;
  }

  private lineId(file: string | undefined, line: number | undefined, text: string): number {
    const key = `${file ?? ''}\0${line ?? -1}\0${file === undefined ? text : ''}`;
    let id = this.lineIds.get(key);
    if (id === undefined) {
      id = this.lines.length;
      this.lines.push({ file, line, text });
      this.lineIds.set(key, id);
    }
    return id;
  }

  private line(buf: Buffer, start: number, end: number, offset: number): void {
    this.lineCount++;
    // Indented lines: level 2's liveness table (`      0: .......... (b7) r6 = 0`), or a whole log
    // indented by another tool (then read it as if it were not).
    let s = start;
    while (s < end && (buf[s] === 32 || buf[s] === 9)) s++;
    if (s > start && s < end && buf[s] >= 48 && buf[s] <= 57) {
      const text = buf.toString('utf8', s, end);
      // The table's rows may carry a loop-depth column: `  1  16: .1....6789 (07) r9 += 1`.
      const m = /^(?:\d+\s+)?(\d+): [.0-9]{10,} (\(.*)$/.exec(text);
      if (m) {
        this.ensure(offset).listing.set(Number(m[1]), m[2]);
        return;
      }
    }
    if (s >= end) return;
    const c = buf[s];
    if (c >= 48 && c <= 57) return this.digitLine(buf, s, end, offset);
    if (c === 59 /* ; */) return this.annotation(buf.toString('utf8', s, end), offset);
    if (c === 102 /* f */ && buf[s + 1] === 114 && buf[s + 2] === 111 && buf[s + 3] === 109 && buf[s + 4] === 32) {
      const text = buf.toString('utf8', s, end);
      const m = /^from (\d+) to (\d+)( \(speculative execution\))?: ?(.*)$/.exec(text);
      if (m) return this.branch(Number(m[1]), Number(m[2]), !!m[3], m[4] === 'safe', offset);
    }
    const text = buf.toString('utf8', s, end);
    if (CHATTER.test(text)) return;
    const line = classifyLine(text);
    switch (line.kind) {
      case 'begin':
        this.lastName = line.program ?? this.lastName;
        this.open(offset).name = line.program ?? this.lastName;
        return;
      case 'end':
        if (this.program) this.closeProgram(offset);
        return;
      case 'libbpf': {
        const m = line.program ? undefined : /^prog '([^']+)':/.exec(line.text);
        if (line.program) this.lastName = line.program;
        else if (m) this.lastName = m[1];
        return;
      }
      case 'subprog':
        this.ensure(offset).subprograms.push({ index: line.index, insn: line.insn });
        return;
      case 'stats': {
        const p = this.ensure(offset);
        p.stats = {
          processedInsns: line.insnsProcessed,
          insnLimit: line.insnLimit,
          maxStatesPerInsn: line.maxStatesPerInsn,
          totalStates: line.totalStates,
          peakStates: line.peakStates,
          markRead: line.markRead,
        };
        this.concludeError(p);
        this.sawStats = true;
        p.endOffset = offset + (end - start);
        return;
      }
      case 'time':
        this.statsTarget(offset).verificationMicros = line.usec;
        return;
      case 'stack':
        this.statsTarget(offset).stackDepth = line.depth.split('+').map(Number);
        return;
      case 'text':
      case 'clang':
        // At log level 4 the error is the first line: it opens the program.
        if (this.candidates.length < MAX_TEXT_CANDIDATES) {
          this.ensure(offset);
          this.candidates.push(line.raw.trim());
        }
        return;
      default:
        return;
    }
  }

  /** 6.x prints verification time and stack depth before the processed line, older kernels after it. */
  private statsTarget(offset: number): ProgramIndex {
    if (this.program && this.sawStats && (this.program.verificationMicros === undefined || this.program.stackDepth === undefined))
      return this.program;
    return this.ensure(offset);
  }

  private concludeError(p: ProgramIndex): void {
    const error = this.candidates.find((t) => !/^arg#\d+ reference type\('UNKNOWN ?'\) size cannot be determined/.test(t));
    if (error === undefined) {
      if (this.segments[this.segments.length - 1] && this.lastOpcode === 0x95) this.finishSegment(this.stepOffset.length, 'exit');
      return;
    }
    p.error = error;
    p.errorStep = this.stepOffset.length > p.firstStep ? this.stepOffset.length - 1 : undefined;
    this.finishSegment(this.stepOffset.length, 'error');
  }

  private digitLine(buf: Buffer, s: number, end: number, offset: number): void {
    let i = s;
    let n = 0;
    while (i < end && buf[i] >= 48 && buf[i] <= 57) n = n * 10 + (buf[i++] - 48);
    if (buf[i] !== 58 /* : */ || buf[i + 1] !== 32) {
      this.other(buf, s, end);
      return;
    }
    const b = i + 2;
    if (buf[b] === 40 /* ( */ && buf[b + 3] === 41 /* ) */) return this.step(n, hexByte(buf[b + 1], buf[b + 2]), offset);
    if (end - b === 4 && buf.toString('latin1', b, end) === 'safe') return this.pruned(n);
    if (buf[b] === 60 /* < */ && buf.toString('latin1', b, end) === '<invalid CO-RE relocation>') return this.step(n, -1, offset);
    // `N: R1=... R10=fp0`: a register state printed at instruction N; read on demand.
    if (buf[b] === 82 /* R */ || buf[b] === 102 /* f */) return;
    this.other(buf, s, end);
  }

  /** A line that starts with a number but is no instruction: an error candidate if it is not chatter. */
  private other(buf: Buffer, s: number, end: number): void {
    const text = buf.toString('utf8', s, end);
    const line = classifyLine(text);
    if ((line.kind === 'text' || line.kind === 'clang') && this.program && !this.sawStats && this.candidates.length < MAX_TEXT_CANDIDATES)
      this.candidates.push(text.trim());
  }

  private step(insn: number, opcode: number, offset: number): void {
    const p = this.ensure(offset);
    // An instruction after an error line (the log went on: libbpf's retry, another program) starts afresh.
    if (this.candidates.length) this.candidates = [];
    const step = this.stepOffset.length;
    this.stepOffset.push(offset);
    this.stepInsn.push(insn);
    this.stepLine.push(this.currentLine);
    this.stepSegment.push(this.segments.length - 1);
    const cls = opcode & 0x07;
    if ((cls === 0x05 || cls === 0x06) && opcode !== 0x85 && opcode !== 0x95 && opcode !== 0x05 && opcode !== 0x06) {
      let list = this.pending.get(insn);
      if (!list) this.pending.set(insn, (list = []));
      if (list.length >= MAX_PENDING_PER_INSN) list.shift();
      list.push(step);
    }
    this.lastOpcode = opcode;
    p.endStep = step + 1;
  }

  private pruned(insn: number): void {
    const p = this.program;
    if (!p || this.sawStats) return;
    p.pruned++;
    this.finishSegment(this.stepOffset.length, 'pruned', insn);
  }

  private branch(from: number, to: number, speculative: boolean, safe: boolean, offset: number): void {
    const p = this.ensure(offset);
    this.level2 = true;
    const last = this.segments[this.segments.length - 1];
    if (last) this.finishSegment(this.stepOffset.length, this.lastOpcode === 0x95 ? 'exit' : 'cut');
    const parentStep = this.pending.get(from)?.pop();
    const parent = parentStep === undefined ? undefined : this.segments[this.stepSegment.data[parentStep]];
    const steps = this.stepOffset.length;
    this.segments.push({
      from,
      to,
      speculative,
      firstStep: steps,
      endStep: steps,
      offset,
      parentStep,
      depth: parent ? parent.depth + 1 : 1,
      end: 'cut',
    });
    if (safe) {
      p.pruned++;
      this.finishSegment(steps, 'pruned', to);
    }
  }

  private annotation(text: string, offset: number): void {
    this.ensure(offset);
    const at = text.lastIndexOf(' @ ');
    if (at >= 0) {
      const m = /^(.*):(\d+)$/.exec(text.slice(at + 3));
      if (m) {
        this.currentLine = this.lineId(m[1], Number(m[2]), text.slice(2, at));
        return;
      }
    }
    this.currentLine = this.lineId(undefined, undefined, text.slice(2));
  }
}

function hexByte(a: number, b: number): number {
  const v = (c: number) => (c <= 57 ? c - 48 : (c | 32) - 87);
  return (v(a) << 4) | v(b);
}

/** Index a whole source in chunks (bounded memory: only the index is kept). */
export async function indexLog(source: LogSource, chunkBytes = 4 << 20): Promise<LogIndex> {
  const indexer = new LogIndexer();
  for (let off = 0; off < source.size; off += chunkBytes) indexer.push(await source.read(off, Math.min(chunkBytes, source.size - off)));
  return indexer.end();
}

/** Index a log that arrives as a stream (a file read stream, stdin). */
export async function indexStream(chunks: AsyncIterable<string | Uint8Array>): Promise<LogIndex> {
  const indexer = new LogIndexer();
  for await (const c of chunks) indexer.push(typeof c === 'string' ? Buffer.from(c, 'utf8') : c);
  return indexer.end();
}
