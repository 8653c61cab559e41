// Walks the verifier's path instruction by instruction over an indexed log, reading only the bytes
// it needs: the register and stack state before a step is the explored path's starting state
// (`from X to Y: <full state>`, or the entry state) with every state the log printed since folded in,
// in order. Folding is memoised at checkpoints, so stepping is cheap and a jump far into a long
// path reads the path once.
import { effectOfText } from './disasm';
import type { LogIndex, LogSource, ProgramIndex, Segment, SourceLine } from './logIndex';
import { classifyLine, parseRegisterState } from '../verifier/parse';

export type RegisterState = Record<string, string>;

export interface StepView {
  step: number;
  /** Steps of this program: [firstStep, endStep). */
  program: { index: number; name?: string; firstStep: number; endStep: number; error?: string; errorStep?: number };
  insn: number;
  /** `(op) text` as the log printed it. */
  text: string;
  source?: SourceLine;
  /** State before the instruction (names as the log prints them: R0..R10, fp-8, frame1.R1). */
  before: RegisterState;
  /** State after it: `before` with the state printed after the instruction folded in. */
  after: RegisterState;
  /** Names whose value the instruction changed (or that it made unreadable). */
  changed: string[];
  segment: Segment & { index: number; position: number; count: number };
  /** The verifier's error, when this is the step it stopped at. */
  error?: string;
  /** Byte offset of the instruction line in the log. */
  offset: number;
}

export interface Definition {
  /** The step whose instruction gave `name` its value. */
  step: number;
  insn: number;
  text: string;
  /** When the value was loaded from a stack slot: that slot, whose store is the next step back. */
  via?: string;
}

const CHECKPOINT_EVERY = 512;
const MAX_CHECKPOINTS = 4096;
const READ_CHUNK = 1 << 20;
const CALL_CLOBBERED = ['R1', 'R2', 'R3', 'R4', 'R5'];
const MAX_SLICE_STEPS = 1_000_000;

export class Stepper {
  private readonly checkpoints = new Map<number, RegisterState>();

  constructor(
    readonly index: LogIndex,
    private readonly source: LogSource,
  ) {}

  get steps(): number {
    return this.index.stepOffset.length;
  }

  programOf(step: number): { program: ProgramIndex; index: number } | undefined {
    const i = this.index.programs.findIndex((p) => step >= p.firstStep && step < p.endStep);
    return i < 0 ? undefined : { program: this.index.programs[i], index: i };
  }

  /** Where to open: the error of the first rejected program, else the first step. */
  initialStep(): number | undefined {
    const failed = this.index.programs.find((p) => p.errorStep !== undefined);
    if (failed) return failed.errorStep;
    return this.steps > 0 ? 0 : undefined;
  }

  async view(step: number): Promise<StepView> {
    if (!Number.isInteger(step) || step < 0 || step >= this.steps) throw new RangeError(`no step ${step} (the log has ${this.steps})`);
    const segIndex = this.index.stepSegment[step];
    const seg = this.index.segments[segIndex];
    const before = await this.stateBefore(step);
    const { text, delta } = await this.stepLine(step);
    const after = { ...before };
    if (/^\(85\) call /.test(text) && !/^\(85\) call pc/.test(text)) for (const r of CALL_CLOBBERED) delete after[r];
    for (const [k, v] of delta) after[k] = v;
    const changed = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => before[k] !== after[k]);
    const owner = this.programOf(step)!;
    const lineId = this.index.stepLine[step];
    return {
      step,
      program: {
        index: owner.index,
        name: owner.program.name,
        firstStep: owner.program.firstStep,
        endStep: owner.program.endStep,
        error: owner.program.error,
        errorStep: owner.program.errorStep,
      },
      insn: this.index.stepInsn[step],
      text,
      source: lineId >= 0 ? this.index.lines[lineId] : undefined,
      before,
      after,
      changed,
      segment: { ...seg, index: segIndex, position: step - seg.firstStep, count: seg.endStep - seg.firstStep },
      error: owner.program.errorStep === step ? owner.program.error : undefined,
      offset: this.index.stepOffset[step],
    };
  }

  /** The state before `step`: the path's start state with every later printed state folded in. */
  async stateBefore(step: number): Promise<RegisterState> {
    const seg = this.index.segments[this.index.stepSegment[step]];
    // The nearest memoised checkpoint at or before the step, inside the same path.
    let from = seg.firstStep;
    let state: RegisterState = {};
    let startOffset = seg.offset;
    for (let c = step - (step % CHECKPOINT_EVERY); c > seg.firstStep; c -= CHECKPOINT_EVERY) {
      const hit = this.checkpoints.get(c);
      if (hit) {
        from = c;
        state = { ...hit };
        startOffset = this.index.stepOffset[c];
        break;
      }
    }
    const endOffset = this.index.stepOffset[step];
    let next = from; // the next step whose line we will meet
    await this.forEachLine(startOffset, endOffset, (line, offset) => {
      if (next < this.steps && offset === this.index.stepOffset[next]) {
        if (next > from && next % CHECKPOINT_EVERY === 0) this.remember(next, state);
        this.applyInsn(state, line);
        next++;
        return;
      }
      const l = classifyLine(line);
      if (l.kind === 'state' || (l.kind === 'branch' && l.state && l.state !== 'safe')) {
        if (l.kind === 'branch') for (const k of Object.keys(state)) delete state[k];
        for (const [k, v] of parseRegisterState(l.state)) state[k] = v;
      }
    });
    return state;
  }

  private remember(step: number, state: RegisterState): void {
    if (this.checkpoints.size >= MAX_CHECKPOINTS) this.checkpoints.delete(this.checkpoints.keys().next().value!);
    this.checkpoints.set(step, { ...state });
  }

  private applyInsn(state: RegisterState, raw: string): void {
    const l = classifyLine(raw);
    if (l.kind !== 'insn') return;
    if (l.disasm.startsWith('call ') && !l.disasm.startsWith('call pc')) for (const r of CALL_CLOBBERED) delete state[r];
    if (l.state) for (const [k, v] of parseRegisterState(l.state)) state[k] = v;
  }

  /** The instruction text and the state printed after it. */
  async stepLine(step: number): Promise<{ text: string; delta: Map<string, string> }> {
    const [line] = await this.readStepLines(step, step + 1);
    const l = classifyLine(line);
    if (l.kind !== 'insn') return { text: line, delta: new Map() };
    return { text: `(${l.opcode}) ${l.disasm}`, delta: l.state ? parseRegisterState(l.state) : new Map() };
  }

  /** The raw lines of steps [from, to). */
  async readStepLines(from: number, to: number): Promise<string[]> {
    const out: string[] = [];
    for (let s = from; s < to;) {
      // Read a block that ends at a step start; long runs are read in chunks.
      let e = s + 1;
      while (e < to && this.index.stepOffset[e] - this.index.stepOffset[s] < READ_CHUNK) e++;
      const start = this.index.stepOffset[s];
      const lastStart = this.index.stepOffset[e - 1];
      const bytes = Buffer.from(await this.source.read(start, Math.min(this.source.size, lastStart + 4096) - start));
      for (let k = s; k < e; k++) {
        const a = this.index.stepOffset[k] - start;
        let b = bytes.indexOf(10, a);
        if (b < 0) b = bytes.length;
        if (b > a && bytes[b - 1] === 13) b--;
        out.push(bytes.toString('utf8', a, b).trim());
      }
      s = e;
    }
    return out;
  }

  /**
   * Where `name` (a register r0..r10 / R0..R10, or a stack slot fp-8) got the value it has before
   * `step`: the latest earlier instruction on the verifier's path that wrote it, crossing back into
   * the path a branch was pushed from. A load from the stack names its slot in `via`.
   */
  async definition(step: number, name: string): Promise<Definition | undefined> {
    const reg = /^[rRwW](\d+)$/.exec(name);
    const wanted = reg ? `r${reg[1]}` : /^fp-?\d+$/.test(name) ? name.replace(/^fp(?=\d)/, 'fp-') : undefined;
    if (!wanted) return undefined;
    let examined = 0;
    let s = step - 1;
    let segStart = this.index.segments[this.index.stepSegment[step]].firstStep;
    let parent = this.index.segments[this.index.stepSegment[step]].parentStep;
    while (examined < MAX_SLICE_STEPS) {
      if (s < segStart) {
        if (parent === undefined) return undefined;
        s = parent;
        const seg = this.index.segments[this.index.stepSegment[s]];
        segStart = seg.firstStep;
        parent = seg.parentStep;
      }
      const from = Math.max(segStart, s - 255);
      const lines = await this.readStepLines(from, s + 1);
      for (let k = lines.length - 1; k >= 0; k--) {
        examined++;
        const l = classifyLine(lines[k]);
        if (l.kind !== 'insn') continue;
        const effect = effectOfText(l.disasm);
        const hit = wanted.startsWith('fp') ? effect.stackWrite === wanted : effect.writes.includes(wanted);
        if (hit) {
          const at = from + k;
          return { step: at, insn: this.index.stepInsn[at], text: `(${l.opcode}) ${l.disasm}`, via: effect.stackRead };
        }
      }
      s = from - 1;
    }
    return undefined;
  }

  private async forEachLine(start: number, end: number, fn: (line: string, offset: number) => void): Promise<void> {
    let carry = Buffer.alloc(0);
    let carryOffset = start;
    for (let off = start; off < end;) {
      const n = Math.min(READ_CHUNK, end - off);
      const chunk = Buffer.from(await this.source.read(off, n));
      off += chunk.length;
      if (chunk.length === 0) break;
      const buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
      let a = 0;
      for (;;) {
        const nl = buf.indexOf(10, a);
        if (nl < 0) break;
        let b = nl;
        if (b > a && buf[b - 1] === 13) b--;
        fn(buf.toString('utf8', a, b), carryOffset + a);
        a = nl + 1;
      }
      carry = Buffer.from(buf.subarray(a));
      carryOffset += a;
    }
    if (carry.length && carryOffset < end) fn(carry.toString('utf8'), carryOffset);
  }
}
