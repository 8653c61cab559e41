// Where the root cause of a finding is: each catalog family names its causes (`causes` of its
// entry, typed RootCause ids), and each cause has one function here that looks for it in the
// verifier's walk and the sources. Steps that read evidence any family may carry (where a
// register got its value, an array's length, an inlined helper's return) run for every finding.
// Adding a family's cause touches this file once: its id, its function, its place in ORDER.
import { contextField, programKind, type ProgramKind } from './context';
import { stripMessagePrefixes } from './explain';
import { findSource, type SourceLocation } from './locate';
import { definesOf, firstUse, returnedConstant } from './placement';
import { arithmeticSource, memoryOperandRegister, traceRegister, type HistoryRecord, type OriginStep } from './provenance';
import {
  argumentExpression,
  assignedVariable,
  assignmentAbove,
  callChain,
  callSitesTo,
  comparisonAbove,
  conditionAbove,
  declaredName,
  enclosingLoop,
  fieldReadLine,
  functionHeader,
  functionDeclaration,
  largeLocals,
  loopBody,
  licenseLine,
  localDeclaration,
  mapTypeLine,
  mapValueTypeLine,
  programDefinition,
  sectionAbove,
  SIGNED_TYPE,
  declaresSigned,
  sourceLine,
  mapsHolding,
  memberAccess,
  pointerReadThrough,
  globalsHolding,
  structDefinition,
  structFieldsOfType,
  structMember,
  typeSize,
  symbolDeclaration,
  symbolLines,
  withoutComment,
  wrapperParams,
} from './source-hints';
import { catalog, catalogEntry } from './catalog';
import type { CatalogEntry, Finding, ProgramLog, RelatedLocation, RootCause } from './types';

/** What the analyzer knows when a finding is built: the finding, the walk, the sources. */
export interface CauseInput {
  f: Finding;
  /** The instruction the verifier stopped at (none for whole-program checks). */
  failing?: { index: number; disasm: string };
  /** The other lines printed with the message. */
  others: string[];
  records: readonly HistoryRecord[];
  /** The position of the last instruction in `records`. */
  pos: number;
  sources?: ReadonlyMap<string, string>;
  /** The register state before the failing instruction. */
  registers: Map<string, string>;
  log: ProgramLog;
  /** The SEC() name of the program. */
  section?: string;
  /** The text annotated at instruction 0 (the program's own line). */
  entryText?: string;
  /** The program libbpf named, when the verifier log did not. */
  libbpfProgram?: string;
  locate(insn: number | undefined): SourceLocation | undefined;
  relatedAt(insn: number, message: string): RelatedLocation;
  findDisasm(insn: number): string | undefined;
}

interface CauseState extends CauseInput {
  d: Record<string, string>;
  entry?: CatalogEntry;
  has(c: RootCause): boolean;
  program?: string;
  kind?: ProgramKind;
  /** The reference the message says was acquired and never released (`alloc_insn=N`). */
  alloc: RegExpExecArray | null;
  /** The register the message names (`R3`, or `arg#N` of a call as R(N+1)). */
  named?: number;
  /** The register the message is about: the named one, else the failing access's base. */
  reg?: number;
  /** The register added to a pointer by the failing instruction (`r1 += r2`). */
  arith?: number;
  /** The context field the described register was loaded from. */
  fromField?: string;
  /** How the register's origin was explained: the origin step is left to the family's own cause. */
  branch?: 'stack' | 'origin' | 'released';
  /** The loop condition the verifier could not see change, when one was found. */
  loop?: { at: RelatedLocation; text?: string };
  steps: OriginStep[];
  origin(steps: OriginStep[]): OriginStep | undefined;
  isContext(at: number, reg: number): boolean;
  computed(steps: OriginStep[]): void;
  describe(steps: OriginStep[], what: string): void;
  posOf(insn: number): number;
}

function stateOf(input: CauseInput): CauseState {
  const { f, records, pos, sources, relatedAt } = input;
  const entry = catalogEntry(f.catalogId);
  const d = f.details ?? {};
  const s: CauseState = { ...input, d, entry, steps: [], alloc: /alloc_insn=(\d+)/.exec(f.message) } as unknown as CauseState;
  s.has = (c) => !!entry?.causes?.includes(c) && (entry.causeWhen?.[c]?.test(f.message) ?? true);
  s.program = input.log.name;
  s.kind = programKind(input.section);
  s.origin = (steps: OriginStep[]) => steps[steps.length - 1];
  /** The register still holds the context pointer the program was called with (R1 at entry, or a copy of it). */
  s.isContext = (at: number, reg: number) => {
    const steps = traceRegister(records, at, reg);
    if (steps.some((x) => x.role !== 'copy')) return false;
    return steps.length ? /= r1$/.test(steps[steps.length - 1].disasm) : reg === 1;
  };
  /** The arithmetic on the value between its origin and here (`n - 1`, `pid & N`): where it was computed. */
  s.computed = (steps: OriginStep[]) => {
    const o = s.origin(steps);
    // A stack address (`r1 = r10; r1 += -16`) is not a computed value: its offset is the local's.
    if (o && /= r10$/.test(o.disasm)) return;
    const seen = new Set<number>();
    for (const st of steps) {
      if (st.role !== 'arith' || st === o) continue;
      const at = relatedAt(st.insnIndex, `the value is computed here (\`${st.disasm}\`)`);
      if (!at.line || at.line === f.line || seen.has(at.line) || seen.size >= 2) continue;
      seen.add(at.line);
      const mask = /&= (0x[0-9a-f]+|\d+)$/.exec(st.disasm);
      const n = mask ? Number(mask[1]) : NaN;
      const text = sourceLine(sources, at.file, at.line) ?? '';
      const name = /&\s*\(?\s*([A-Za-z_]\w*)\s*\)?/.exec(text.replace(/&&/g, ''))?.[1] ?? String(n);
      const masked = powerOfTwoMask(name, n);
      if (masked) {
        at.message = `masked with ${n} here (\`${st.disasm}\`): that keeps 0 and ${n}, not 0..${n - 1}`;
        f.explanation += ` The index is masked: ${masked}`;
        f.fix = `Mask with \`${name} - 1\`: \`x & (${name} - 1)\` keeps 0..${n - 1}.`;
      }
      f.related.push(at);
      const stmt = withoutComment(text);
      if (stmt && seen.size === 1 && !f.explanation.includes(stmt)) f.explanation += ` The value is computed at \`${stmt}\`.`;
      // The line calls an inlined function that does the arithmetic (`buf_idx(off)` masking its
      // argument): the line info names the call, the function's `return` is where it is written.
      const ret = sources && at.file ? inlinedReturn(sources, at.file, text, st.disasm) : undefined;
      if (ret && !f.related.some((r) => r.file === ret.file && r.line === ret.line)) {
        f.related.push({ file: ret.file, line: ret.line, message: `\`${ret.name}()\` computes the value here (\`${st.disasm}\`)` });
        if (!f.explanation.includes(ret.text)) f.explanation += ` \`${ret.name}()\` computes it: \`${ret.text}\`.`;
      }
    }
  };
  s.describe = (steps: OriginStep[], what: string) => {
    const o = s.origin(steps);
    if (!o) return;
    s.computed(steps);
    const at = relatedAt(o.insnIndex, `${what} (\`${o.disasm}\`)`);
    // A load from the context (`r1 = *(u64 *)(r1 +8)`): name the field, and when the compiler
    // moved the load onto the failing line (or line 0), the statement that reads that field.
    const ld = /^r\d+ = \*\(u\d+ \*\)\(r\d+ \+(\d+)\)$/.exec(o.disasm);
    const field =
      ld && s.kind?.struct && s.isContext(s.posOf(o.insnIndex), Number(/\(r(\d+)/.exec(o.disasm)![1]))
        ? contextField(s.kind.struct, Number(ld[1]))
        : undefined;
    if (field && field.off === Number(ld![1])) {
      s.fromField = field.name;
      at.message = `${what}: it is ctx->${field.name} (\`${o.disasm}\`)`;
      if (sources && f.file && f.line && (at.line === undefined || at.line === f.line)) {
        const read = fieldReadLine(sources, f.file, f.line, field.name);
        if (read) Object.assign(at, read);
      }
    }
    f.related.push(at);
  };
  s.posOf = (insn: number) => {
    for (let i = pos; i >= 0; i--) {
      const r = records[i];
      if (r.kind === 'insn' && r.index === insn) return i;
    }
    return pos;
  };

  const failing = input.failing;
  s.named = f.details?.register ? Number(f.details.register.slice(1)) : undefined;
  const argNo = /\barg ?#?(\d)\b/.exec(f.message);
  if (s.named === undefined && argNo && failing && /^call /.test(failing.disasm)) s.named = Number(argNo[1]) + 1;
  // A message without a register whose continuation names one (`R4 max value is outside ...`).
  const continued = s.named === undefined ? /^R(\d+) /.exec(input.others.find((o) => /^R\d+ /.test(o)) ?? '') : null;
  if (continued && failing && /^call /.test(failing.disasm)) s.named = Number(continued[1]);
  s.arith = failing ? arithmeticSource(failing.disasm) : undefined;
  s.reg = s.named ?? (s.arith === undefined && failing ? memoryOperandRegister(failing.disasm) : undefined);
  return s;
}

/** A loop's header line: `for (`, `while (`, `do`, and the iterator macros. */
const LOOP_HEADER = /\b(?:for|while)\s*\(|\bdo\b|\bbpf_for(?:_each)?\s*\(|\bbpf_repeat\s*\(/;

/** Each family's root cause, by the id its catalog entry names (run only when the entry has it). */
/** The helpers that turn a socket pointer into a pointer of a larger socket type, checking its kind. */
const SOCK_CASTS: Record<string, string> = {
  tcp_sock: 'bpf_skc_to_tcp_sock',
  tcp6_sock: 'bpf_skc_to_tcp6_sock',
  udp6_sock: 'bpf_skc_to_udp6_sock',
  unix_sock: 'bpf_skc_to_unix_sock',
  mptcp_sock: 'bpf_skc_to_mptcp_sock',
  tcp_timewait_sock: 'bpf_skc_to_tcp_timewait_sock',
  tcp_request_sock: 'bpf_skc_to_tcp_request_sock',
};

const BY_CAUSE: Record<RootCause, (s: CauseState) => void> = {
  // References that were never released: the allocation instruction is printed.
  acquisition: (s) => {
    const { f, records, pos, failing, relatedAt, locate, findDisasm, alloc } = s;
    if (alloc) {
      const at = Number(alloc[1]);
      f.related.push(relatedAt(at, 'reference acquired here is never released on this path'));
      const r = f.related[f.related.length - 1];
      f.quickFix = { kind: 'release-reference', file: r.file, line: r.line, symbol: assignedVariable(locate(at)?.text) };
      const acquire = findDisasm(at)?.match(/^call (\w+)/)?.[1];
      const release = acquire ? releaseOf(acquire) : undefined;
      if (acquire && release) {
        f.explanation +=
          acquire === 'bpf_map_lookup_elem'
            ? ' The reference comes from bpf_map_lookup_elem() on a SOCKMAP / SOCKHASH, which returns the socket with a reference held; release it with bpf_sk_release() on every path that leaves the program.'
            : ` The reference comes from ${acquire}(); release it with ${release} on every path that leaves the program.`;
        f.fix = `Call ${release} before this return (or on every path after ${acquire}() succeeds).`;
      }
      // Name the variable that holds the reference, where it was taken, and the return that leaks it.
      const taken = locate(at);
      // A dynptr acquisition fills its last argument: that is what holds the reference.
      const dynptrArg = acquire?.endsWith('_dynptr') && taken?.text ? lastArgument(taken.text) : undefined;
      const holder =
        dynptrArg?.match(/^&?\s*(\w+)$/)?.[1] ??
        assignedVariable(taken?.text) ??
        argumentExpression(taken?.text, 0)?.match(/^&\s*(\w+)$/)?.[1];
      // Taken inside a function the program inlines: the call that brought it there.
      const site =
        taken?.file && taken.line && s.sources && s.program ? callSitesTo(s.sources, taken.file, taken.line, s.program).pop() : undefined;
      if (site && !f.related.some((r) => r.line === site.line && r.file === site.file)) {
        f.related.push({ file: site.file, line: site.line, message: `\`${site.callee}()\`, which takes the reference, is called here` });
        f.explanation += ` The reference is taken inside \`${site.callee}()\`, called at line ${site.line}: on its success path the caller owns it.`;
      }
      if (holder && release && taken?.line && !f.explanation.includes(`\`${holder}\` holds`)) {
        // `if (p->flags & PF_KTHREAD)\n\treturn 0;`: the condition that takes this exit.
        const cond = s.sources && f.file && f.line ? conditionAbove(s.sources, f.file, f.line) : undefined;
        const exit =
          f.line && f.sourceText && /\breturn\b/.test(f.sourceText)
            ? ` \`${withoutComment(f.sourceText)}\` at line ${f.line}${cond ? ` (taken when \`${cond}\`)` : ''}`
            : ' this path';
        f.explanation += ` \`${holder}\` holds it (line ${taken.line}: \`${withoutComment(taken.text)}\`), and${exit} leaves without releasing it.`;
        const calls = release
          .split(' or ')
          .map((c) =>
            c.replace(
              '()',
              /_dynptr/.test(c)
                ? `(${dynptrArg?.startsWith('&') || site ? '&' : ''}${holder}, 0)`
                : /ringbuf/.test(c)
                  ? `(${holder}, 0)`
                  : /iter_/.test(c)
                    ? `(&${holder})`
                    : `(${holder})`,
            ),
          );
        f.fix = `Call ${calls.join(' or ')} before${exit === ' this path' ? ' this return' : exit}, and on every other path after line ${site?.line ?? taken.line}.`;
      }
    }

    // Releasing what was never acquired: say where the pointer came from instead.
    if (!alloc && failing && /^call /.test(failing.disasm)) {
      const from = traceRegister(records, pos, 1).pop();
      const state = s.registers.get('R1');
      const held =
        state && !/ref_obj_id=/.test(state) ? ` R1 holds \`${state}\`, a pointer that carries no reference (no ref_obj_id).` : '';
      const what =
        (from ? `it comes from \`${from.disasm.replace(/\s*;.*$/, '')}\`` : 'it was not returned by an acquiring function') + '.' + held;
      if (from) f.related.push(relatedAt(from.insnIndex, 'the pointer released here was not acquired by the program'));
      f.explanation += ` Only a pointer the program acquired itself (from bpf_sk_lookup_tcp/udp, bpf_skc_lookup_tcp, bpf_task_acquire, bpf_task_from_pid, bpf_cgroup_from_id, bpf_ringbuf_reserve, ...) may be released; ${what}`;
    }
  },
  // Callback return values: name the callback and the call that registered it.
  callback: (s) => {
    const { f, d, records, pos, failing, relatedAt, locate, log } = s;
    const site = findCallbackCallSite(records, pos);
    // The callback starts where the subprogram list says, or (level 1) where the call jumped to.
    const sub = (failing ? enclosingSubprog(log, failing.index) : undefined) ?? site?.callee;
    if (sub !== undefined) f.related.push(relatedAt(sub, 'the callback whose return value is checked starts here'));
    if (site) f.related.push(relatedAt(site.index, `registered as a callback by \`${site.disasm}\``));
    // Every callback-taking helper passes the callback as its second argument.
    const callName = site ? locate(site.index)?.text : undefined;
    const functionName = argumentExpression(callName, 1)?.match(/^\(?\s*(?:\([^)]*\)\s*)?&?(\w+)\s*\)?$/)?.[1];
    f.quickFix = { kind: 'callback-return-range', file: f.file, line: f.line, range: parseRange(d.range) ?? [0, 1], functionName };
    // The value this return gives, as the callback writes it, when it is not a constant.
    const { sources } = s;
    const returned = /\breturn\s+(.+?)\s*;/.exec(withoutComment(f.sourceText))?.[1];
    if (!returned || !sources || !f.file || !f.line) return;
    const header = functionHeader(sources, f.file, f.line);
    const name = functionName ?? (header ? declaredName(sourceLine(sources, header.file, header.line)) : undefined);
    const who = name ? `\`${name}()\`` : 'The callback';
    if (/^-?(?:\d+|0x[0-9a-fA-F]+|[A-Z_][A-Z0-9_]*)$/.test(returned)) {
      // A constant: usually an errno, where the helper reads only "go on" (0) or "stop" (1).
      const value = /smin=(-?\d+),? smax=(-?\d+)/.exec(f.message);
      const v = value && value[1] === value[2] ? value[1] : undefined;
      if ((d.range ?? '[0, 1]') !== '[0, 1]' || v === '0' || v === '1') return;
      const errno = /^-[A-Z]/.test(returned);
      f.explanation += ` ${who} returns \`${returned}\`${v && v !== returned ? ` (${v})` : ''} on this path${errno ? ', an error code' : ''}: the helper takes the callback's result only as 0 (go on) or 1 (stop).`;
      f.fix = `Return 1 to stop instead of \`return ${returned};\`${errno ? ` and, if the caller needs the error, store it in the context the callback gets (e.g. \`ctx->err = ${returned}; return 1;\`)` : ''}.`;
      return;
    }
    const set = /^\w+$/.test(returned) ? assignmentAbove(sources, f.file, f.line, returned) : undefined;
    const from = set && !set.parameter ? /=\s*(\w+)\s*\(/.exec(withoutComment(set.text))?.[1] : undefined;
    const range = d.range ?? '[0, 1]';
    f.explanation += ` ${who} returns \`${returned}\` on this path${from ? `, the result of ${from}()` : ''}: a number the verifier cannot pin down, where only ${range} is allowed.`;
    f.fix =
      range === '[0, 1]'
        ? `Return a constant on that path: \`return 1;\` to stop (or 0 to go on) instead of \`return ${returned};\`; keep \`${returned}\` in the context the callback gets if the caller needs it.`
        : `Return a constant in ${range} on that path instead of \`return ${returned};\`.`;
  },
  'return-range': (s) => {
    const { f, d, sources, program } = s;
    // A return right after bpf_tail_call(): the path where the tail call did not happen.
    const tail = s.records
      .slice(Math.max(0, s.pos - 12), s.pos + 1)
      .some((r) => r.kind === 'insn' && /^call bpf_tail_call#/.test(r.disasm));
    if (tail && !f.explanation.includes('bpf_tail_call'))
      f.explanation +=
        ' This return runs when bpf_tail_call() falls through — the program-array slot is empty or the index is out of range — so it must return an allowed value too.';
    if (d.range) {
      f.quickFix = { kind: 'program-return-range', file: f.file, line: f.line, range: parseRange(d.range) };
      // The allowed range is the program type's, and the SEC() chose the type.
      const def = sources && program ? programDefinition(sources, program, f.file) : undefined;
      const sec = sources && (def ?? (f.file && f.line ? { file: f.file, line: f.line } : undefined));
      const at = sec && sources ? sectionAbove(sources, sec.file, sec.line) : undefined;
      if (at) f.related.push({ ...at, message: `the section sets the program type, which must return a value in ${d.range}` });
      // The value this return gives, as the program writes it, when it is not a constant.
      const returned = /\breturn\s+(.+?)\s*;/.exec(withoutComment(f.sourceText))?.[1];
      const bounds = /smin=(-?\w+),? smax=(-?\w+)/.exec(f.message);
      if (returned && !/^-?(?:\d+|0x[0-9a-fA-F]+|[A-Z_][A-Z0-9_]*)$/.test(returned) && !f.explanation.includes(`\`${returned}\``)) {
        const constant = bounds?.[1] !== undefined && bounds[1] === bounds[2];
        const known = constant
          ? ` it is ${bounds![1]} on this path, outside the range`
          : bounds?.[1] !== undefined
            ? ` the verifier knows it only as ${bounds[1]}..${bounds[2]}, a value computed or read at run time`
            : ' the verifier cannot pin it down, a value computed or read at run time';
        f.explanation += ` This path returns \`${returned}\`:${known}, not one of the allowed values.`;
        if (!constant)
          f.fix = `Turn \`${returned}\` into an allowed value before returning it, e.g. \`return ${returned} ? 1 : 0;\` (or compare it with what means allow).`;
      } else if (returned && bounds?.[1] !== undefined && bounds[1] === bounds[2] && !f.explanation.includes(`\`${returned}\``)) {
        // A constant outside the range, often an errno where the type wants a verdict.
        const errno = /^-[A-Z][A-Z0-9_]*$/.test(returned);
        // `if (cond)\n\treturn -1;`: the condition that leads to this return.
        const cond = sources && f.file && f.line ? conditionAbove(sources, f.file, f.line) : undefined;
        f.explanation += ` This path returns \`${returned}\` (${bounds[1]})${cond ? ` when \`${cond}\`` : ''}${errno ? ', an error code, where this program type expects a verdict' : ''}: outside ${d.range}.`;
        f.fix = `Return a value in ${d.range} here instead of \`${returned}\`${/^cgroup/.test(s.section ?? '') ? ' (cgroup programs: 0 rejects, 1 allows; the error the caller sees comes from bpf_set_retval() or the kernel default)' : ''}.`;
      }
    }
  },
  // A callback the verifier refuses as such (not static): the function passed to the helper.
  'callback-definition': (s) => {
    const { f, sources } = s;
    const name = argumentExpression(f.sourceText, 1)?.match(/^\(?\s*(?:\([^)]*\)\s*)?&?(\w+)\s*\)?$/)?.[1];
    const def = name && sources ? programDefinition(sources, name, f.file) : undefined;
    if (!def || !name) return;
    const header = sourceLine(sources, def.file, def.line) ?? '';
    f.related.push({
      ...def,
      message: `\`${name}()\`, the callback, is defined here${/\bstatic\b/.test(header) ? '' : ' without `static`'}`,
    });
    if (!/\bstatic\b/.test(header)) {
      f.explanation += ` The callback is \`${name}()\`, defined as \`${withoutComment(header)}\`: without \`static\` it is a global function, which the verifier checks on its own and cannot take as a callback.`;
      f.fix = `Declare it \`static ${withoutComment(header).replace(/\s*\{\s*$/, '')}\`.`;
    }
  },
  // A global function whose return type the verifier refuses: its definition is the place.
  'function-return': (s) => {
    const { f, sources } = s;
    const returns = /^Global function (\w+)\(\) doesn't return scalar/.exec(f.message);
    const header = returns && sources ? programDefinition(sources, returns[1], f.file) : undefined;
    // The declaration from its return type (a line of its own in some styles): what to change.
    const returnsDef = header ? functionDeclaration(sources, header) : undefined;
    if (returns && returnsDef) {
      if (f.file && f.line) f.related.push({ file: f.file, line: f.line, message: `\`${returns[1]}()\` is called here` });
      f.file = returnsDef.file;
      f.line = returnsDef.line;
      f.sourceText = returnsDef.text;
      f.explanation += ` \`${returns[1]}()\` is not static, so it is a global function, verified on its own, and a global function may only return a scalar: \`${withoutComment(f.sourceText)}\` returns a pointer.`;
      f.fix = `Make it \`static ${withoutComment(f.sourceText).replace(/^static\s+/, '')}\` (verified with its caller, so it may return the pointer), or return a scalar and pass the pointer out through an argument.`;
    }
    // A tail call (or LD_ABS) in a function that does not return int: that function's definition.
    const only = /^(tail_call|LD_ABS) is only allowed in functions that return 'int'/.exec(f.message)?.[1];
    const call = only === 'tail_call' ? /\bbpf_tail_call(?:_static)?\s*\(/ : /\bload_(?:byte|half|word)\s*\(|__builtin_bpf_load/;
    for (const [file, text] of only && sources ? sources : []) {
      const lines = text.split('\n');
      const at = lines.findIndex((l) => call.test(l) && !/^\s*(?:\/\/|\*|#)/.test(l));
      const start = at >= 0 ? functionHeader(sources!, file, at + 1) : undefined;
      const header = start ? functionDeclaration(sources, start) : undefined;
      const headerText = header?.text ?? '';
      const name = declaredName(headerText);
      if (!header || !name || !/\bvoid\b/.test(headerText.slice(0, headerText.indexOf(name)))) continue;
      if (f.file && f.line) f.related.push({ file: f.file, line: f.line, message: 'the program being loaded' });
      f.related.push({
        file: header.file,
        line: at + 1,
        message: `the ${only === 'tail_call' ? 'tail call' : 'packet load'} inside \`${name}()\``,
      });
      f.file = header.file;
      f.line = header.line;
      f.sourceText = headerText;
      f.explanation += ` \`${name}()\` returns void (\`${withoutComment(headerText)}\`), and it ${only === 'tail_call' ? 'makes the tail call' : 'loads from the packet with LD_ABS'}.`;
      f.fix = `Declare \`${name}()\` to return int (and return its result), or make it __always_inline so the ${only === 'tail_call' ? 'tail call' : 'load'} is in the caller.`;
      break;
    }
  },
  // An access past the end of a map value at a constant offset: the value type the map declares.
  'value-type': (s) => {
    const { f, d, sources, failing, registers, named } = s;
    // A pointer with a variable offset (an index added to it): the log's off= is its largest offset.
    const ptr = named !== undefined ? registers.get(`R${named}`) : undefined;
    const umax = ptr?.startsWith('map_value') ? /\bumax=(?:[a-z]+\d*=)*(0x[0-9a-f]+|\d+)/.exec(ptr)?.[1] : undefined;
    if (umax !== undefined && /max value is outside/.test(s.others.join('\n') + f.message)) {
      const fixed = Number(/\boff=(-?\d+)/.exec(ptr!)?.[1] ?? 0);
      const room = Number(d.value_size) - fixed - Number(d.size);
      f.explanation = `R${named} points into the ${d.value_size}-byte map value at offset ${fixed} plus a variable part of up to ${Number(umax)}: the access of ${d.size} bytes may start as late as offset ${d.off} and end at ${Number(d.off) + Number(d.size)}, past the end. The bound on the variable part (a mask or a check) allows ${Number(umax)}, but only 0..${Math.max(room, 0)} leave room for ${d.size} bytes.`;
      f.fix =
        room >= 0
          ? `Bound the index to ${room} (value_size ${d.value_size} - offset ${fixed} - size ${d.size}) before adding it, e.g. \`if (off > ${room}) return 0;\` or a mask no larger than it (${2 ** Math.floor(Math.log2(room + 1)) - 1}).`
          : `The access of ${d.size} bytes does not fit after offset ${fixed}: pass a smaller size or a larger buffer.`;
    }
    // A pointer to one map value indexed as an array (`slots[slot]` on an 8-byte value).
    const arrayUse = withoutComment(f.sourceText).match(/(\w+)\s*\[\s*([A-Za-z_]\w*)\s*\]/);
    const lookup = arrayUse && sources && f.file && f.line ? assignmentAbove(sources, f.file, f.line, arrayUse[1]) : undefined;
    if (arrayUse && lookup && /bpf_map_lookup_elem\s*\(/.test(lookup.text) && Number(d.value_size) <= Number(d.size) * 2) {
      const map = /bpf_map_lookup_elem\s*\(\s*&\s*(\w+)/.exec(lookup.text)?.[1];
      f.related.push({
        file: lookup.file,
        line: lookup.line,
        message: `\`${arrayUse[1]}\` points to one ${d.value_size}-byte value of map \`${map ?? '?'}\``,
      });
      f.explanation += ` \`${arrayUse[1]}\` is the value the lookup at line ${lookup.line} returns: ${d.value_size} bytes, one element, but the code indexes it as an array (\`${arrayUse[0]}\`).`;
      f.fix = `Declare the map's value as the whole array (\`__type(value, u64[N])\` or a struct holding it), or make each slot its own map entry (key = \`${arrayUse[2]}\`).`;
    }
    // An array member of the value indexed past its length (`allow->words[vid >> 6]`).
    const indexed = /\b(\w+)\s*->\s*(\w+)\s*\[([^\]]+)\]/.exec(withoutComment(f.sourceText));
    // A global array (.bss/.data, one map value) indexed past its length: `counts[pid & 0xffff]`.
    const plain = !indexed ? /(?<![.>\w])([A-Za-z_]\w*)\s*\[([^\]]+)\]/.exec(withoutComment(f.sourceText)) : null;
    const global = plain && sources ? symbolDeclaration(sources, plain[1], f.file) : undefined;
    const globalText = global ? withoutComment(sourceLine(sources, global.file, global.line)).trim() : '';
    const globalDecl =
      global && /^\S/.test(sourceLine(sources, global.file, global.line) ?? '')
        ? /^((?:(?:static|volatile|const|unsigned|signed|struct)\s+)*\w+)\s+(\w+)((?:\s*\[[^\]]+\])+)/.exec(globalText)
        : null;
    if (plain && globalDecl && globalDecl[2] === plain[1] && d.off !== undefined) {
      const dims = [...globalDecl[3].matchAll(/\[([^\]]+)\]/g)].map((x) => x[1]);
      const elem = typeSize(sources!, globalDecl[1], dims.slice(1), global!.file)?.bytes;
      const whole = typeSize(sources!, globalDecl[1], dims, global!.file)?.bytes;
      if (elem && whole) {
        const length = whole / elem;
        const reached = Math.floor(Number(d.off) / elem);
        if (reached >= length) {
          f.related.push({
            ...global!,
            message: `\`${plain[1]}\` has ${length} elements (\`${globalText}\`), fewer than the index reaches`,
          });
          f.explanation += ` \`${plain[1]}\` is a global array of ${length} elements (\`${globalText}\`), and the index \`${plain[2].trim()}\` goes past its last element (${length - 1}) on this path: the access reaches offset ${d.off} of the ${d.value_size}-byte value that holds the program's globals.`;
          const idx = /^\w+$/.test(plain[2].trim()) ? plain[2].trim() : `(${plain[2].trim()})`;
          f.fix = `Bound the index by the array (\`if (${idx} >= ${length}) return 0;\`${(length & (length - 1)) === 0 ? `, or the mask \`& ${length - 1}\`` : ''}), or size \`${plain[1]}\` for every index, or keep per-key counters in a hash map.`;
          return;
        }
      }
    }
    const baseDecl = indexed && sources && f.file && f.line ? localDeclaration(sources, f.file, f.line, indexed[1]) : undefined;
    const baseType = baseDecl ? /\bstruct\s+(\w+)\s*\*/.exec(sourceLine(sources, baseDecl.file, baseDecl.line) ?? '')?.[1] : undefined;
    const arr = baseType && indexed ? structMember(sources!, baseType, indexed[2], f.file) : undefined;
    const elem = arr && arr.dims.length ? typeSize(sources!, arr.memberType, [], arr.file)?.bytes : undefined;
    const whole = arr && elem ? typeSize(sources!, arr.memberType, arr.dims, arr.file)?.bytes : undefined;
    if (indexed && arr && elem && whole && arr.offset !== undefined && d.off !== undefined) {
      const length = whole / elem;
      const reached = Math.floor((Number(d.off) - arr.offset) / elem);
      if (reached >= length) {
        f.related.push({ ...arr, message: `\`${indexed[2]}\` has ${length} elements (\`${arr.text}\`); the index reaches ${reached}` });
        f.explanation += ` \`${indexed[1]}->${indexed[2]}\` has ${length} elements (\`${arr.text}\`, ${whole} bytes), and the index \`${indexed[3].trim()}\` can reach ${reached} on this path (offset ${d.off}), past its last element ${length - 1}.`;
        f.fix = `Size \`${indexed[2]}\` for every index the code can compute (${reached + 1} elements here), or leave before the access when \`${indexed[3].trim()}\` >= ${length}.`;
        return;
      }
    }
    // A helper reading or writing more than the member it is given (`&tgt->addr` with a size of 16).
    const argReg =
      failing && /^call /.test(failing.disasm) ? /\bR(\d+) (?:min|max) value is outside/.exec(s.others.join('\n'))?.[1] : undefined;
    const argState = argReg ? registers.get(`R${argReg}`) : undefined;
    const argMap = argState ? /^map_value\((?:[^)]*,)?map=(\w+)/.exec(argState)?.[1] : undefined;
    let argExpr = argReg ? argumentExpression(f.sourceText, Number(argReg) - 1) : undefined;
    // A parameter of the inlined function the call is in: what its caller passed in that place.
    if (argExpr && /^\w+$/.test(argExpr) && sources && f.file && f.line && s.program) {
      const header = functionHeader(sources, f.file, f.line);
      const at = header ? wrapperParams(sourceLine(sources, header.file, header.line)).indexOf(argExpr) : -1;
      // The call after the place the pointer was made (the lookup), when the function is called twice.
      const from = s.origin(traceRegister(s.records, s.pos, Number(argReg)));
      const made = from ? s.locate(from.insnIndex)?.line : undefined;
      const site = at >= 0 ? callSitesTo(sources, f.file, f.line, s.program, made).pop() : undefined;
      const passed = site ? argumentExpression(sourceLine(sources, site.file, site.line), at) : undefined;
      if (passed) argExpr = passed;
    }
    // `&v->addr`, or an array member `v->name` (which is its address).
    const memberRef = argExpr ? /(?:&\s*)?(\w+)\s*->\s*(\w+)\s*$/.exec(argExpr.replace(/^\(\s*[\w\s*]+\)\s*/, '')) : null;
    const mapDecl = argMap && memberRef && sources ? symbolDeclaration(sources, argMap, f.file) : undefined;
    const valueLine = mapDecl ? mapValueTypeLine(sources!, mapDecl.file, mapDecl.line) : undefined;
    const valueType = valueLine
      ? /__type\s*\(\s*value\s*,\s*struct\s+(\w+)/.exec(sourceLine(sources, valueLine.file, valueLine.line) ?? '')?.[1]
      : undefined;
    const member = valueType && memberRef ? structMember(sources!, valueType, memberRef[2], f.file) : undefined;
    if (member && memberRef && d.size) {
      const bytes = typeSize(sources!, member.memberType, member.dims, member.file)?.bytes;
      f.related.push({
        ...member,
        message: `\`${memberRef[2]}\` is declared \`${member.text}\`${bytes !== undefined ? ` (${bytes} bytes)` : ''} in struct ${valueType}, the value of map \`${argMap}\``,
      });
      const sizeExpr = argumentExpression(f.sourceText, Number(argReg));
      const sized = sizeExpr && !/^\d+$/.test(sizeExpr) && /^[\w ()*+-]+$/.test(sizeExpr) ? ` (\`${sizeExpr}\`)` : '';
      f.explanation += ` The call passes \`${argExpr}\` with a size of ${d.size} bytes${sized}, but \`${memberRef[2]}\` is \`${member.text}\`${bytes !== undefined ? `, ${bytes} bytes` : ''}, in the ${d.value_size}-byte struct ${valueType}: the ${d.size} bytes run past the end of the value.`;
      f.fix = `Declare \`${memberRef[2]}\` with the ${d.size}-byte type the call works on${Number(d.size) === 16 ? ` (16 bytes is an IPv6 address: \`__be32 ${memberRef[2]}[4]\` or \`struct in6_addr\`)` : ''}, or pass \`sizeof(${memberRef[1]}->${memberRef[2]})\` as the size.`;
      return;
    }
    if (sources && Number(d.off) + Number(d.size) > Number(d.value_size)) {
      const reg0 = failing ? memoryOperandRegister(failing.disasm) : undefined;
      const state = reg0 !== undefined ? registers.get(`R${reg0}`) : undefined;
      const name = state && !/var_off|umax|smax/.test(state) ? /^map_value\((?:[^)]*,)?map=(\w+)/.exec(state)?.[1] : undefined;
      const decl = name ? symbolDeclaration(sources, name, f.file) : undefined;
      const type = decl ? mapValueTypeLine(sources, decl.file, decl.line) : undefined;
      if (type) f.related.push({ ...type, message: `map \`${name}\` declares its value as ${d.value_size} bytes` });
      // A field past the end at a constant offset, no index on the line: the code uses the value
      // as a larger type than the map declares (not an off-by-one).
      const declared = type ? sourceLine(sources, type.file, type.line)?.match(/__type\s*\(\s*value\s*,\s*([^)]+?)\s*\)/)?.[1] : undefined;
      if (declared && f.sourceText && !f.sourceText.includes('[') && Number(d.off) >= Number(d.value_size)) {
        f.title = `Map \`${name}\` holds ${declared} (${d.value_size} bytes), smaller than what this line accesses`;
        f.explanation = `The log says value_size=${d.value_size}: map \`${name}\` is declared with \`__type(value, ${declared})\`, but this line accesses offset ${d.off} (size ${d.size}), past the end of that type. The pointer from the lookup is being used as a larger structure than the map's value type, and the verifier checks accesses against the declared size.`;
        f.fix = `Declare the map's value as the structure the code fills (\`__type(value, <the larger struct>)\`), or keep the accesses within ${declared}.`;
        // `s->max_ns` through a pointer declared as another struct: the type the code assumes.
        const access = memberAccess(f.sourceText);
        if (access && f.file && f.line) {
          const local = localDeclaration(sources, f.file, f.line, access.pointer);
          const header = functionHeader(sources, f.file, f.line);
          const text = [local, header].map((at) => (at ? sourceLine(sources, at.file, at.line) : '')).join('\n');
          const assumed = new RegExp(String.raw`\b((?:struct|union)\s+\w+)\s*\*\s*${access.pointer}\b`).exec(text)?.[1];
          f.explanation += ` This line reads \`${access.pointer}->${access.field}\`${assumed ? `: \`${access.pointer}\` is a \`${assumed} *\`, and \`${access.field}\` lies at offset ${d.off} of ${assumed}` : ''}.`;
          if (assumed && assumed.replace(/\s+/g, ' ') !== declared.replace(/\s+/g, ' '))
            f.fix = `The value of \`${name}\` is ${declared}, not ${assumed}: use it as ${declared} (a function or fields of that type), or declare the map's value as ${assumed}.`;
        }
      }
    }
  },
  // A map without BTF where a special field needs it: a value type holding two of the same
  // special field (two bpf_spin_locks) makes the kernel refuse the object's BTF, and libbpf
  // goes on without it. The second field is what to change.
  'special-field': (s) => {
    const { f, sources, failing, program } = s;
    // A program type that may not use a special field at all, refused before any instruction:
    // the program's first use of a map holding one, and that member.
    const refusedText = !failing ? /progs cannot use (bpf_\w+|bpf_\{[\w,]+\})/.exec(f.message)?.[1] : undefined;
    // `bpf_{list_head,rb_root}`: either of them.
    const refusedFields = refusedText
      ? refusedText
          .replace(/^bpf_\{(.*)\}$/, '$1')
          .split(',')
          .map((x) => (x.startsWith('bpf_') ? x : `bpf_${x}`))
      : [];
    const refused = refusedFields[0];
    const def = refused && sources && program ? programDefinition(sources, program, f.file) : undefined;
    // A global of that type (graph roots usually are: `private(A) struct bpf_rb_root ...`): the
    // first use of its section's map, which the verifier refuses as a whole.
    for (const field of def ? refusedFields : []) {
      const lines = (findSource(sources!, def!.file)?.[1] ?? '').split('\n');
      for (const held of globalsHolding(sources!, field, def!.file)) {
        const uses = held.names.map((n) => firstUse(lines, def!.line + 1, n)).filter((x): x is number => x !== undefined);
        if (!uses.length) continue;
        const use = Math.min(...uses);
        f.related.push({ file: f.file!, line: f.line!, message: 'the program whose type does not allow it' });
        f.related.push({ ...held.member, message: `\`${held.member.field}\` is a struct ${field}` });
        f.file = def!.file;
        f.line = use;
        f.sourceText = lines[use - 1]?.trim();
        const others = held.names.filter((n) => n !== held.member.field).map((n) => `\`${n}\``);
        f.explanation += ` The program uses \`${held.member.field}\`, a struct ${field}${others.length ? `, which is in one map with ${others.join(', ')} (the globals of its section)` : ''}; its first use of that map is \`${withoutComment(f.sourceText)}\`.`;
        return;
      }
    }
    for (const held of refused && def ? refusedFields.flatMap((x) => mapsHolding(sources!, x, def.file)) : []) {
      const lines = (findSource(sources!, def!.file)?.[1] ?? '').split('\n');
      const use = firstUse(lines, def!.line + 1, held.map);
      if (!use) continue;
      f.related.push({ file: f.file!, line: f.line!, message: 'the program whose type does not allow it' });
      f.related.push({ ...held.member, message: `struct ${held.valueType}, the value of map \`${held.map}\`, holds a struct ${refused}` });
      f.file = def!.file;
      f.line = use;
      f.sourceText = lines[use - 1]?.trim();
      f.explanation += ` The program uses map \`${held.map}\`, whose value struct ${held.valueType} holds a struct ${refused} (\`${held.member.field}\`).`;
      break;
    }
    const noBtf = /^map '(\w+)' has to have BTF in order to use (\w+)/.exec(f.message);
    if (noBtf && sources) {
      const decl = symbolDeclaration(sources, noBtf[1], f.file);
      const valueLine = decl ? mapValueTypeLine(sources, decl.file, decl.line) : undefined;
      const valueType = valueLine
        ? /__type\s*\(\s*value\s*,\s*struct\s+(\w+)/.exec(sourceLine(sources, valueLine.file, valueLine.line) ?? '')?.[1]
        : undefined;
      const special = valueType
        ? structFieldsOfType(sources, valueType, /^bpf_(?:spin_lock|res_spin_lock|timer|wq|refcount)$/, f.file)
        : [];
      const twice = special.find((x, i) => special.findIndex((y) => y.type === x.type) < i);
      // Per-CPU maps (and some others) cannot hold these fields at all: the map's type is the cause.
      const typeLine = decl ? mapTypeLine(sources, decl.file, decl.line) : undefined;
      const mapType = typeLine ? /BPF_MAP_TYPE_\w+/.exec(sourceLine(sources, typeLine.file, typeLine.line) ?? '')?.[0] : undefined;
      if (!twice && special.length && typeLine && mapType && /PERCPU|STACK_TRACE|RINGBUF|PERF_EVENT|QUEUE|STACK$|BLOOM/.test(mapType)) {
        if (f.file && f.line) f.related.push({ file: f.file, line: f.line, message: `the verifier stops at the first use of ${noBtf[2]}` });
        f.related.push({ ...special[0], message: `struct ${valueType} holds a struct ${special[0].type}` });
        f.file = typeLine.file;
        f.line = typeLine.line;
        f.sourceText = sourceLine(sources, typeLine.file, typeLine.line);
        f.title = `A ${mapType} map cannot hold a struct ${special[0].type}`;
        f.explanation = `Map \`${noBtf[1]}\` is a ${mapType}, and its value struct ${valueType} has a struct ${special[0].type} (\`${special[0].field}\`): that field is only allowed in maps whose values are shared (hash, LRU hash, array), not per-CPU copies. The kernel refused the map with its BTF, libbpf created it without BTF, and ${noBtf[2]} needs the BTF to find its field.`;
        f.fix = `Use a shared map type (BPF_MAP_TYPE_HASH or BPF_MAP_TYPE_LRU_HASH) for values with a struct ${special[0].type}, or move the ${special[0].type} to a map of its own.`;
      }
      if (twice) {
        const first = special.find((y) => y.type === twice.type)!;
        if (f.file && f.line) f.related.push({ file: f.file, line: f.line, message: `the verifier stops at the first use of ${noBtf[2]}` });
        f.related.push({ ...first, message: `the first struct ${twice.type} of struct ${valueType}` });
        f.file = twice.file;
        f.line = twice.line;
        f.sourceText = sourceLine(sources, twice.file, twice.line);
        f.title = `struct ${valueType} has two struct ${twice.type} fields`;
        f.explanation = `A map value may hold at most one struct ${twice.type}; struct ${valueType} has two (\`${first.field}\` and \`${twice.field}\`). The kernel therefore rejected the object's BTF (libbpf prints \`Error loading .BTF into kernel\` and carries on without it), map \`${noBtf[1]}\` was created without BTF, and ${noBtf[2]} needs the BTF to find its field.`;
        f.fix = `Keep one struct ${twice.type} per map value: remove \`${twice.field}\` (let \`${first.field}\` guard all the fields) or move it to a second map.`;
      }
    }
  },
  // Locks and RCU / preemption sections: the call that opened the section still open.
  'open-section': (s) => {
    const { f, records, pos, failing, relatedAt } = s;
    if (failing) {
      // The failing instruction may itself be the second lock: the open section starts before it.
      for (let i = pos - (records[pos]?.kind === 'insn' && OPENER.test((records[pos] as { disasm: string }).disasm) ? 1 : 0); i >= 0; i--) {
        const r = records[i];
        if (r.kind === 'insn' && OPENER.test(r.disasm)) {
          f.related.push(relatedAt(r.index, 'the section opened here is still open'));
          break;
        }
      }
    }
    // `t->seen = bpf_ktime_get_ns();` under a lock: call before the lock, assign inside it.
    const call = /function calls are not allowed while holding a lock/.test(f.message)
      ? /^\s*([\w.>[\]-]+(?:->\w+)?)\s*=\s*(\w+)\((.*)\);/.exec(f.sourceText ?? '')
      : null;
    if (call && !/\bbpf_spin_unlock\b/.test(call[2])) {
      f.fix = `Call ${call[2]}() before bpf_spin_lock(), into a local (\`__u64 v = ${call[2]}(${call[3].replace(/\s*\/\*.*$/, '')});\`), and inside the lock only assign it: \`${call[1]} = v;\`.`;
    }
  },
  // A pointer read inside an RCU section and used after it ended: the unlock between the two.
  'closed-section': (s) => {
    const { f, records, pos, origin, posOf, relatedAt, named } = s;
    if (named !== undefined) {
      const from = origin(traceRegister(records, pos, named));
      const start = from ? posOf(from.insnIndex) : -1;
      for (let i = pos - 1; i > start && start >= 0; i--) {
        const r = records[i];
        if (r.kind !== 'insn' || !/^call bpf_rcu_read_unlock\b/.test(r.disasm)) continue;
        f.related.push(
          relatedAt(r.index, `the RCU section ends here: the pointer passed in R${named} was read inside it and is used after it`),
        );
        f.explanation = f.explanation.replace(
          /R\d+ was loaded from an ordinary field of a kernel structure, so nothing keeps the object alive\./,
          `R${named} was read inside bpf_rcu_read_lock(), but bpf_rcu_read_unlock() ran before this call: once the section ends the pointer is no longer protected (the verifier marks it untrusted).`,
        );
        f.fix = 'Make the call (and check the pointer for NULL) before bpf_rcu_read_unlock(), i.e. move the unlock after it.';
        break;
      }
    }
  },
  // A global's address where a stack pointer is needed: the global's declaration.
  'stack-argument': (s) => {
    const { f, d, sources, reg, steps, describe } = s;
    if (s.branch !== 'stack' || reg === undefined) return;
    const type = d.type ?? '';
    const expr = argumentExpression(f.sourceText, helperArgIndex(reg));
    const symbol = expr?.replace(/^&/, '').match(/^\w+$/)?.[0];
    // `&name` that is not on the stack is a global or static: name it rather than its kernel address.
    const global = symbol && expr?.startsWith('&') ? symbol : undefined;
    describe(steps, global ? `R${reg} is the address of \`${global}\`, taken here` : `R${reg} got its ${type || 'non-stack'} pointer here`);
    const decl = global && sources ? symbolDeclaration(sources, global, f.file) : undefined;
    if (decl)
      f.related.push({
        ...decl,
        message: `\`${global}\` is declared outside any function: to the verifier its address is a ${type || 'map_value'} pointer, not a stack pointer`,
      });
    f.quickFix = { kind: 'copy-to-stack', file: f.file, line: f.line, register: `R${reg}`, expression: expr, symbol };
  },
  // A pointer used after the call that gave its object back (submit, release, unlock): that call.
  'released-pointer': (s) => {
    const { f, records, pos, reg, steps, origin, posOf, relatedAt } = s;
    const o = origin(steps);
    const gone = s.branch === 'origin' && o ? releasedBetween(records, posOf(o.insnIndex), pos) : [];
    if (!gone.length || !o) return;
    s.branch = 'released';
    const from = /^call (\w+?)(?:_impl)?#/.exec(o.disasm)?.[1] ?? 'its origin';
    for (const g of gone) f.related.push(relatedAt(g.index, g.why));
    const names = gone.map((g) => `${g.call}()`).join(' and then ');
    f.explanation += ` R${reg} was a valid pointer from ${from}(), but ${names} ran before this access: after it the object belongs to the kernel (or the lock that guarded it is released), so the verifier turns every copy of the pointer into a plain number.`;
    f.title = `Pointer used after ${gone[0].call}() (R${reg})`;
    f.fix = `Finish using the pointer before ${gone[0].call}() (read what you need into a local first), or look the object up again after it.`;
  },
  // A dereferenced number: NULL after a failed lookup, a helper's u64, a pointer loaded from memory.
  'scalar-pointer': (s) => {
    const { f, reg, steps, registers, origin, kind, locate, section } = s;
    // A context field (ctx->data) is not a pointer read from kernel memory: other causes explain it.
    if (s.branch !== 'origin' || reg === undefined || s.fromField) return;
    const o = origin(steps);
    // A system call's pointer argument, read from a syscall tracepoint's context: a user address.
    const set = o ? locate(o.insnIndex) : undefined;
    const userArg = /sys_enter|syscalls\//.test(section ?? '') && /\bargs\s*\[\s*\d\s*\]/.test(set?.text ?? '');
    if (userArg && o) {
      f.explanation += ` R${reg} is a system call argument read from the tracepoint's context (\`${withoutComment(set!.text)}\`): an address in the calling process's memory, which the program may not dereference; it can only copy from it.`;
      f.fix = 'Copy the data with bpf_probe_read_user() (bpf_probe_read_user_str() for a string) into a local buffer, and use the copy.';
    } else explainScalar(f, reg, o, registers.get(`R${reg}`), kind?.name);
    // The program's name for the number, where it was set.
    const name = assignedVariable(set?.text);
    if (
      name &&
      set?.line &&
      set.line !== f.line &&
      new RegExp(String.raw`\b${name}\b`).test(f.sourceText ?? '') &&
      !f.explanation.includes(`Here it is \`${name}\``)
    ) {
      f.explanation += ` Here it is \`${name}\`, set at line ${set.line}.`;
      // A kernel pointer read through directly: the field this line wants, read the way that works.
      const field = new RegExp(String.raw`\b${name}\s*->\s*(\w+)`).exec(withoutComment(f.sourceText))?.[1];
      if (field && /probe_read|CORE_READ/.test(f.fix))
        f.fix += ` Here: \`BPF_CORE_READ(${name}, ${field})\` instead of \`${name}->${field}\`.`;
    }
  },
  // The instruction budget ran out inside a loop: the loop is the place (see loop-condition).
  'instruction-budget': (s) => {
    const { f, loop, sources, program } = s;
    // The statistics line says what the budget went to: many distinct paths, or many passes.
    const st = s.log.stats;
    if (st && st.insnLimit && st.insnsProcessed >= st.insnLimit && !f.explanation.includes(`limit of ${st.insnLimit}`)) {
      const per = st.maxStatesPerInsn;
      f.explanation += ` ${st.insnsProcessed} processed instructions is past the limit of ${st.insnLimit}${st.peakStates ? `; the verifier kept up to ${st.peakStates} states at once` : ''}.`;
      if (per !== undefined)
        f.explanation +=
          per >= 32
            ? ` Up to ${per} different states reached one instruction: paths with different register values do not merge (a state explosion), so each branch multiplies the work — variables that differ per path (counters, flags, offsets) are what keeps them apart.`
            : ` At most ${per} states reached one instruction, so the paths do merge: the budget went to walking the same code again and again, a loop with many passes (or loops inside loops).`;
    }
    if (!loop?.at.file || !loop.at.line) return;
    if (loop.at.line !== f.line) {
      if (f.file && f.line)
        f.related.unshift({ file: f.file, line: f.line, message: 'the verifier ran out of its instruction budget here, inside the loop' });
      f.file = loop.at.file;
      f.line = loop.at.line;
      f.sourceText = loop.text;
    }
    // A loop inside another (directly, or in an inlined function called from the other's body)
    // is walked once per pass of the outer one: the outer loop multiplies the cost, and is what to change.
    if (!sources || !f.file || !f.line) return;
    // The branch found may be a condition inside the loop's body: the loop is the header around it.
    const own = LOOP_HEADER.test(sourceLine(sources, f.file, f.line) ?? '')
      ? { file: f.file, line: f.line }
      : enclosingLoop(sources, f.file, f.line);
    if (!own) return;
    const site = program ? callSitesTo(sources, own.file, own.line, program).pop() : undefined;
    const outer = enclosingLoop(sources, own.file, own.line) ?? (site ? enclosingLoop(sources, site.file, site.line) : undefined);
    if (!outer || (outer.file === own.file && outer.line === own.line)) {
      const header = withoutComment(sourceLine(sources, own.file, own.line)).replace(/\s*\{\s*$/, '');
      // A loop with no condition at all (`while (1)`, `for (;;)`): it ends only at a `break` the
      // verifier cannot count, so the loop, not the test inside it, is what to bound.
      if (/^\s*(?:while\s*\(\s*(?:1|true)\s*\)|for\s*\(\s*[^;]*;\s*;)/.test(header)) {
        if (own.line !== f.line && f.file && f.line)
          f.related.push({ file: f.file, line: f.line, message: 'the test that ends the loop, which the verifier cannot count towards' });
        f.file = own.file;
        f.line = own.line;
        f.sourceText = sourceLine(sources, own.file, own.line);
        // What ends the loop, and what it steps: the variable to bound it by.
        const body = loopBody(sources, own.file, own.line);
        const stop = body?.breaks[0] ? withoutComment(sourceLine(sources, body.breaks[0].file, body.breaks[0].line)).trim() : undefined;
        const counter = body?.counters[0];
        const cap = body?.constants.find((c) => /MAX|LEN|DEPTH|NUM|COUNT|SIZE|ENTRIES|COMPONENTS|LIMIT/.test(c)) ?? 'MAX_DEPTH';
        // The data the condition tests, as the body reads it (`parent = BPF_CORE_READ(d, d_parent);`).
        const tested = stop ? /\(\s*!?\s*([a-z_]\w*)/.exec(stop)?.[1] : undefined;
        const read = tested && body?.breaks[0] ? assignmentAbove(sources, body.breaks[0].file, body.breaks[0].line, tested) : undefined;
        const readText = read && !read.parameter && read.line > own.line ? withoutComment(read.text).trim() : undefined;
        f.explanation += ` The loop \`${header}\` has no bound: it stops only at a \`break\`${stop ? ` (\`${stop}\`)` : ''} whose condition depends on data${readText ? ` read at run time (\`${readText}\`)` : ''}, so the verifier walks pass after pass until its budget runs out${counter ? `, with \`${counter}\` one step further each time` : ''}.`;
        f.fix = counter
          ? `Bound the loop by its counter: \`while (${counter} < ${cap})\` (or \`for (; ${counter} < ${cap}; ...)\`), keeping the \`break\` inside, or walk it with bpf_loop().`
          : `Give the loop a fixed maximum number of passes (\`for (int i = 0; i < ${cap}; i++)\` with the \`break\` inside), or walk it with bpf_loop().`;
        return;
      }
      // A loop bounded by a value known only at run time (`i < count`): walked pass after pass.
      const cond = /\bfor\s*\([^;]*;([^;]*);/.exec(header)?.[1] ?? /\bwhile\s*\((.*)\)/.exec(header)?.[1] ?? '';
      const bound = [...cond.matchAll(/\b\w+\s*(?:<=?|!=)\s*([a-z_][\w]*(?:\s*(?:->|\.)\s*\w+)*)(?!\s*\()/g)]
        .map((m) => m[1])
        .find((b) => !/^(?:sizeof|true|false)$/.test(b));
      if (bound && !/&&|\|\|/.test(cond) && !f.explanation.includes(`\`${bound}\``)) {
        f.explanation += ` The loop \`${header}\` is bounded by \`${bound}\`, a value the verifier knows only at run time: it walks the body again for every value the counter can take below it, until the budget runs out.`;
        f.fix = `Cap the loop with a constant as well (\`... && i < MAX_ITEMS\`), or loop with bpf_loop(${bound}, ...) or bpf_for(i, 0, ${bound}) (kernel 6.4+), whose body is verified once.`;
      }
      return;
    }
    const inner = withoutComment(sourceLine(sources, own.file, own.line)).replace(/\s*\{\s*$/, '');
    const outerText = withoutComment(sourceLine(sources, outer.file, outer.line)).replace(/\s*\{\s*$/, '');
    f.related.unshift({ file: own.file, line: own.line, message: 'this inner loop is walked again on every pass of the outer loop' });
    f.file = outer.file;
    f.line = outer.line;
    f.sourceText = sourceLine(sources, outer.file, outer.line);
    f.explanation += ` The loop \`${inner}\` runs inside \`${outerText}\`${site ? ` (through \`${site.callee}()\`)` : ''}: the verifier walks the inner loop once for every pass of the outer one, so their bounds multiply.`;
    f.fix = `Make the outer loop a bpf_loop() callback or an open-coded iterator (bpf_for), so its body is verified once, or lower the bounds of \`${outerText}\`.`;
  },
  // A store the verifier refuses: name what the line writes and, for a map, the map and its flags.
  'written-memory': (s) => {
    const { f, failing, registers, sources } = s;
    const code = withoutComment(f.sourceText);
    const target =
      /^\s*(?:\*\s*)?([\w.>\-[\]()*]+?)\s*(?:[-+*/|&^%]|<<|>>)?=(?!=)/.exec(code)?.[1] ??
      /^\s*(?:\+\+|--)?\s*\(?\s*([\w.>\-[\]*]+?)\s*\)?\s*(?:\+\+|--)?\s*;/.exec(code)?.[1];
    const base = failing ? /^\*\(\w+ \*\)\(r(\d+) [-+]\d+\)/.exec(failing.disasm)?.[1] : undefined;
    const state = base !== undefined ? registers.get(`R${base}`) : undefined;
    const map = state ? /^map_value\((?:[^)]*,)?map=([\w.]+)/.exec(state)?.[1] : undefined;
    const what = map
      ? /\.rodata$/.test(map)
        ? 'a `const volatile` global (.rodata)'
        : `a value of map \`${map}\``
      : state?.startsWith('pkt')
        ? 'packet data'
        : undefined;
    // Only a store or a helper call writes (a context read refused on the same kind of line does not).
    const writes = !failing || /^call /.test(failing.disasm) || /^\*\(\w+ \*\)\(r\d+ [-+]\d+\) = /.test(failing.disasm);
    if (target && writes && !f.explanation.includes(`\`${target}\``))
      f.explanation += ` This line writes \`${target}\`${what ? `, which is ${what}` : ''}: \`${withoutComment(f.sourceText)}\`.`;
    const decl = map && !map.includes('.') && sources ? symbolDeclaration(sources, map, f.file) : undefined;
    const flags = decl ? flagsLine(sources!, decl.file, decl.line) : undefined;
    if (flags) f.related.push({ ...flags, message: `map \`${map}\` is created read-only for programs (BPF_F_RDONLY_PROG)` });
    else if (decl) f.related.push({ ...decl, message: `map \`${map}\` is defined here` });
  },
  // An object whose type lacks the field the call needs (bpf_refcount, ...): the struct's definition.
  'object-type': (s) => {
    const { f, registers, reg, sources } = s;
    // A node of another type pushed into a list / tree: the root's __contains() names the type.
    const mismatch =
      /^operation on (bpf_\w+) expects arg#1 (bpf_\w+) at offset=\d+ in struct (\w+), but arg is at offset=\d+ in struct (\w+)/.exec(
        stripMessagePrefixes(f.message),
      );
    const root = mismatch ? argumentExpression(f.sourceText, 0)?.replace(/^&\s*/, '') : undefined;
    const rootName = root ? /(\w+)$/.exec(root)?.[1] : undefined;
    const rootDecl = rootName && sources ? symbolDeclaration(sources, rootName, f.file) : undefined;
    const declText = rootDecl ? withoutComment(sourceLine(sources, rootDecl.file, rootDecl.line)) : '';
    if (mismatch && rootName && rootDecl && /__contains\s*\(/.test(declText)) {
      const [, head, , expected, actual] = mismatch;
      f.related.push({ ...rootDecl, message: `\`${rootName}\` is declared to hold struct ${expected} (\`__contains(${expected}, ...)\`)` });
      const node = argumentExpression(f.sourceText, 1)?.replace(/^&\s*/, '');
      f.explanation += ` \`${rootName}\` (a ${head}) is declared with \`__contains(${expected}, ...)\`, but this call adds a struct ${actual}${node ? ` (\`${node}\`)` : ''}: a list or tree holds the one node type its declaration names.`;
      f.fix = `Declare \`${rootName}\` with \`__contains(${actual}, ...)\` if it is meant to hold ${actual} objects, or add a struct ${expected} to it.`;
      return;
    }
    const field = /doesn't point to a type with (\w+) field/.exec(f.message)?.[1];
    const type = reg !== undefined ? /^(?:ptr_|trusted_ptr_|rcu_ptr_)(\w+?)(?:\(|$)/.exec(registers.get(`R${reg}`) ?? '')?.[1] : undefined;
    const def = type && sources ? structDefinition(sources, type, f.file) : undefined;
    if (!field || !type || !def) return;
    f.related.push({ ...def, message: `struct ${type} is defined here, without a struct ${field} member` });
    f.explanation += ` R${reg} points to a struct ${type}, and struct ${type} has no \`struct ${field}\` member.`;
    f.fix = `Add a \`struct ${field}\` member to struct ${type} (e.g. \`struct ${field} ref;\`), or do not call this on objects of that type.`;
  },
  // A BTF pointer cast to a larger type in C (`(struct tcp_sock *)sk`): the verifier keeps the
  // pointer's own type, so a field of the larger type lies past its end.
  'pointer-cast': (s) => {
    const { f, sources } = s;
    const beyond = /^access beyond struct (\w+) at off (\d+) size (\d+)/.exec(stripMessagePrefixes(f.message));
    const read = beyond ? memberAccess(f.sourceText) : undefined;
    const set = read && sources && f.file && f.line ? assignmentAbove(sources, f.file, f.line, read.pointer) : undefined;
    const cast = set && !set.parameter ? /\(\s*struct\s+(\w+)\s*\*\s*\)\s*([A-Za-z_]\w*)/.exec(withoutComment(set.text)) : null;
    if (!beyond || !read || !set || !cast) return;
    const [, real, off] = beyond;
    const { pointer: var_, field } = read;
    const [, as, from] = cast;
    f.related.push({
      file: set.file,
      line: set.line,
      message: `\`${var_}\` is \`${from}\` cast to struct ${as}: to the verifier it is still a struct ${real}`,
    });
    f.explanation += ` \`${var_}\` is \`${from}\` cast to \`struct ${as} *\` in C, but the verifier types a pointer by what it really points to (BTF): \`${var_}\` is a struct ${real}, and \`${var_}->${field}\` (offset ${off}) lies past its end.`;
    const helper = /^(?:sock|sock_common)$/.test(real) ? SOCK_CASTS[as] : undefined;
    f.fix = helper
      ? `Convert with the helper that checks the socket's kind: \`struct ${as} *${var_} = ${helper}(${from}); if (!${var_}) return 0;\`, then read \`${var_}->${field}\`.`
      : `Read the field with BPF_CORE_READ(${var_}, ${field}) (a probe read the verifier does not type), or cast with bpf_core_cast(${from}, struct ${as}) (recent libbpf, through the bpf_rdonly_cast kfunc), instead of a plain C cast.`;
  },
  // A special field (bpf_timer, bpf_spin_lock, ...) read or written as plain memory: the member
  // of the map's value struct it is, and whether the line copies the whole struct.
  'special-member': (s) => {
    const { f, sources, failing, registers } = s;
    const kind = /^(\S+) cannot be accessed directly by load\/store/.exec(stripMessagePrefixes(f.message))?.[1];
    const reg = failing ? memoryOperandRegister(failing.disasm) : undefined;
    const state = reg !== undefined ? registers.get(`R${reg}`) : undefined;
    const map = state ? /^map_value\((?:[^)]*,)?map=(\w+)/.exec(state)?.[1] : undefined;
    const decl = map && sources ? symbolDeclaration(sources, map, f.file) : undefined;
    const value = decl ? mapValueTypeLine(sources!, decl.file, decl.line) : undefined;
    const type = value
      ? /__type\s*\(\s*value\s*,\s*struct\s+(\w+)/.exec(sourceLine(sources, value.file, value.line) ?? '')?.[1]
      : undefined;
    const special =
      type && kind ? structFieldsOfType(sources!, type, new RegExp(`^${kind.replace(/^struct\s+/, '')}$`), f.file)[0] : undefined;
    if (!kind || !map || !type || !special) return;
    f.related.push({ ...special, message: `\`${special.field}\`, the ${special.type} of struct ${type} (the value of map \`${map}\`)` });
    const whole = new RegExp(String.raw`\*\s*\w+\s*=\s*(?:\(\s*struct\s+${type}\s*\)|\*)|=\s*\*\s*\w+\s*;`).test(
      withoutComment(f.sourceText),
    );
    f.explanation += whole
      ? ` This line copies a whole struct ${type}, and with it \`${special.field}\`, its struct ${special.type}: a plain store over the field the kernel owns.`
      : ` The access lands on \`${special.field}\`, the struct ${special.type} of struct ${type}.`;
    f.fix = whole
      ? `Assign the other fields of struct ${type} one by one and leave \`${special.field}\` to the ${special.type}_* helpers (a struct copy or compound literal always includes it).`
      : `Touch \`${special.field}\` only through the ${special.type}_* helpers; read and write the other fields of struct ${type} by name.`;
  },
  // A misaligned access to a struct member: where the struct puts it (packed structs do not align).
  'member-alignment': (s) => {
    const { f, sources, failing } = s;
    const m = /^misaligned (?:\S+ )?access off (\S+) size (\d+)/.exec(stripMessagePrefixes(f.message));
    if (!m || !sources || !f.file || !f.line) return;
    const offset = m[1].split('+').reduce((n, x) => n + (/^-?\d+$/.test(x) ? Number(x) : 0), 0);
    const size = Number(m[2]);
    const code = withoutComment(f.sourceText);
    const accesses = [...code.matchAll(/(&\s*)?\b([A-Za-z_]\w*)\s*(?:->|\.)\s*(\w+)/g)];
    const access = (failing && /^call /.test(failing.disasm) ? accesses.find((a) => a[1]) : undefined) ?? accesses[0];
    if (!access) return;
    const [, , base, member] = access;
    const decl = localDeclaration(sources, f.file, f.line, base) ?? symbolDeclaration(sources, base, f.file);
    const type = decl ? /\bstruct\s+(\w+)\s*\*?\s*\b/.exec(sourceLine(sources, decl.file, decl.line) ?? '')?.[1] : undefined;
    const def = type ? structDefinition(sources, type, f.file) : undefined;
    const lines = def ? (findSource(sources, def.file)?.[1] ?? '').split('\n') : [];
    let memberLine: number | undefined;
    let packed = false;
    for (let i = def ? def.line : lines.length; i < lines.length; i++) {
      if (/^\s*\}/.test(lines[i])) {
        packed ||= /packed/.test(lines[i]);
        break;
      }
      if (memberLine === undefined && new RegExp(String.raw`\b${member}\s*(?:\[[^\]]*\])*\s*;`).test(withoutComment(lines[i])))
        memberLine = i + 1;
    }
    if (def) packed ||= /packed/.test(lines[def.line - 1] ?? '');
    if (!def || memberLine === undefined) return;
    f.related.push({
      file: def.file,
      line: memberLine,
      message: `\`${member}\` is at offset ${offset} of struct ${type}${packed ? ', which is packed: its members are not aligned' : ''}`,
    });
    f.explanation += ` \`${base}->${member}\` is at offset ${offset} of struct ${type}${packed ? ' (declared packed, so nothing aligns it)' : ''}, and this ${failing && /^call /.test(failing.disasm) ? 'call writes it' : 'access reads or writes it'} as ${size} bytes: an access of ${size} bytes must start at a multiple of ${size}.`;
    f.fix = packed
      ? `Drop \`__attribute__((packed))\` from struct ${type}, or order its members so \`${member}\` starts at a multiple of ${size} (${size}-byte members first); or let the helper write into an aligned local and copy that into \`${base}->${member}\` with __builtin_memcpy().`
      : `Order the members of struct ${type} so \`${member}\` starts at a multiple of ${size}, or go through an aligned local copied with __builtin_memcpy().`;
  },
  // A reserved dynptr reserved again: a `continue` after the reservation skipped its submit/discard.
  'skipped-release': (s) => {
    const { f, sources } = s;
    const text = f.file ? findSource(sources ?? new Map(), f.file) : undefined;
    if (!text || !f.line) return;
    const lines = text[1].split('\n');
    const indent = (l: string) => /^\s*/.exec(l)![0].replace(/\t/g, '    ').length;
    const release = /\bbpf_ringbuf_(?:submit|discard)_dynptr\b/;
    const own = indent(lines[f.line - 1]);
    for (let i = f.line; i < lines.length && i < f.line + 64; i++) {
      const l = lines[i];
      if ((/^\s*\}/.test(l) && indent(l) < own) || (release.test(l) && indent(l) === own)) break;
      if (!/\bcontinue\s*;/.test(l)) continue;
      let open = i - 1;
      while (open >= f.line && indent(lines[open]) >= indent(l)) open--;
      if (lines.slice(open, i).some((x) => release.test(x))) continue;
      const name = argumentExpression(f.sourceText, 3)?.replace(/^&\s*/, '') ?? 'the dynptr';
      f.related.push({
        file: text[0],
        line: i + 1,
        message: `this \`continue\` starts the next pass with \`${name}\` neither submitted nor discarded`,
      });
      f.explanation += ` \`${name}\` still holds the record reserved on the previous pass: the \`continue\` at line ${i + 1} skips bpf_ringbuf_submit_dynptr(), so the loop reserves into a dynptr that owns a record.`;
      f.fix = `Call bpf_ringbuf_discard_dynptr(&${name}, 0) before that \`continue\` (a reserved dynptr must be submitted or discarded on every path, even when the reservation failed).`;
      break;
    }
  },
  // A number passed where a buffer is needed, read from a struct member declared as a pointer
  // (`const char *filename;` in an event): the member holds an address, not the bytes.
  'pointer-member': (s) => {
    const { f, d, sources, named, failing } = s;
    if (d.type !== 'scalar' || named === undefined || !sources || !failing || !/^call /.test(failing.disasm)) return;
    const expr = argumentExpression(f.sourceText, named - 1)?.replace(/^\(\s*[\w\s*]+\)\s*/, '');
    const member = expr ? /(?:->|\.)\s*(\w+)$/.exec(expr)?.[1] : undefined;
    const decl = member ? new RegExp(String.raw`^\s+(?:const\s+)?(?:unsigned\s+)?\w+\s*\*\s*${member}\s*;`) : undefined;
    for (const [file, text] of decl ? sources : []) {
      const at = text.split('\n').findIndex((l) => decl!.test(withoutComment(l)));
      if (at < 0) continue;
      const line = withoutComment(text.split('\n')[at].trim());
      f.related.push({ file, line: at + 1, message: `\`${member}\` is declared as a pointer: it holds an address, not room for the data` });
      f.explanation += ` \`${expr}\` is the value of the member \`${line}\`: a pointer the program never set, so the helper is given a number instead of a buffer to write to.`;
      f.fix = `Declare the member as an array that holds the data (e.g. \`char ${member}[256];\`) and pass \`${expr}\` (now the array's address) with \`sizeof(${expr})\`.`;
      break;
    }
  },
  // A map of the wrong kind: its definition, named in the register state (map_ptr(map=NAME)).
  'map-definition': (s) => {
    const { f, sources, registers } = s;
    const names = new Set<string>();
    for (const [k, v] of registers) {
      const m = /^R[1-5]$/.test(k) && /^map_ptr\((?:[^)]*,)?map=([\w.]+)/.exec(v);
      if (m && !m[1].includes('.')) names.add(m[1]);
    }
    // The register state names the map even when there are no sources to find it in.
    const unnamed = [...names].filter((n) => !f.explanation.includes(`\`${n}\``));
    if (unnamed.length) f.explanation += ` The map passed here is ${unnamed.map((n) => `\`${n}\``).join(' / ')}.`;
    for (const name of sources ? names : []) {
      const decl = symbolDeclaration(sources!, name, f.file);
      // The declared type is the line to change; the name ends the declaration.
      const type = decl ? mapTypeLine(sources!, decl.file, decl.line) : undefined;
      if (type) f.related.push({ ...type, message: `map \`${name}\` is declared with this type` });
      if (decl) f.related.push({ ...decl, message: `map \`${name}\` is defined here` });
    }
  },
  // A stack buffer a helper reads or writes out of bounds, or before it is initialised: the
  // local it is (its size and initialisation are decided where it is declared).
  'stack-buffer': (s) => {
    const { f, d, entry, sources, failing, reg } = s;
    if (sources && f.file && f.line && reg !== undefined && failing && /^call /.test(failing.disasm)) {
      const expr = argumentExpression(f.sourceText, helperArgIndex(reg));
      const name = expr?.replace(/^\(\s*[\w\s*]+\)\s*/, '').match(/^&?\s*(\w+)(?:\s*(?:\.|->|\[)|$)/)?.[1];
      const decl = name ? localDeclaration(sources, f.file, f.line, name) : undefined;
      if (decl)
        f.related.push({
          ...decl,
          message:
            /read/.test(f.message) && entry?.id === 'stack-invalid-read'
              ? `\`${name}\` is declared here without being fully initialised (\`= {}\` or __builtin_memset)`
              : `\`${name}\` is declared here: its size is what the helper may touch`,
        });
      // A size larger than the local: quote the size the call passes and the declaration.
      const sizeArg = d.size
        ? [0, 1, 2, 3, 4]
            .map((i) => argumentExpression(f.sourceText, i))
            .find((a) => a && (/\bsizeof\b/.test(a) || a === d.size) && a !== expr)
        : undefined;
      const declText = decl ? withoutComment(sourceLine(sources, decl.file, decl.line)) : '';
      if (decl && sizeArg && /write/.test(f.message) && !f.explanation.includes(sizeArg)) {
        f.explanation += ` The call passes \`${sizeArg}\` (${d.size} bytes) for \`${name}\`, declared \`${declText}\`: the helper would write past its end.`;
        f.fix = `Pass \`sizeof(${name})\` as the size, or declare \`${name}\` with the type whose size you pass.`;
      }
      // A variable size, bounded by a check against another limit than the buffer's own size.
      const sizeVar = !sizeArg ? argumentExpression(f.sourceText, helperArgIndex(reg) + 1)?.match(/^\w+$/)?.[0] : undefined;
      const check =
        sizeVar && decl && d.size ? comparisonAbove(sources, f.file, f.line, new RegExp(String.raw`\b${sizeVar}\b`)) : undefined;
      const checkText = check ? withoutComment(sourceLine(sources, check.file, check.line)).trim() : '';
      if (check && sizeVar && !/\bsizeof\b/.test(checkText) && /write|read/.test(f.message)) {
        f.related.push({ ...check, message: `this check lets \`${sizeVar}\` reach ${d.size}, more than \`${name}\` holds` });
        f.explanation += ` The size \`${sizeVar}\` may be as large as ${d.size} here (\`${checkText}\` lets it through), and \`${name}\` is declared \`${declText}\`: the helper may ${/write/.test(f.message) ? 'write' : 'read'} past its end.`;
        f.fix = `Bound \`${sizeVar}\` by the buffer itself (\`if (${sizeVar} > sizeof(${name})) ...\`), or make \`${name}\` as large as the limit the check uses.`;
      }
    }
  },
  // Stack objects passed by address (dynptrs, iterators): their declaration.
  'stack-object': (s) => {
    const { f, sources, reg } = s;
    if (sources && reg !== undefined) {
      const name = argumentExpression(f.sourceText, helperArgIndex(reg))?.match(/^&\s*(\w+)$/)?.[1];
      const decl = name ? symbolDeclaration(sources, name, f.file) : undefined;
      if (decl) f.related.push({ ...decl, message: `\`${name}\` is declared here` });
    }
  },
  // A loop without progress: the loop's condition is the last branch the verifier took.
  'loop-condition': (s) => {
    const { f, records, pos, relatedAt, locate, sources } = s;
    // The loop is the last jump backwards: a conditional one is the (rotated) loop's condition;
    // an unconditional one goes back to the head, whose first branch is the condition.
    // Bounded walks: a level-2 log can hold tens of thousands of records per finding.
    let cond: number | undefined;
    for (let i = pos; i >= 0 && i > pos - 4096 && cond === undefined; i--) {
      const r = records[i];
      const back = r.kind === 'insn' ? /goto pc-(\d+)$/.exec(r.disasm) : null;
      if (!back || r.kind !== 'insn') continue;
      if (/^if /.test(r.disasm)) cond = r.index;
      else {
        const head = r.index + 1 - Number(back[1]);
        let best: number | undefined;
        for (let j = i - 1; j >= 0 && j > i - 4096; j--) {
          const q = records[j];
          if (q.kind === 'insn' && q.index >= head && q.index < r.index && /^if /.test(q.disasm) && (best === undefined || q.index < best))
            best = q.index;
        }
        cond = best;
      }
    }
    for (let i = pos; i >= 0 && cond === undefined; i--) {
      const r = records[i];
      if (r.kind === 'insn' && /^if /.test(r.disasm)) cond = r.index;
    }
    if (cond !== undefined) {
      const at = relatedAt(cond, 'the loop condition: the verifier cannot see it change towards the exit');
      // The branch is not always the loop's own condition (a test inside the body): say so, and
      // name the loop around it.
      const text = locate(cond)?.text ?? '';
      const around = sources && at.file && at.line && !LOOP_HEADER.test(text) ? enclosingLoop(sources, at.file, at.line) : undefined;
      if (around) at.message = 'a branch inside the loop, the last one the verifier took';
      s.loop = { at, text };
      f.related.push(at);
      if (around) f.related.push({ ...around, message: 'the loop the verifier was walking' });
    }
  },
  // A loop whose head the verifier saw twice in the same state: what the body does to its condition.
  'loop-progress': (s) => {
    const { f, loop, sources } = s;
    if (!/infinite loop detected/.test(f.message) || !loop?.at.file || !loop.at.line || !sources) return;
    const header = withoutComment(loop.text).trim();
    const cond = /\b(?:while|for\s*\([^;]*;)\s*\(?\s*([A-Za-z_]\w*)\s*(?:<=?|>=?|!=)\s*([^;)]+)/.exec(header);
    if (!cond) return;
    const [, v, limit] = cond;
    const lines = (findSource(sources, loop.at.file)?.[1] ?? '').split('\n');
    const step = lines
      .slice(loop.at.line, loop.at.line + 6)
      .map((l) => withoutComment(l).trim())
      .find((l) => new RegExp(String.raw`^${v}\s*(?:[-+*/|&^]|<<|>>)?=(?!=)|^${v}\s*(?:\+\+|--)|^(?:\+\+|--)${v}\b`).test(l));
    f.explanation += ` The loop \`${header.replace(/\s*\{$/, '')}\` ends when \`${v}\` reaches \`${limit.trim()}\`${step ? `, and each pass does \`${step}\`` : ''}: the verifier saw the loop's head twice with the same state, so as far as it can tell nothing moves \`${v}\` towards the end (a step that may be 0 leaves it where it is).`;
    f.fix = `Bound the passes with a constant (\`for (int i = 0; i < MAX_PASSES && ${v} < ${limit.trim()}; i++)\`), or compute the result without a loop${step ? ` (here: how many steps of \`${step}\` are needed)` : ''}.`;
  },
  // The metadata area ends where the packet starts: its check is against ctx->data.
  'packet-check': (s) => {
    const { f, d, records, pos, sources, registers, relatedAt } = s;
    if (s.fromField === 'data_meta') {
      f.explanation += ' The pointer is ctx->data_meta: the metadata area in front of the packet, which ends at ctx->data (not data_end).';
      f.fix = 'Load ctx->data too and check `(void *)(meta + 1) > data` before touching the metadata.';
    }
    // Packet access: the data_end comparison that proved too few bytes.
    for (let i = pos; i >= 0; i--) {
      const r = records[i];
      if (r.kind === 'insn' && /^if [rw]\d+ [<>]=? [rw]\d+ goto/.test(r.disasm)) {
        const proven = /\br=(\d+)/.exec(f.message)?.[1];
        const needed = d.off !== undefined && d.size !== undefined ? Number(d.off) + Number(d.size) : undefined;
        const at = relatedAt(
          r.index,
          proven && needed
            ? `this data_end check proves ${proven} bytes from the packet pointer it compares, the access needs ${needed}`
            : 'this data_end check proves fewer bytes than the access needs',
        );
        // The compiler often gives the comparison the line of a nearby statement: the source's
        // own `... > data_end` above the access, in the same function, is the check.
        const text = at.file && at.line ? sourceLine(sources, at.file, at.line) : undefined;
        if (sources && f.file && f.line && !/[<>]/.test((text ?? '').replace(/->/g, ''))) {
          const check = comparisonAbove(sources, f.file, f.line, /\bdata_end\b|\bend\b/);
          if (check) Object.assign(at, check);
        }
        f.related.push(at);
        // r=0 after a check: the verifier ignores a data_end comparison of a pointer whose variable
        // offset may exceed MAX_PACKET_OFF (65535), as an unbounded offset or a loop's growing one.
        // The register's own state, or a copy's: pointers with the same id share their offset.
        const regs = registers;
        const id = /\(id=(\d+)/.exec(f.message)?.[1];
        const own = d.register ? regs.get(d.register) : undefined;
        const state =
          own && /\bumax=/.test(own)
            ? own
            : id
              ? [...regs.values()].find((v) => v.startsWith('pkt(') && v.includes(`id=${id},`) && /umax=/.test(v))
              : undefined;
        const umax = state ? /\bumax=(?:[a-z]+\d*=)*(0x[0-9a-f]+|\d+)/.exec(state)?.[1] : undefined;
        const ptrOff = Number((state && /\boff=(-?\d+)/.exec(state)?.[1]) ?? 0);
        if (proven === '0' && umax !== undefined && Number(umax) + ptrOff > 0xffff) {
          const loop = sources && f.file && f.line && hasBackwardJump(records, pos) ? enclosingLoop(sources, f.file, f.line) : undefined;
          f.explanation += ` The check does not count: the pointer's variable offset may be as large as ${umax} here, and the verifier ignores a data_end comparison of a packet pointer whose offset may exceed 65535 bytes (MAX_PACKET_OFF), so nothing is proven (r=0).`;
          if (loop) {
            f.related.push({
              ...loop,
              message: 'the pointer advances on every pass of this loop, which has no fixed bound: its offset keeps growing',
            });
            f.explanation += ` The offset grows with each pass of the loop \`${sourceLine(sources, loop.file, loop.line)?.replace(/\s*\{?\s*(?:\/\*.*)?$/, '')}\`, which has no bound the verifier can count.`;
            f.fix =
              'Give the loop a fixed maximum number of passes (`for (int i = 0; i < MAX_OPTS && opt < opt_end; i++)`), so the offset stays bounded, and keep the data_end check inside it.';
          } else {
            const added = f.related.find((r) => /is added to the pointer here/.test(r.message));
            const text = added ? sourceLine(sources, added.file, added.line) : undefined;
            if (text) f.explanation += ` The offset is added at \`${text.replace(/\s*\/\*.*$/, '')}\` without an upper bound.`;
            f.fix =
              'Bound the offset before adding it to the packet pointer (`if (off > 1500) return ...;` or a mask such as `off &= 0x3ff`), then check the header end against data_end.';
          }
        }
        const checkText = sourceLine(sources, at.file, at.line);
        if (checkText && /[<>]/.test(checkText.replace(/->/g, ''))) {
          f.explanation += ` The check on this path is \`${checkText.replace(/\s*\/\*.*$/, '')}\`${proven ? `: it proves ${proven} bytes` : ''}${needed ? `, and this access reaches byte ${needed}` : ''}.`;
          // `p + 1` counts in units of *p: one byte when p is a void *, char * or __u8 *.
          const plusOne = /(\w+)\s*\+\s*1\s*\)?\s*>/.exec(checkText)?.[1];
          const bytePointer = plusOne && new RegExp(String.raw`\b(?:void|char|__u8|u8|uint8_t)\s*\*\s*${plusOne}\s*[;,=)]`);
          if (proven !== '0' && bytePointer && [...sources!.values()].some((t) => bytePointer.test(t)))
            f.explanation += ` \`${plusOne}\` is a byte pointer, so \`+ 1\` adds one byte, not the size of the header: compare a pointer of the header type (\`(void *)(hdr + 1) > data_end\`).`;
          // `p + 2 > data_end` on a byte pointer, for a read that ends further: the constant is short.
          const short = /(\w+)\s*\+\s*(\d+)\s*\)?\s*>\s*(?:\([^)]*\)\s*)?\w*data_end\b/.exec(checkText);
          const deficit = proven && needed ? needed - Number(proven) : 0;
          const bytes = short && new RegExp(String.raw`\b(?:void|char|__u8|u8|uint8_t)\s*\*\s*${short[1]}\s*[;,=)]`);
          if (short && deficit > 0 && deficit < 64 && bytes && [...sources!.values()].some((t) => bytes.test(t))) {
            const target = assignedVariable(withoutComment(f.sourceText));
            const end = `${short[1]} + ${Number(short[2]) + deficit}`;
            f.explanation += ` The check proves the bytes before \`${short[1]} + ${short[2]}\`, but this read${target ? ` of \`${target}\`` : ''} ends ${deficit} byte${deficit > 1 ? 's' : ''} further, at \`${end}\`.`;
            const fixed = checkText
              .replace(/\s*\/\*.*$/, '')
              .trim()
              .replace(short[0], short[0].replace(/\+\s*\d+/, `+ ${Number(short[2]) + deficit}`));
            f.fix = `Check the end of what this line reads (the offset it reads at plus its size): \`${fixed}\`.`;
          }
          // `sizeof(p)` of a pointer is 8, whatever it points to.
          const sized = /\bsizeof\s*\(\s*(\w+)\s*\)/.exec(checkText)?.[1];
          const pointer = sized && new RegExp(String.raw`\b(?:struct\s+)?\w+\s*\*\s*${sized}\s*[;,=)]`);
          if (pointer && [...sources!.values()].some((x) => pointer.test(x))) {
            f.explanation += ` \`sizeof(${sized})\` is the size of the pointer \`${sized}\` (8 bytes), not of the header it points to.`;
            f.fix = `Check \`(void *)${sized} + sizeof(*${sized}) > data_end\` (or \`(void *)(${sized} + 1) > data_end\`): \`sizeof(*${sized})\` is the header's size.`;
          }
        }
        // A bounds helper (`hdr_ok(tcp, data_end, sizeof(struct udphdr))`) given the size of
        // another header than the one the line reads through.
        const helperCheck =
          checkText && !/[<>]/.test(checkText.replace(/->/g, ''))
            ? /\b(?!(?:if|while|unlikely|likely)\b)([A-Za-z_]\w*)\s*\(((?:[^()]|\([^()]*\))*)\)/.exec(checkText)
            : null;
        const sizeArg = helperCheck ? /\bsizeof\s*\(\s*([^)]+?)\s*\)/.exec(helperCheck[2])?.[1] : undefined;
        const readVia = memberAccess(f.sourceText);
        if (helperCheck && sizeArg && readVia && new RegExp(String.raw`\b${readVia.pointer}\b`).test(helperCheck[2])) {
          f.explanation += ` The check on this path is \`${checkText!.replace(/\s*\/\*.*$/, '').trim()}\`: ${helperCheck[1]}() is given \`sizeof(${sizeArg})\` for \`${readVia.pointer}\`${proven ? `, which proves ${proven} bytes` : ''}, and \`${readVia.pointer}->${readVia.field}\` lies beyond that${needed ? ` (this access reaches byte ${needed})` : ''}.`;
          f.fix = `Pass the size of what \`${readVia.pointer}\` points to: \`${helperCheck[1]}(${helperCheck[2].replace(/\bsizeof\s*\(\s*[^)]+?\s*\)/, `sizeof(*${readVia.pointer})`)})\`.`;
        }
        // The pointer the line reads through, set above from another pointer plus an offset, has
        // no data_end check of its own: its assignment is where the check must follow.
        const stmt = withoutComment(f.sourceText);
        const via = pointerReadThrough(stmt);
        const set = via && sources && f.file && f.line ? assignmentAbove(sources, f.file, f.line, via) : undefined;
        const checked = via && checkText ? new RegExp(String.raw`\b${via}\b`).test(checkText) : false;
        if (set && !set.parameter && via && !checked && !f.related.some((r) => r.line === set.line && r.file === set.file)) {
          f.related.push({
            file: set.file,
            line: set.line,
            message: `\`${via}\` is set here, and no data_end check of \`${via}\` follows before it is read`,
          });
          f.explanation += ` The line reads through \`${via}\`, set at line ${set.line} (\`${withoutComment(set.text)}\`), and no check of \`${via}\` against data_end comes between.`;
          f.fix = `After line ${set.line}, check \`if ((void *)(${via} + 1) > data_end) return ...;\` before reading \`${via}\`.`;
        }
        return;
      }
    }
    // No data_end comparison on the path at all (r=0): the variable that holds ctx->data.
    const origin = f.related.find((r) => /it is ctx->data\b/.test(r.message));
    const text = origin?.file && origin.line ? withoutComment(sourceLine(sources, origin.file, origin.line)) : '';
    const name = assignedVariable(text);
    if (origin && name && /\br=0\b/.test(f.message) && new RegExp(String.raw`\b${name}\b`).test(withoutComment(f.sourceText))) {
      const end = /\b(\w+)\s*(?:->|\.)\s*data\b/.exec(text)?.[1];
      f.explanation += ` \`${name}\` is the start of the packet (\`${text.trim()}\`, line ${origin.line}), and nothing on this path compares it with ${end ? `${end}->data_end` : 'data_end'}: not a single byte is proven, so the read of \`${name}\` here is refused.`;
      f.fix = `Load ${end ? `${end}->data_end` : 'data_end'} as well and check \`if ((void *)${name} + <bytes read> > data_end) return ...;\` before this line (here it reads through \`${name}\`).`;
    }
  },
  // CO-RE: the lines that name the field or type the kernel does not have.
  'core-field': (s) => {
    const { f, sources, entryText } = s;
    const core = /CO-RE relocation <\w+> \[\d+\] (?:struct |union |enum |typedef )?(\w+)(?:\.([\w.:]+))?/.exec(f.message);
    if (core && sources) {
      const field = core[2]?.split(/[.:]/).filter(Boolean).pop();
      const uses = symbolLines(sources, field ?? core[1], 4, f.file);
      for (const at of uses)
        f.related.push({
          ...at,
          message: /\bbpf_core_(?:field|type|enum_value)_exists\b/.test(sourceLine(sources, at.file, at.line) ?? '')
            ? `\`${field ?? core[1]}\` is tested here: the read that fails must run only on the path where it exists`
            : `\`${field ?? core[1]}\` (${core[1]}) does not exist in the running kernel's BTF`,
        });
      // The compiler may have hoisted the relocated load to the function's first line: the
      // statement that reads the field, further down, is the place.
      // So may a load the line info counts to the statement before: a line that does not name
      // the field is not where it is read.
      const hoisted = entryText && f.sourceText === entryText;
      const elsewhere = field && f.sourceText && !new RegExp(String.raw`\b${field}\b`).test(withoutComment(f.sourceText));
      const use = hoisted || elsewhere ? uses.find((u) => u.file === f.file && f.line !== undefined && u.line > f.line) : undefined;
      if (use) {
        f.related.push({ file: f.file, line: f.line, message: 'the line info of the failing instruction points here' });
        f.line = use.line;
      }
    }
  },
  // `func 'cong_avoid' doesn't have 5-th argument`: the BPF_PROG() parameter the kernel's
  // prototype lacks (the context offset says which: 8 bytes per argument).
  'prototype-argument': (s) => {
    const { f, sources, program } = s;
    const fn = /^func '(\w+)' doesn't have (\d+)-th argument/.exec(stripMessagePrefixes(f.message))?.[1];
    if (!fn || !sources) return;
    const def = program ? programDefinition(sources, program, f.file) : undefined;
    const text = def ? sourceLine(sources, def.file, def.line) : f.sourceText;
    const params = /\bBPF_PROG\d*\s*\(\s*\w+\s*,([^)]*)\)/
      .exec(withoutComment(text ?? ''))?.[1]
      .split(',')
      .map((p) => p.trim());
    if (!params?.length) return;
    const off = /invalid bpf_context access off=(\d+)/.exec(f.details?.alsoReported ?? '')?.[1];
    const param = off !== undefined ? params[Number(off) / 8] : params[params.length - 1];
    const name = param ? /(\w+)\s*$/.exec(param)?.[1] : undefined;
    if (!param || !name) return;
    if (def && (def.line !== f.line || def.file !== f.file))
      f.related.push({ ...def, message: `\`${name}\` is declared here as an argument of ${fn}()` });
    f.explanation += ` The program's BPF_PROG() declares \`${param}\` as argument ${params.indexOf(param) + 1}, but ${fn}() has fewer arguments on this kernel (the prototype in its BTF), so reading \`${name}\` reads past the arguments the kernel passes.`;
    f.fix = `Declare the arguments of ${fn}() as this kernel has them: drop \`${param}\` from BPF_PROG() and compute what it gave from the others (or from the socket/task).`;
  },
  // `anc = cgrp->ancestors[idx];` through a kernel pointer: the element to copy with a probe read.
  'kernel-array-index': (s) => {
    const { f } = s;
    if (!/invalid variable offset/.test(f.message)) return;
    const stmt = withoutComment(f.sourceText);
    const at = /\b(\w+(?:\s*->\s*\w+)+)\s*\[\s*([^\]]+?)\s*\]/.exec(stmt);
    if (!at) return;
    const into = assignedVariable(stmt);
    f.explanation += ` This line reads \`${at[0]}\`: \`${at[2]}\` is a run-time index into an array inside the kernel object.`;
    f.fix = `Copy the element instead of reading it directly: \`bpf_probe_read_kernel(&${into ?? 'val'}, sizeof(${into ?? 'val'}), &${at[0]});\` (or BPF_CORE_READ_INTO()).`;
  },
  // Program-type problems: the SEC() that chose the program type (or the license) is the cause.
  'program-type': (s) => {
    const { f, sources } = s;
    if (sources && f.file && f.line) {
      const sec = sectionAbove(sources, f.file, f.line);
      if (sec) f.related.push({ ...sec, message: 'the program type is chosen here; it does not allow this' });
    }
  },
  // A chain of BPF-to-BPF calls whose frames add up: the calls that stack each frame (the
  // finding stays on the program, whose chain it is).
  'call-chain': (s) => {
    const { f, records, sources, locate, program, libbpfProgram } = s;
    const chain = /^combined stack size of (\d+) calls/.exec(stripMessagePrefixes(f.message));
    // `stack depth 24+440+0+32`: each function's frame, the program's first.
    const depthLine = s.log.stats?.stackDepth;
    const sizes = depthLine?.split('+').map(Number);
    if (chain && sizes && sizes.length > 1 && sizes.every((n) => Number.isFinite(n)) && !f.explanation.includes(depthLine!)) {
      const big = sizes.indexOf(Math.max(...sizes));
      const total = /combined stack size of \d+ calls is (\d+)/.exec(f.message)?.[1];
      f.explanation += `${total ? ` The ${chain[1]} stacked frames need ${total} bytes, past the 512 allowed.` : ''} The log's \`stack depth ${depthLine}\` gives each function's frame (the program's first, then its subprograms in order): the largest is ${sizes[big]} bytes, ${big === 0 ? "the program's own" : `subprogram #${big}'s`}, and frames are rounded up to 32 bytes when they are added up.`;
    }
    if (chain) {
      const frames = Number(chain[1]);
      const calls: SourceLocation[] = [];
      let depth = 0;
      for (const r of records) {
        if (r.kind !== 'insn') continue;
        if (/^call pc[+-]\d+$/.test(r.disasm)) {
          depth++;
          const at = depth === calls.length + 1 && depth < frames ? locate(r.index) : undefined;
          if (at) calls.push(at);
        } else if (r.disasm === 'exit' && depth > 0) depth--;
      }
      // A level-1 log of a walk that succeeded prints no instructions: the calls are in the source.
      const name = program ?? libbpfProgram;
      const def = !calls.length && sources && name ? programDefinition(sources, name, f.file) : undefined;
      if (def) for (const c of callChain(sources!, def.file, name!).slice(0, frames - 1)) calls.push({ ...c, text: '' });
      calls.forEach((c, i) => {
        if (c.file && c.line) f.related.push({ file: c.file, line: c.line, message: `this call stacks frame ${i + 2} of ${frames}` });
      });
      if (calls.length) f.explanation += ` The chain has ${frames} frames; the calls that stack them are shown as related locations.`;
    }
  },
  // Stack size: the large local buffers are what to move into a map.
  'large-locals': (s) => {
    const { f, sources } = s;
    if (sources) {
      for (const at of largeLocals(sources, f.file)) f.related.push({ ...at, message: 'large local variable on the BPF stack' });
    }
  },
  license: (s) => {
    const { f, sources } = s;
    const lic = sources && licenseLine(sources, f.file);
    if (lic) f.related.push({ ...lic, message: 'the license declared here is not GPL-compatible' });
    f.quickFix = { kind: 'license-gpl', file: lic?.file, line: lic?.line };
    // Say which license the object has: the declared one, or none at all.
    const text = lic ? withoutComment(sourceLine(sources, lic.file, lic.line)) : '';
    if (lic && text) f.explanation += ` The object declares \`${text}\`, which the kernel does not count as GPL-compatible.`;
    else if (sources && !lic)
      f.explanation +=
        ' The sources declare no license at all (no `SEC("license")`), so the program is loaded as non-GPL (bcc supplies "GPL" when a program declares none; libbpf does not).';
  },
  // A dynptr used after the call that released it (submit, discard): that call.
  'released-dynptr': (s) => {
    const { f, records, pos, relatedAt, locate } = s;
    // An open-coded iterator used (or destroyed again) after its bpf_iter_<kind>_destroy().
    const iter = /expected an initialized (iter_\w+)/i.exec(f.message)?.[1];
    if (iter) {
      const destroy = new RegExp(String.raw`^call (bpf_${iter}_destroy)#`);
      for (let i = pos - 1; i >= 0; i--) {
        const r = records[i];
        const call = r.kind === 'insn' ? destroy.exec(r.disasm)?.[1] : undefined;
        if (!call || r.kind !== 'insn') continue;
        const name = argumentExpression(locate(r.index)?.text, 0)?.replace(/^&\s*/, '');
        const it = name && /^\w+$/.test(name) ? `\`${name}\`` : `the ${iter} iterator`;
        f.related.push(relatedAt(r.index, `${it} is destroyed here already; on this path it is not initialized any more`));
        f.explanation += ` On this path ${it} was already destroyed by ${call}() before this call: an open-coded iterator lives from its bpf_${iter}_new() to one ${call}(), and every use after that sees an uninitialized iterator.`;
        const at = relatedAt(r.index, '');
        const next = at.file && at.line && s.sources ? withoutComment(sourceLine(s.sources, at.file, at.line + 1)).trim() : '';
        f.fix = /^break\s*;/.test(next)
          ? `Destroy ${it} exactly once on every path: drop the ${call}() before the \`break\` (the one after the loop runs on that path too).`
          : `Destroy ${it} exactly once on every path: keep one of the two ${call}() calls, or leave the function right after the first.`;
        return;
      }
    }
    if (/initialized dynptr|dynptr has to be/i.test(f.message)) {
      for (let i = pos - 1; i >= 0; i--) {
        const r = records[i];
        if (r.kind === 'insn' && /^call bpf_\w*(?:submit|discard)_dynptr\b/.test(r.disasm)) {
          f.related.push(relatedAt(r.index, `the dynptr was released here (\`${r.disasm}\`); it cannot be used after it`));
          break;
        }
      }
    }
  },
  // A pointer into the packet used after a helper that may change the packet: that helper.
  'invalidated-packet': (s) => {
    const { f, records, pos, failing, posOf, relatedAt, locate, reg } = s;
    if (failing && reg !== undefined) {
      for (let i = pos - 1; i >= 0 && i > pos - 4096; i--) {
        const r = records[i];
        const helper = r.kind === 'insn' ? PACKET_CHANGING.exec(r.disasm)?.[1] : undefined;
        if (!helper) continue;
        const from = traceRegister(records, pos, reg).pop();
        if (from && posOf(from.insnIndex) > i) break;
        const at = relatedAt(
          (r as { index: number }).index,
          `${helper}() may change the packet: every packet pointer taken before it is invalid after it`,
        );
        f.related.unshift(at);
        // The program's name for the stale pointer, when its origin line assigns one used here.
        const name = from ? assignedVariable(locate(from.insnIndex)?.text) : undefined;
        const stale = name && new RegExp(String.raw`\b${name}\b`).test(f.sourceText ?? '') ? `\`${name}\`` : `R${reg}`;
        f.explanation += ` ${stale} was a packet pointer taken before ${helper}(), which may move or resize the packet; the verifier then treats every packet pointer as unknown.`;
        f.fix = `Reload data and data_end from the context after ${helper}() and repeat the bounds check before using the packet again.`;
        break;
      }
    }
  },
  // A global function's parameter: the verifier checks its body for any argument of the declared type.
  'argument-signature': (s) => {
    const { f, records, pos, sources, failing, relatedAt, log, reg } = s;
    if (failing && reg !== undefined && sources) {
      const steps = traceRegister(records, pos, reg);
      const sub = enclosingSubprog(log, failing.index);
      if (sub !== undefined && (steps.length === 0 || !steps.some((x) => x.role === 'origin' || x.role === 'call'))) {
        const start = relatedAt(sub, '');
        const header = start.file && start.line ? functionHeader(sources, start.file, start.line) : undefined;
        f.related.push({
          ...(header ?? start),
          message: 'a global function: its pointer parameters may be NULL, whatever the callers pass',
        });
        f.explanation +=
          ' The pointer is a parameter of a global (non-static) function, which the verifier checks on its own, for any caller: it may be NULL.';
        f.fix =
          "Check the parameter for NULL at the top of the function, or make the function static so the verifier checks it with the caller's arguments.";
      }
    }
  },
  // A helper's size argument without a bound: the buffer before it in the call, and its size.
  'size-argument': (s) => {
    const { f, d, sources, failing } = s;
    const sizeReg = d.register ? Number(d.register.slice(1)) : undefined;
    // The check above the call that the size passed: it bounds the size from above only.
    const sizeName = sizeReg ? argumentExpression(f.sourceText, sizeReg - 1)?.match(/^\w+$/)?.[0] : undefined;
    const check =
      sizeName && sources && f.file && f.line
        ? comparisonAbove(sources, f.file, f.line, new RegExp(String.raw`\b${sizeName}\b`))
        : undefined;
    const zero = /zero-sized/.test(f.message);
    // A zero-sized message can also carry a range with no upper bound (`u64=[0,4294967295]`).
    const upper = Number(/u64=\[\d+,\s*(\d+)\]/.exec(f.message)?.[1] ?? 0);
    const unbounded = /unbounded memory access/.test(f.message) || upper >= 1 << 29;
    const decl = check && sizeName && f.file && f.line ? localDeclaration(sources!, f.file, f.line, sizeName) : undefined;
    const declText = decl ? (sourceLine(sources, decl.file, decl.line) ?? '') : '';
    const signed = !!decl && !!sizeName && declaresSigned(declText, sizeName);
    // A signed check of a signed size bounds it as a signed number only: a negative value passes
    // it and is a huge size as the unsigned number the helper takes (32-bit code shows it so).
    const signedOnly = signed && unbounded && !/negative|min value/.test(f.message);
    if (check && sizeName && (zero || signedOnly || /negative|min value/.test(f.message))) {
      const text = withoutComment(sourceLine(sources, check.file, check.line));
      const passes = signedOnly
        ? `a negative \`${sizeName}\` passes it and is a huge unsigned size`
        : zero
          ? '0 still passes it'
          : 'a negative value still passes it';
      f.related.push({ ...check, message: `this check bounds \`${sizeName}\` from above only: ${passes}` });
      if (text && !f.explanation.includes(text))
        f.explanation += signedOnly
          ? ` The only check of \`${sizeName}\` before the call is \`${text}\`, a signed upper bound: a negative \`${sizeName}\` passes it, and as the unsigned size the helper takes it is up to ${upper || 4294967295}${zero ? ' (and it may be 0)' : ''}.`
          : ` The only check of \`${sizeName}\` before the call is \`${text}\`, an upper bound: ${zero ? `\`${sizeName}\` may still be 0` : `a signed \`${sizeName}\` below 0 passes it`}.`;
      f.fix = signedOnly
        ? `Make \`${sizeName}\` unsigned, or also leave when \`${sizeName} <= 0\`, before the call: \`if (${sizeName} <= 0 || ${sizeName} > ...) return ...;\`.`
        : zero
          ? `Also leave when \`${sizeName}\` is 0: \`if (${sizeName} == 0 || ${sizeName} > ...) return ...;\` before the call.`
          : `Make \`${sizeName}\` unsigned, or check \`${sizeName} < 0\` as well as the upper bound before the call.`;
      // A negative size comes from a signed declaration: that line is what to change.
      if (decl && signed && (!zero || signedOnly)) {
        f.related.push({ ...decl, message: `\`${sizeName}\` is declared signed here` });
        f.explanation += ` \`${sizeName}\` is declared signed: \`${withoutComment(declText)}\`.`;
        // Where it gets its (possibly negative) value, when that is a separate assignment.
        // (not a clamp to a constant: `len = CAPTURE_LEN;` after the check)
        let set = f.file && f.line ? assignmentAbove(sources!, f.file, f.line, sizeName) : undefined;
        for (let k = 0; k < 3 && set && !set.parameter && /=\s*(?:\d+|[A-Z_][A-Z0-9_]*|sizeof\b.*)\s*;/.test(withoutComment(set.text)); k++)
          set = assignmentAbove(sources!, set.file, set.line, sizeName);
        const setText = set && !set.parameter && set.line !== decl.line ? withoutComment(set.text).trim() : '';
        if (set && setText) {
          f.related.push({ file: set.file, line: set.line, message: `\`${sizeName}\` gets its value here, which may be negative` });
          f.explanation += ` It gets its value at line ${set.line}: \`${setText}\`.`;
        }
      }
    }
    if (!zero && sources && f.file && sizeReg && sizeReg > 1 && failing && /^call /.test(failing.disasm)) {
      const buffer = argumentExpression(f.sourceText, sizeReg - 2)
        ?.replace(/^&/, '')
        .replace(/^\(.*?\)\s*/, '');
      const size = argumentExpression(f.sourceText, sizeReg - 1);
      const name = buffer && /^\w+$/.test(buffer) ? buffer : undefined;
      const decl = name ? symbolDeclaration(sources, name, f.file) : undefined;
      const declText = decl ? sourceLine(sources, decl.file, decl.line) : undefined;
      const dim = declText ? new RegExp(String.raw`\b${name}\s*\[\s*(\w+)\s*\]`).exec(declText)?.[1] : undefined;
      const byteArray = declText && new RegExp(String.raw`\b(?:char|__u8|u8|uint8_t|unsigned char)\s+${name}\s*\[`).test(declText);
      const bytes =
        dim && byteArray
          ? /^\d+$/.test(dim)
            ? Number(dim)
            : definesOf((findSource(sources, decl!.file)?.[1] ?? '').split('\n')).get(dim)
          : undefined;
      if (name && size && decl) {
        f.related.push({ ...decl, message: `\`${name}\` is declared here${bytes !== undefined ? `: ${bytes} bytes` : ''}` });
        f.explanation += ` The size is \`${size}\` and the buffer \`${name}\`${bytes !== undefined ? ` holds ${bytes} bytes` : ''}: nothing on this path keeps \`${size}\` within it.`;
        f.fix = `Clamp the size to the buffer before the call: \`if (${size} > sizeof(${name})) ${size} = sizeof(${name});\`${bytes !== undefined ? ` (${bytes})` : ''}, or mask it (\`${size} & (sizeof(${name}) - 1)\` for a power of two).`;
      }
    }
  },
};

// The verifier stopped before looking at any instruction (program/map compatibility checks):
// the program itself is the place, its SEC() the reason.
function programPlace(s: CauseState): void {
  const { f, sources, failing, program } = s;
  if (!failing && sources && program) {
    const def = programDefinition(sources, program, f.file);
    if (def) {
      f.file ??= def.file;
      f.line ??= def.line;
    }
  }
}

// A global function's arguments are checked against its declared parameter types at the call.
function globalCallee(s: CauseState): void {
  const { f, d, sources, others } = s;
  const callee = /Caller passes invalid args into func#\d+ \('(\w+)'\)/.exec(others.join('\n'));
  // A parameter whose type has no size (void *): the function's signature is what to change.
  const unsized = /^arg#(\d+) reference type\('(.*?)\s*'\) size cannot be determined/.exec(stripMessagePrefixes(f.message));
  const calleeDef = callee && unsized && sources ? programDefinition(sources, callee[1], f.file) : undefined;
  if (callee && unsized && calleeDef) {
    const header = withoutComment(sourceLine(sources, calleeDef.file, calleeDef.line));
    const param = argumentExpression(header, Number(unsized[1]));
    const paramName = param ? /(\w+)\s*$/.exec(param)?.[1] : undefined;
    if (f.file && f.line)
      f.related.push({
        file: f.file,
        line: f.line,
        message: `\`${callee[1]}()\` is called here; the verifier cannot check this argument against its parameter`,
      });
    f.file = calleeDef.file;
    f.line = calleeDef.line;
    f.sourceText = sourceLine(sources, calleeDef.file, calleeDef.line);
    f.title = `Global function ${callee[1]}() takes a parameter of unknown size`;
    f.explanation = `\`${callee[1]}()\` is a global (non-static) function, which the verifier checks once, on its own, from its BTF prototype. Its parameter #${unsized[1]}${param ? ` (\`${param.trim()}\`)` : ''} points to ${unsized[2] === 'UNKNOWN' ? 'void' : `\`${unsized[2]}\``}, a type without a size, so the verifier cannot know how much memory the pointer must cover and refuses the call.`;
    f.fix = `Make \`${callee[1]}()\` static (or __always_inline), so it is verified with each caller's real arguments, or give the parameter a pointer type of known size (a struct that holds the buffer: \`struct my_buf *${paramName ?? 'buf'}\`).`;
    return;
  }
  if (callee && sources) {
    const def = programDefinition(sources, callee[1], f.file);
    if (def)
      f.related.push({
        ...def,
        message: `\`${callee[1]}()\` is a global function: the verifier checks each argument against this parameter's type`,
      });
    // A kernel-struct parameter of a global function is plain memory of the struct's size to
    // the verifier, which a trusted BTF pointer from the caller does not satisfy.
    const param = def ? /\(\s*(?:const\s+)?struct\s+(\w+)\s*\*\s*(\w+)/.exec(sourceLine(sources, def.file, def.line) ?? '') : null;
    if (param && /^access beyond struct|has pointer type|expected/.test(f.message)) {
      f.explanation += ` \`${callee[1]}()\` is verified on its own, for any caller: its parameter \`struct ${param[1]} *${param[2]}\` is taken as a pointer to ${d.size ? `${d.size} bytes of` : ''} plain memory, not as a trusted kernel object, so the task/BTF pointer the caller passes does not fit it.`;
      f.fix = `Tag the parameter \`struct ${param[1]} *${param[2]} __arg_trusted\` (kernel 6.8+, bpf_helpers.h) so the verifier expects a trusted pointer, or make \`${callee[1]}()\` static so it is verified with its caller's argument.`;
    }
  }
}

// A pointer kept in a local that a helper then overwrote (`bpf_probe_read_kernel(&rec, ...)`
// where `rec` was meant): the value filled back from the stack is a plain number.
function overwrittenPointer(s: CauseState): void {
  const { f, d, records, pos, origin, posOf, locate, named } = s;
  if (named !== undefined && (d.type === 'scalar' || /'scalar'/.test(f.message))) {
    const steps = traceRegister(records, pos, named);
    const o = origin(steps);
    const variable =
      o && /^call /.test(o.disasm) && steps.some((x) => x.role === 'fill') ? assignedVariable(locate(o.insnIndex)?.text) : undefined;
    const byAddress = variable ? new RegExp(String.raw`[(,]\s*&\s*${variable}\s*[,)]`) : undefined;
    for (let i = o ? posOf(o.insnIndex) + 1 : pos; byAddress && i < pos; i++) {
      const r = records[i];
      if (r.kind !== 'insn' || !/^call /.test(r.disasm)) continue;
      const at = locate(r.index);
      if (!at?.text || !byAddress.test(at.text) || !at.file || !at.line) continue;
      const helper = /^call (\w+)/.exec(r.disasm)![1];
      if (f.file && f.line)
        f.related.unshift({ file: f.file, line: f.line, message: `\`${variable}\` is used here, after the call overwrote it` });
      f.file = at.file;
      f.line = at.line;
      f.sourceText = at.text;
      f.explanation += ` \`&${variable}\` is passed to ${helper}(): the helper writes into the variable that holds the pointer, not into the memory it points to, so \`${variable}\` is a plain number after the call.`;
      f.fix = `Pass \`${variable}\` (the pointer) instead of \`&${variable}\` to ${helper}().`;
      break;
    }
  }
}

// A lookup result saved on the stack before its NULL check, read back after it: kernels that do
// not carry the check over to the stack copy still see map_value_or_null there.
function spilledBeforeCheck(s: CauseState): void {
  const { f, records, pos, reg, relatedAt } = s;
  if (f.catalogId !== 'null-deref' || reg === undefined) return;
  let fill: { index: number; slot: string } | undefined;
  let i = pos - 1;
  for (; i >= 0 && !fill; i--) {
    const r = records[i];
    if (r.kind !== 'insn') continue;
    const m = /^r(\d+) = \*\(u64 \*\)\(r10 (-\d+)\)$/.exec(r.disasm);
    if (m && Number(m[1]) === reg) fill = { index: r.index, slot: m[2] };
    else if (r.kind === 'insn' && new RegExp(String.raw`^r${reg} = `).test(r.disasm)) return;
  }
  if (!fill) return;
  for (let j = i; j >= 0; j--) {
    const r = records[j];
    if (r.kind !== 'insn') continue;
    const m = new RegExp(String.raw`^\*\(u64 \*\)\(r10 ${fill.slot}\) = r(\d+)$`).exec(r.disasm);
    if (!m) continue;
    const src = Number(m[1]);
    const check = records
      .slice(j + 1, i + 2)
      .find((x) => x.kind === 'insn' && new RegExp(String.raw`^if r${src} [!=]= 0x0 goto`).test(x.disasm));
    if (!check || check.kind !== 'insn') return;
    f.related.push(relatedAt(r.index, `R${src} is saved to fp${fill.slot} here, before its NULL check`));
    f.related.push(relatedAt(check.index, `the NULL check tests R${src}, not the copy at fp${fill.slot}`));
    f.explanation += ` R${reg} was read back from the stack slot fp${fill.slot}, where R${src} was saved before \`${check.disasm.replace(/ goto.*$/, '')}\` checked it: the check made R${src} non-NULL, but this kernel did not carry it over to the copy on the stack, which is still map_value_or_null.`;
    f.fix = `Check the pointer for NULL before it is saved (or copied to another variable), or check the reloaded copy again; newer kernels carry the check over to copies.`;
    return;
  }
}

// `r0 -= r6` with r6 the context (or another pointer): the program takes the difference of a
// number and a pointer's address, which the verifier never allows.
function pointerSubtracted(s: CauseState): void {
  const { f, failing, registers } = s;
  const m = failing ? /^r(\d+) -= r(\d+)$/.exec(failing.disasm) : null;
  const kind = /^math between (\S+?) pointer and register/.exec(stripMessagePrefixes(f.message))?.[1];
  if (!m || !kind) return;
  // At level 1 the state may not be printed: the message names the pointer's kind.
  const sub = registers.get(`R${m[2]}`) ?? kind;
  if (!/^(?:ctx|fp|map_value|pkt|ptr_|trusted_ptr_|rcu_ptr_)/.test(sub)) return;
  f.title = `A ${kind} pointer is subtracted from a number`;
  f.explanation = `The failing instruction \`${failing!.disasm}\` subtracts R${m[2]}, the ${kind} pointer${sub !== kind ? ` (${sub})` : ''}, from R${m[1]}, a plain number${registers.get(`R${m[1]}`) ? ` (${registers.get(`R${m[1]}`)})` : ''}. The verifier lets a program add bounded numbers to a pointer, but never compute with a pointer's address itself (a difference of addresses would leak it and is meaningless to the verifier).`;
  f.fix = `Do not compute with the address of the ${kind} pointer: read the values you need through it (fields, BPF_CORE_READ), or, for an offset inside a kernel structure, use bpf_core_field_offset() / offsetof().`;
}

// `st` set on two paths (a lookup in each branch) and checked for NULL on one of them only: the
// unchecked assignment reaches the use.
function partialNullCheck(s: CauseState): void {
  const { f, sources } = s;
  if (f.catalogId !== 'null-deref' || !sources || !f.file || !f.line) return;
  const v = memberAccess(f.sourceText)?.pointer;
  const header = v ? functionHeader(sources, f.file, f.line) : undefined;
  const hit = header ? findSource(sources, f.file) : undefined;
  if (!v || !header || !hit) return;
  const lines = hit[1].split('\n');
  const sets: number[] = [];
  const checks: number[] = [];
  const assign = new RegExp(String.raw`(?:^|[^=!<>])\b${v}\s*=\s*[^=]*\w+\s*\(`);
  const check = new RegExp(String.raw`\bif\s*\(\s*(?:!\s*${v}\b|${v}\s*==\s*NULL|${v}\s*\)|!\s*\(\s*${v}\s*\))`);
  for (let i = header.line; i < f.line - 1; i++) {
    const code = withoutComment(lines[i]);
    if (assign.test(code)) sets.push(i + 1);
    if (check.test(code)) checks.push(i + 1);
  }
  if (sets.length < 2 || !checks.length) return;
  // An assignment with no check of `v` after it and before the next assignment (or the use).
  const unchecked = sets.find((a, k) => !checks.some((c) => c > a && c < (sets[k + 1] ?? f.line!)));
  if (unchecked === undefined) return;
  const text = withoutComment(lines[unchecked - 1]).trim();
  // An origin placed on a line that makes no call is the compiler's merged call: the lines say more.
  f.related = f.related.filter(
    (r) => !(/may be NULL: it comes from here/.test(r.message) && !/\w\s*\(/.test(sourceLine(sources, r.file, r.line) ?? '(')),
  );
  for (const c of checks) {
    if (f.related.some((r) => r.line === c && r.file === hit[0])) continue;
    f.related.push({
      file: hit[0],
      line: c,
      message: `this NULL check of \`${v}\` covers only the path through line ${sets.find((a) => a < c && !sets.some((b) => b > a && b < c)) ?? sets[0]}`,
    });
  }
  f.related.push({ file: hit[0], line: unchecked, message: `\`${v}\` is set here and reaches line ${f.line} without a NULL check` });
  f.explanation += ` \`${v}\` is set on ${sets.length} paths (lines ${sets.join(', ')}) and checked for NULL only on ${checks.length === 1 ? 'one of them' : 'some of them'} (line ${checks.join(', ')}): the path through line ${unchecked} (\`${text}\`) reaches \`${withoutComment(f.sourceText).trim()}\` with \`${v}\` unchecked — the compiler may even merge the two calls into one.`;
  f.fix = `Check \`${v}\` once after the paths join, right before line ${f.line} (\`if (!${v}) return 0;\`), or after each assignment.`;
}

// `parse_l4(iph, data_end, &ports)` sets `ports` and checks it against data_end, but a `return`
// (or a macro that returns) before that check leaves with `ports` set and unchecked.
function outParameterCheck(s: CauseState): void {
  const { f, sources } = s;
  if (f.catalogId !== 'packet-out-of-bounds' || !sources || !f.file || !f.line) return;
  const via = memberAccess(f.sourceText)?.pointer;
  const hit = via ? findSource(sources, f.file) : undefined;
  if (!via || !hit) return;
  const lines = hit[1].split('\n');
  const header = functionHeader(sources, f.file, f.line);
  // The call above the use that gets `&via`.
  let callee: string | undefined;
  let callLine = 0;
  for (let i = f.line - 2; header && i >= header.line; i--) {
    const code = withoutComment(lines[i]);
    const m = [...code.matchAll(/\b([A-Za-z_]\w*)\s*\(/g)].find(
      (x) => !/^(?:if|while|return|bpf_\w+)$/.test(x[1]) && new RegExp(String.raw`^\w+\s*\([^;]*&\s*${via}\b`).test(code.slice(x.index)),
    );
    if (m) {
      callee = m[1];
      callLine = i + 1;
      break;
    }
  }
  const def = callee ? lines.findIndex((l) => new RegExp(String.raw`^[^;]*\b${callee}\s*\([^;]*$`).test(l) && !/;\s*$/.test(l)) : -1;
  if (!callee || def < 0) return;
  // Macros whose body returns.
  const returning = new Set<string>();
  lines.forEach((l, i) => {
    const m = /^\s*#\s*define\s+([A-Za-z_]\w*)\s*\(/.exec(l);
    if (!m) return;
    let body = l;
    for (let j = i; /\\\s*$/.test(lines[j] ?? '') && j < i + 10; j++) body += lines[j + 1] ?? '';
    if (/\breturn\b/.test(body)) returning.add(m[1]);
  });
  let exit: number | undefined;
  for (let i = def + 1; i < lines.length && !/^\}/.test(lines[i]); i++) {
    const code = withoutComment(lines[i]);
    if (/\bdata_end\b/.test(code) && /[<>]/.test(code.replace(/->/g, ''))) {
      if (exit === undefined) return;
      const leave = withoutComment(lines[exit - 1]).trim();
      f.related.push({
        file: hit[0],
        line: exit,
        message: `this leaves \`${callee}()\` before its data_end check at line ${i + 1}, with \`${via}\` already set`,
      });
      f.explanation += ` \`${via}\` is set by \`${callee}()\` (called at line ${callLine}), which checks it against data_end only at line ${i + 1}; \`${leave}\` at line ${exit} leaves before that check, and on that path the caller reads \`${withoutComment(f.sourceText).trim()}\` with nothing proven.`;
      f.fix = `Check \`${via}\` against data_end before any early return in \`${callee}()\` (or set \`*${via}\` only after the check), or make the early return report failure so the caller does not read \`${via}\`.`;
      return;
    }
    const macro = /^\s*([A-Z_][A-Z0-9_]*)\s*\(/.exec(code)?.[1];
    if (exit === undefined && (/\breturn\b/.test(code) || (macro && returning.has(macro)))) exit = i + 1;
  }
}

// The constants a bounds problem is made of (`idx & RING_MASK`, `if (n > MAX_FDS)`): where
// each is defined, with its value, since a wrong definition is as likely as a wrong use.
function boundConstants(s: CauseState): void {
  const { f, sources } = s;
  if (!sources || !f.file || !f.line) return;
  if (!/out-of-bounds|out-of-range|arith-bounds|size-unbounded|min-value|max-value/.test(f.catalogId ?? '')) return;
  const hit = findSource(sources, f.file);
  if (!hit) return;
  const lines = hit[1].split('\n');
  const texts = [
    f.sourceText,
    ...f.related.filter((r) => r.file === hit[0] && /check/.test(r.message)).map((r) => sourceLine(sources, r.file, r.line)),
  ];
  const names = [...new Set(texts.flatMap((t) => [...withoutComment(t).matchAll(/\b([A-Z][A-Z0-9_]{2,})\b/g)].map((m) => m[1])))];
  let added = 0;
  for (const name of names) {
    const at = lines.findIndex((l) => new RegExp(String.raw`^\s*#\s*define\s+${name}\s+\S`).test(l));
    if (at < 0 || added >= 2 || f.related.some((r) => r.line === at + 1 && r.file === hit[0])) continue;
    const value = /^\s*#\s*define\s+\w+\s+(.+?)\s*(?:\/[*/].*)?$/.exec(lines[at])?.[1];
    f.related.push({ file: hit[0], line: at + 1, message: `\`${name}\` is defined here${value ? ` as \`${value}\`` : ''}` });
    added++;
  }
}

function registerOrigin(s: CauseState): void {
  const { f, d, has, records, pos, failing, origin, describe, posOf, relatedAt, locate, alloc, reg, arith, registers } = s;
  const boundsWords = /bound|range|outside|negative|max value|min value|invalid access|out of bounds/;
  /** The last comparison of the offset (or a copy of it) before the failure: the check that did not bound. */
  const boundsCheck = (regs: Set<number>, from: number, to: number) => {
    for (let i = to; i > from; i--) {
      const r = records[i];
      if (r.kind !== 'insn') continue;
      const m = /^if [rw](\d+) [^ ]+ (?:[rw](\d+)|-?\w+) goto/.exec(r.disasm);
      if (m && (regs.has(Number(m[1])) || (m[2] !== undefined && regs.has(Number(m[2]))))) return r.index;
    }
    return undefined;
  };
  const explainOffset = (src: number, at: number) => {
    const offSteps = traceRegister(records, at, src);
    describe(offSteps, `the offset R${src} gets its value here`);
    const o = origin(offSteps);
    const regs = new Set([src, ...offSteps.map((s) => s.register)]);
    const check = boundsCheck(regs, o ? posOf(o.insnIndex) : -1, at);
    if (check !== undefined) {
      const at = relatedAt(check, `this check does not bound R${src} tightly enough for the access`);
      f.related.push(at);
      // `if (n > MAX_FDS)` before `fds[n]`: the bound itself passes, one past the last element.
      const text = withoutComment(sourceLine(s.sources, at.file, at.line));
      const gt = /\b([A-Za-z_]\w*(?:->\w+)?)\s*>\s*([A-Z_][A-Z0-9_]*|\d+)\s*\)/.exec(text);
      if (gt && !/min value|negative/.test(f.message) && f.sourceText && new RegExp(String.raw`\[\s*${gt[1]}\s*\]`).test(f.sourceText)) {
        const stmt = o ? locate(o.insnIndex)?.text : undefined;
        const from = stmt && assignedVariable(stmt) === gt[1] ? ` (\`${withoutComment(stmt).trim()}\`)` : '';
        at.message = `\`${gt[0].replace(/\s*\)$/, '')}\` lets \`${gt[1]} == ${gt[2]}\` through: one past the last element`;
        f.explanation += ` The check at line ${at.line}, \`${text.trim()}\`, leaves only when \`${gt[1]}\`${from} is greater than ${gt[2]}, so \`${gt[1]} == ${gt[2]}\` passes and indexes one element past the end.`;
        f.fix = `Leave when the index reaches the length: \`${text.trim().replace(/>\s*(?=[A-Z_0-9])/, '>= ')}\`.`;
      }
    }
    f.quickFix = { kind: 'add-bounds-check', file: f.file, line: f.line, register: `R${src}` };
    // Name the offset as the program does: the variable its origin line assigns.
    const stmt = o ? locate(o.insnIndex)?.text : undefined;
    const variable = assignedVariable(stmt);
    if (
      variable &&
      stmt &&
      f.sourceText &&
      new RegExp(String.raw`\b${variable}\b`).test(f.sourceText) &&
      !f.explanation.includes(`\`${variable}\``)
    ) {
      const signed = new RegExp(String.raw`^\s*${SIGNED_TYPE}\s+\w+\s*=`).test(stmt);
      f.explanation += ` The offset is \`${variable}\`, set at \`${withoutComment(stmt)}\`${signed ? ', a signed variable' : ''}.`;
      if (/min value|negative/.test(f.message) && signed)
        f.fix = `Declare \`${variable}\` unsigned (__u32) or check \`if (${variable} < 0 || ${variable} >= N)\` before using it as an index.`;
    }
  };

  if (reg === undefined && arith !== undefined && failing && boundsWords.test(f.message)) {
    // `ptr += idx` itself was refused: the index is the culprit.
    explainOffset(arith, pos);
  } else if (reg !== undefined && pos >= 0 && !alloc) {
    const steps = traceRegister(records, pos, reg);
    const type = d.type ?? '';
    if (/_or_null/.test(type) || /_or_null|NULL/.test(f.message)) {
      describe(steps, `R${reg} may be NULL: it comes from here and is not checked before use`);
      const o = origin(steps);
      const set = o ? locate(o.insnIndex) : undefined;
      const symbol = assignedVariable(set?.text);
      const call = o ? /^call (\w+?)(?:_impl)?#/.exec(o.disasm)?.[1] : undefined;
      // Name the variable as the program does, where it is set, and the check to add.
      // (Unless the line found is a guess that does not make the call: compiler-made code.)
      const guessed = call && set?.text && !set.text.includes(call.replace(/^bpf_/, ''));
      if (symbol && set?.line && set.line !== f.line && !guessed && !f.explanation.includes(`Here it is \`${symbol}\``)) {
        f.explanation += ` Here it is \`${symbol}\`, set at line ${set.line} (\`${withoutComment(set.text)}\`)${call ? ` from ${call}()` : ''}, and this path reaches the use without checking \`${symbol}\` against NULL.`;
        f.fix = `Add \`if (!${symbol}) return 0;\` (or skip the access) right after line ${set.line}, before \`${symbol}\` is used.`;
        // A NULL check of another pointer between the two: the check that was meant for this one too.
        const use = new RegExp(String.raw`\b${symbol}\s*->\s*\w+`).exec(withoutComment(f.sourceText))?.[0];
        const lines = s.sources && set.file ? (findSource(s.sources, set.file)?.[1] ?? '').split('\n') : [];
        for (let i = set.line; f.line && i < f.line - 1 && i < lines.length; i++) {
          const other = /\bif\s*\(\s*!\s*([A-Za-z_]\w*)\s*\)/.exec(withoutComment(lines[i]))?.[1];
          if (!other || other === symbol) continue;
          f.related.push({
            file: set.file,
            line: i + 1,
            message: `this checks \`${other}\` for NULL, not \`${symbol}\`, which may be NULL as well`,
          });
          f.explanation += ` Line ${i + 1} checks \`${other}\` for NULL, but not \`${symbol}\`${use ? `, which this line reads as \`${use}\`` : ''}.`;
          break;
        }
      }
      f.quickFix = { kind: 'add-null-check', file: f.file, line: f.line, register: `R${reg}`, symbol };
    } else if (has('stack-argument')) {
      s.steps = steps;
      s.branch = 'stack';
    } else if (steps.length) {
      // Pointer arithmetic with an unbounded offset: show where the offset came from.
      const step = steps.find((s) => s.role === 'arith' && arithmeticSource(s.disasm) !== undefined);
      // A number (a helper's size) is not a pointer: arithmetic on it adds no offset to anything.
      const scalar = /^(?:scalar|inv|-?\d|0x)/.test(registers.get(`R${reg}`) ?? '');
      if (step && boundsWords.test(f.message) && !scalar) {
        const src = arithmeticSource(step.disasm)!;
        f.related.push(relatedAt(step.insnIndex, `offset R${src} is added to the pointer here`));
        explainOffset(src, posOf(step.insnIndex));
      } else {
        describe(steps, `R${reg} got this value here`);
        s.steps = steps;
        s.branch = 'origin';
      }
    }
  }
}

// An array indexed by a variable on the failing line: its declared length is the bound.
function arrayIndex(s: CauseState): void {
  const { f, sources } = s;
  const indexAt = /(\w+)\s*\[\s*([A-Za-z_]\w*)\s*\]/;
  let indexed = withoutComment(f.sourceText).match(indexAt);
  const boundsError = /bound|range|outside|negative|variable|invalid access|out of bounds|min value|max value/.test(f.message);
  // No index on the failing line, but a pointer it uses was set to `&array[index]` just above.
  if (!indexed && boundsError && sources && f.file && f.line) {
    for (const m of withoutComment(f.sourceText).matchAll(/\b([A-Za-z_]\w*)\s*->/g)) {
      const set = assignmentAbove(sources, f.file, f.line, m[1]);
      const via = set && !set.parameter ? withoutComment(set.text).match(indexAt) : null;
      if (!set || !via) continue;
      f.related.push({ file: set.file, line: set.line, message: `\`${m[1]}\` points into \`${via[1]}[${via[2]}]\` here` });
      indexed = via;
      break;
    }
  }
  if (sources && f.file && indexed && boundsError) {
    const [, array, index] = indexed;
    const decl = new RegExp(String.raw`\b${array}\s*\[\s*(\w+)\s*\]\s*[;,=]`);
    const file = findSource(sources, f.file);
    const files = file ? [file, ...[...sources].filter(([k]) => k !== file[0])] : [...sources];
    for (const [, text] of files) {
      const m = decl.exec(text);
      if (!m) continue;
      const n = /^\d+$/.test(m[1]) ? Number(m[1]) : definesOf(text.split('\n')).get(m[1]);
      if (n === undefined || f.explanation.includes(`\`${array}\` has`)) break;
      f.explanation += ` \`${array}\` has ${n} entries${m[1] !== String(n) ? ` (${m[1]})` : ''}: \`${index}\` must be proven to be 0..${n - 1} before \`${array}[${index}]\`.`;
      f.fix = `Check \`if (${index} >= ${/^\d+$/.test(m[1]) ? n : m[1]}) return ...;\` (with an unsigned \`${index}\`) right before \`${array}[${index}]\`, on the same variable the access uses.`;
      break;
    }
    // Where the index gets its value (or its signed declaration as a parameter): often the cause.
    const set = f.line ? assignmentAbove(sources, f.file, f.line, index) : undefined;
    if (set && !f.related.some((r) => r.line === set.line && r.file === set.file)) {
      const signed = new RegExp(String.raw`\b${SIGNED_TYPE}\s+${index}\b`).test(set.text);
      f.related.push({
        file: set.file,
        line: set.line,
        message: set.parameter
          ? `\`${index}\` is a parameter here${signed ? ', declared signed: negative values pass an upper-bound check' : ''}`
          : `\`${index}\` gets its value here`,
      });
      // The assignment may not carry the type: the declaration does.
      const declared = !signed && f.line ? localDeclaration(sources, f.file, f.line, index) : undefined;
      const declText = declared ? (sourceLine(sources, declared.file, declared.line) ?? '') : '';
      const signedDecl = declared && declaresSigned(declText, index);
      if (signedDecl && declared)
        f.related.push({ ...declared, message: `\`${index}\` is declared signed here: negative values pass an upper-bound check` });
      // Unless the verifier knows it is not negative here (`var_off=(0x0; 0xf8)`).
      const nonNegative =
        /var_off=\(0x[0-7]?[0-9a-f]{0,15}; 0x[0-7]?[0-9a-f]{0,15}\)/.test(f.message) && !/negative|min value/.test(f.message);
      if ((signed || signedDecl) && !nonNegative && !f.explanation.includes('signed variable'))
        f.explanation += ` \`${index}\` is declared signed (\`${withoutComment(signed ? set.text : declText)}\`), so it can be negative.`;
      // An upper bound alone lets a negative index through: that check is where to add the other end.
      const check =
        /negative|min value/.test(f.message) && f.line
          ? comparisonAbove(sources, f.file, f.line, new RegExp(String.raw`\b${index}\b`))
          : undefined;
      if (check && !f.related.some((r) => r.line === check.line && r.file === check.file)) {
        f.related.push({ ...check, message: `this check bounds \`${index}\` from above only: a negative \`${index}\` passes it` });
        f.fix = `Check both ends before the access: \`if (${index} < 0 || ${index} >= ...) return ...;\`, or make \`${index}\` unsigned.`;
      }
      // `x & N` with N a power of two keeps 0 and N, not 0..N-1.
      const mask = /&\s*\(?\s*([A-Za-z_]\w*|\d+)\s*\)?\s*;/.exec(set.text.replace(/&&/g, ''));
      const value = mask
        ? /^\d+$/.test(mask[1])
          ? Number(mask[1])
          : definesOf((findSource(sources, set.file)?.[1] ?? '').split('\n')).get(mask[1])
        : undefined;
      const masked = mask && value ? powerOfTwoMask(mask[1], value) : undefined;
      if (mask && value && masked && !f.explanation.includes('a mask must be')) {
        f.explanation += ` \`${index}\` is masked: ${masked}`;
        f.fix = `Mask with \`${mask[1]} - 1\`: \`${index} = ... & (${mask[1]} - 1);\` keeps 0..${value - 1}.`;
        f.title = `\`& ${mask[1]}\` lets \`${index}\` reach ${value}, one past the end of \`${array}\``;
      }
    }
  }
}

// A key-less map (queue, stack, bloom filter: ks=0) used with a keyed map helper.
function keylessMap(s: CauseState): void {
  const { f, d, failing, registers } = s;
  const keyed = failing ? /^call (bpf_map_(?:update|lookup|delete)_elem)#/.exec(failing.disasm)?.[1] : undefined;
  const mapState = keyed ? registers.get('R1') : undefined;
  const keyless = mapState ? /^map_ptr\((?:[^)]*,)?map=(\w+)[^)]*\bks=0\b/.exec(mapState)?.[1] : undefined;
  if (keyed && keyless && d.register === 'R2') {
    const instead =
      keyed === 'bpf_map_update_elem'
        ? 'bpf_map_push_elem(&map, &value, flags)'
        : keyed === 'bpf_map_lookup_elem'
          ? 'bpf_map_peek_elem(&map, &value) or bpf_map_pop_elem(&map, &value)'
          : 'bpf_map_pop_elem(&map, &value)';
    f.explanation += ` Map \`${keyless}\` has no key (key size 0: a queue, stack or bloom filter map), so ${keyed}() cannot take one; those maps have helpers of their own.`;
    f.fix = `Call ${instead} on \`${keyless}\` instead of ${keyed}().`;
  }
}

// A value from bpf_get_current_task() used as a pointer: it is a number (u64) to the verifier.
function currentTask(s: CauseState): void {
  const { f } = s;
  if (f.related.some((r) => /`call bpf_get_current_task#/.test(r.message)) && !f.explanation.includes('bpf_get_current_task_btf')) {
    f.explanation +=
      ' The value comes from bpf_get_current_task(), which returns the task address as a plain number (u64), never a pointer the verifier accepts.';
    f.fix = 'Use bpf_get_current_task_btf() (a trusted `struct task_struct *`, tracing programs, 5.11+) where a task pointer is needed.';
  }
}

// The value came out of an inlined helper's `return`: name that helper, it is what to fix.
function inlineReturn(s: CauseState): void {
  const { f, sources } = s;
  if (sources && f.file && f.line) {
    const home = functionHeader(sources, f.file, f.line)?.line;
    for (const r of [...f.related]) {
      if (!r.file || !r.line || !/got (?:this|its) value here|gets its value here|comes from here/.test(r.message)) continue;
      const text = sourceLine(sources, r.file, r.line);
      // A constant (an error code such as -1) set inside another function: the returns of that
      // function that return it are where it comes from.
      const constant = /`[rw]\d+ = (0x[0-9a-f]+|-?\d+)`/.exec(r.message)?.[1];
      const owner = constant ? functionHeader(sources, r.file, r.line) : undefined;
      if (constant && owner && owner.line !== home) {
        const v = Number(constant) | 0;
        const ownerName = declaredName(sourceLine(sources, owner.file, owner.line));
        const lines = (findSource(sources, owner.file)?.[1] ?? '').split('\n');
        const defines = definesOf(lines);
        const rets: number[] = [];
        for (let i = owner.line; i < lines.length && !/^\}/.test(lines[i]) && rets.length < 3; i++)
          if (returnedConstant(lines[i], defines) === v) rets.push(i + 1);
        for (const line of rets)
          f.related.push({ file: owner.file, line, message: `\`${ownerName ?? 'the function'}()\` returns ${v} here` });
        if (rets.length && ownerName && !f.explanation.includes(`\`${ownerName}()\``))
          f.explanation += ` The value is ${v}, what \`${ownerName}()\` returns ${v < 0 ? 'for an error' : 'here'}${v < 0 ? ': the caller uses it without checking for a negative result' : ''}.`;
        if (rets.length && v < 0 && ownerName)
          f.fix = `Check the result of \`${ownerName}()\` (\`if (ret < 0) return ...;\`) before using it.`;
        if (rets.length) break;
      }
      const header = text && /^return\b/.test(text) ? functionHeader(sources, r.file, r.line) : undefined;
      const name = header ? declaredName(sourceLine(sources, header.file, header.line)) : undefined;
      if (!text || !header || !name || header.line === home || f.explanation.includes(`\`${name}()\``)) continue;
      // The caller's `return f(...)` of the function the finding is in: not a helper's value.
      const homeName = home !== undefined ? declaredName(sourceLine(sources, f.file, home)) : undefined;
      if (homeName && new RegExp(String.raw`\b${homeName}\s*\(`).test(text)) continue;
      const stmt = withoutComment(text);
      f.explanation += ` The value is what \`${name}()\` returns (\`${stmt}\`)${f.catalogId === 'null-deref' ? ': the helper passes the result on without a NULL check, so every caller must check it (or the helper must)' : ''}.`;
      break;
    }
  }
}

// The failing line is in a function the program inlines: the call that brought it there
// (its arguments are often the cause: a context field passed by address, an unchecked pointer).
function callSite(s: CauseState): void {
  const { f, d, sources, program } = s;
  if (sources && f.file && f.line && program) {
    // Where the failing value was made, outside the inlined function: the call after it is the one.
    const made = f.related.find((r) => r.file === f.file && r.line !== undefined && /got (?:this|its) value here/.test(r.message))?.line;
    const chain = callSitesTo(sources, f.file, f.line, program, made);
    for (const c of chain) f.related.push({ file: c.file, line: c.line, message: `\`${c.callee}()\`, where this line is, is called here` });
    // The helper's argument is a parameter of the inlined function and the verifier says it is a
    // stack pointer where another kind is needed: the caller passed `&local` in that place, so the
    // call site is the line to change (arguments swapped or the wrong one passed).
    const site = chain[chain.length - 1];
    const param = f.details?.argument;
    const header = site ? functionHeader(sources, f.file, f.line) : undefined;
    const params = header ? wrapperParams(sourceLine(sources, header.file, header.line)) : [];
    const at = param ? params.indexOf(param) : -1;
    const passed = at >= 0 && site ? argumentExpression(sourceLine(sources, site.file, site.line), at) : undefined;
    if (site && passed && d.type === 'fp' && d.expected && d.expected !== 'fp' && /^&\s*\w+/.test(passed)) {
      f.related.unshift({
        file: f.file,
        line: f.line,
        message: `the helper receives \`${param}\` here, a stack address (${passed}) where it needs ${d.expected}`,
      });
      f.file = site.file;
      f.line = site.line;
      f.sourceText = sourceLine(sources, site.file, site.line);
      f.explanation += ` \`${site.callee}()\` is called with \`${passed}\` as its parameter \`${param}\`: the arguments of this call are in the wrong order, or the wrong value is passed.`;
      f.fix = `Pass \`${site.callee}()\` its arguments in the order of its parameters (${params.join(', ')}).`;
    }
  }
}

/** The last argument of the first call on a line: `f(a, b, &rec)` -> `&rec`. */
function lastArgument(text: string): string | undefined {
  let last: string | undefined;
  for (let i = 0; i < 8; i++) {
    const a = argumentExpression(text, i);
    if (a === undefined || a === '') break;
    last = a;
  }
  return last;
}

/** The order the steps run in: a later step reads what an earlier one found (and its wording follows). */
const ORDER: (RootCause | ((s: CauseState) => void))[] = [
  programPlace,
  'acquisition',
  'callback',
  'return-range',
  'function-return',
  'callback-definition',
  globalCallee,
  'value-type',
  'special-field',
  'open-section',
  overwrittenPointer,
  'closed-section',
  registerOrigin,
  spilledBeforeCheck,
  pointerSubtracted,
  partialNullCheck,
  outParameterCheck,
  boundConstants,
  'stack-argument',
  'released-pointer',
  'scalar-pointer',
  'written-memory',
  'pointer-member',
  'pointer-cast',
  'member-alignment',
  'special-member',
  'object-type',
  'skipped-release',
  'map-definition',
  'stack-buffer',
  'stack-object',
  'loop-condition',
  'loop-progress',
  'instruction-budget',
  'packet-check',
  'core-field',
  'prototype-argument',
  'kernel-array-index',
  'program-type',
  'call-chain',
  'large-locals',
  'license',
  'released-dynptr',
  'invalidated-packet',
  'argument-signature',
  'size-argument',
  arrayIndex,
  keylessMap,
  currentTask,
  inlineReturn,
  callSite,
];

/** Causes without a place in ORDER (never run) and causes no catalog entry names (dead code): both should be empty. */
export function rootCauseCoverage(): { unordered: RootCause[]; unnamed: RootCause[] } {
  const ids = Object.keys(BY_CAUSE) as RootCause[];
  const named = new Set(catalog.flatMap((e) => e.causes ?? []));
  return { unordered: ids.filter((c) => !ORDER.includes(c)), unnamed: ids.filter((c) => !named.has(c)) };
}

/** Related locations, quick fixes and case-specific words for a finding: where its cause is. */
export function findRootCause(input: CauseInput): void {
  const s = stateOf(input);
  for (const step of ORDER) {
    if (typeof step === 'function') step(s);
    else if (s.has(step)) BY_CAUSE[step](s);
  }
  // Keep only locations that say something beyond the primary line.
  const f = input.f;
  f.related = f.related.filter((r, i, all) => all.findIndex((q) => q.line === r.line && q.file === r.file) === i);
}

/**
 * Why a register used as an address is a plain number, from where it got its value: a NULL
 * that a failed lookup left (known 0), a helper that returns an address as a number, or a
 * pointer loaded from memory (kernel memory must be read with BPF_CORE_READ).
 */
function explainScalar(f: Finding, reg: number, o: OriginStep | undefined, value: string | undefined, kind: string | undefined): void {
  const r = `R${reg}`;
  const call = o ? /^call (\w+)/.exec(o.disasm)?.[1] : undefined;
  if (value === '0') {
    f.explanation += ` ${r} is known to be 0 on this path: the pointer is NULL here (a lookup or a helper that failed, or a variable set to NULL), and the path dereferences it anyway.`;
    f.fix = `Check ${r}'s pointer for NULL (and return) before this access, on the path where it can be NULL.`;
  } else if (call === 'bpf_get_current_task') {
    f.explanation += ` ${r} comes from bpf_get_current_task(), which returns the task's address as a number (u64), not a pointer the program may dereference.`;
    f.fix =
      'Use bpf_get_current_task_btf() for a typed task pointer you can read fields from directly (tracing programs, 5.11+), or read the fields with BPF_CORE_READ(task, field).';
  } else if (call) {
    f.explanation += ` ${r} is the return value of ${call}(), a number to the verifier, not a pointer it lets you dereference.`;
  } else if (o && /= \*\(u64 \*\)\(r\d+ [-+]\d+\)$/.test(o.disasm)) {
    f.explanation += ` ${r} was loaded from memory (\`${o.disasm}\`): a pointer stored in kernel memory${/probe|ksyscall/.test(kind ?? '') ? ' or passed to a kprobe (PT_REGS_PARM*)' : ''} is a plain number to the verifier, so it cannot be dereferenced directly.`;
    f.fix = 'Read through it with BPF_CORE_READ(ptr, field) or bpf_probe_read_kernel(&dst, sizeof(dst), &ptr->field).';
  }
}

/**
 * Calls between a pointer's origin and its use after which the verifier no longer treats the
 * pointer as one: a submit / discard / release / drop hands the object back, adding a node to a
 * tree or list leaves a reference that dies with the lock, an unlock ends it.
 */
const RELEASING =
  /^call (bpf_ringbuf_(?:submit|discard)(?:_dynptr)?|bpf_\w+_release|bpf_(?:percpu_)?obj_drop(?:_impl)?|bpf_rbtree_add(?:_impl)?|bpf_list_push_(?:front|back)(?:_impl)?|bpf_spin_unlock|bpf_res_spin_unlock|bpf_kptr_xchg)#/;

function releasedBetween(
  records: readonly import('./provenance').HistoryRecord[],
  from: number,
  to: number,
): { index: number; call: string; why: string }[] {
  const out: { index: number; call: string; why: string }[] = [];
  for (let i = from + 1; i < to; i++) {
    const r = records[i];
    const m = r.kind === 'insn' ? RELEASING.exec(r.disasm) : null;
    if (!m || r.kind !== 'insn') continue;
    const call = m[1].replace(/_impl$/, '');
    const why = /unlock/.test(call)
      ? `${call}() releases the lock here: references into the collection it guarded end with it`
      : /rbtree_add|list_push/.test(call)
        ? `${call}() hands the node to the collection here: the program keeps only a reference that lasts until the lock is released`
        : `${call}() gives the object back here: pointers to it are invalid after this call`;
    out.push({ index: r.index, call, why });
  }
  // A node added and then its lock released: both matter; otherwise the last release is the one.
  const add = out.findIndex((g) => /rbtree_add|list_push/.test(g.call));
  return add >= 0
    ? out
        .slice(add)
        .filter((g, i) => i === 0 || /unlock/.test(g.call))
        .slice(0, 2)
    : out.slice(-1);
}

/** The walk went round a loop: a jump backwards among the last instructions. */
function hasBackwardJump(records: readonly import('./provenance').HistoryRecord[], pos: number): boolean {
  for (let i = pos; i >= 0 && i > pos - 4096; i--) {
    const r = records[i];
    if (r.kind === 'insn' && /goto pc-\d+$/.test(r.disasm)) return true;
  }
  return false;
}

/** The calls that open a lock, RCU or preemption section. */
const OPENER = /^call (?:bpf_spin_lock|bpf_res_spin_lock|bpf_rcu_read_lock|bpf_preempt_disable|bpf_local_irq_save)\b/;

/** Helpers after which the verifier invalidates every packet pointer (bpf_helper_changes_pkt_data). */
const PACKET_CHANGING =
  /^call (bpf_skb_store_bytes|bpf_skb_change_\w+|bpf_skb_pull_data|bpf_skb_vlan_(?:push|pop)|bpf_l[34]_csum_replace|bpf_xdp_adjust_(?:head|tail|meta)|bpf_skb_adjust_room|bpf_lwt_\w+|bpf_msg_(?:pull|push|pop)_data|bpf_clone_redirect|bpf_skb_ecn_set_ce)\b/;

/** The function that releases what an acquiring helper or kfunc returned. */
function releaseOf(acquire: string): string | undefined {
  if (/^bpf_ringbuf_reserve$/.test(acquire)) return 'bpf_ringbuf_submit() or bpf_ringbuf_discard()';
  if (/^bpf_ringbuf_reserve_dynptr$/.test(acquire)) return 'bpf_ringbuf_submit_dynptr() or bpf_ringbuf_discard_dynptr()';
  // A lookup is a reference only in a SOCKMAP / SOCKHASH: it returns the socket, held.
  if (/^bpf_(?:sk|skc)_lookup_\w+$|^bpf_sk_fullsock$|^bpf_map_lookup_elem$/.test(acquire)) return 'bpf_sk_release()';
  const iter = /^bpf_iter_(\w+)_new$/.exec(acquire)?.[1];
  if (iter) return `bpf_iter_${iter}_destroy()`;
  const kind = /^bpf_(task|cgroup|cpumask|obj|percpu_obj|rbtree|list|crypto_ctx)_/.exec(acquire)?.[1];
  if (kind === 'obj' || kind === 'percpu_obj') return `bpf_${kind}_drop()`;
  if (kind) return `bpf_${kind}_release()`;
  return undefined;
}

function parseRange(s: string | undefined): [number, number] | undefined {
  const m = s && /(-?\d+), ?(-?\d+)/.exec(s);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** The start instruction of the subprogram containing `insn` (not the main program). */
function enclosingSubprog(log: ProgramLog, insn: number): number | undefined {
  let best: number | undefined;
  for (const s of log.subprograms) if (s.index > 0 && s.insn <= insn && (best === undefined || s.insn > best)) best = s.insn;
  return best;
}

/** The most recent helper call that takes a callback (the one that made the verifier enter it). */
function findCallbackCallSite(records: readonly import('./provenance').HistoryRecord[], from: number) {
  for (let i = from; i >= 0; i--) {
    const r = records[i];
    if (
      r.kind === 'insn' &&
      /^call (?:bpf_for_each_map_elem|bpf_loop|bpf_timer_set_callback|bpf_find_vma|bpf_user_ringbuf_drain|bpf_rbtree_add\w*|bpf_wq_set_callback\w*)#?/.test(
        r.disasm,
      )
    ) {
      const next = records[i + 1];
      return { index: r.index, disasm: r.disasm, callee: next?.kind === 'insn' ? next.index : undefined };
    }
  }
  return undefined;
}

/** `x & N` as a bound: with N a power of two it keeps 0 and N, not 0..N-1 (one past the end). */
const powerOfTwoMask = (name: string, n: number) =>
  n > 1 && (n & (n - 1)) === 0
    ? `\`& ${name}\` (${n}, a power of two) keeps 0 and ${n}, not 0..${n - 1}, so ${n} is possible, one past the end; a mask must be size - 1, \`& (${name} - 1)\`.`
    : undefined;

/** R1..R5 are arguments 1..5 of a call. */
const helperArgIndex = (reg: number) => reg - 1;

/** The `__uint(map_flags, ... BPF_F_RDONLY_PROG ...)` line of the map declared at `line`, if it has one. */
function flagsLine(sources: ReadonlyMap<string, string>, file: string, line: number): { file: string; line: number } | undefined {
  const text = findSource(sources, file);
  if (!text) return undefined;
  const lines = text[1].split('\n');
  for (let i = line - 1; i >= 0 && i > line - 16; i--) {
    if (/BPF_F_RDONLY_PROG/.test(lines[i])) return { file: text[0], line: i + 1 };
    if (i < line - 1 && /^\s*\}?\s*;|^\S/.test(lines[i]) && !/^struct\s*(?:\{|$)/.test(lines[i])) break;
  }
  return undefined;
}

/** The `return` of a function called on `text` whose expression does the arithmetic of `disasm` (`&=` -> `&`). */
function inlinedReturn(
  sources: ReadonlyMap<string, string>,
  file: string,
  text: string,
  disasm: string,
): { file: string; line: number; name: string; text: string } | undefined {
  const op = /^[rw]\d+ (&|\||\^|<<|>>|\*|\/|%|\+|-)=/.exec(disasm)?.[1];
  if (!op) return undefined;
  for (const m of withoutComment(text).matchAll(/\b([A-Za-z_]\w*)\s*\(/g)) {
    const name = m[1];
    if (/^(?:if|while|for|switch|return|sizeof|bpf_\w+|__builtin_\w+|BPF_\w+)$/.test(name)) continue;
    const def = programDefinition(sources, name, file);
    const lines = def ? (findSource(sources, def.file)?.[1] ?? '').split('\n') : [];
    for (let i = def ? def.line : lines.length; i < lines.length && !/^\}/.test(lines[i]); i++) {
      const ret = /^\s*return\s+(.+?);/.exec(withoutComment(lines[i]))?.[1];
      if (ret && ret.replace(/&&|\|\||->/g, ' ').includes(op))
        return { file: def!.file, line: i + 1, name, text: withoutComment(lines[i].trim()) };
    }
  }
  return undefined;
}
