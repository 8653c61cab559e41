// The program as a whole: its type, license, stack, loops and instruction budget.
// The root-cause function of each of these families' causes; index.ts runs them in order.
import { stripMessagePrefixes } from '../explain';
import { findSource, type SourceLocation } from '../locate';
import {
  assignmentAbove,
  callChain,
  callSitesTo,
  functionLocals,
  enclosingLoop,
  largeLocals,
  loopBody,
  licenseLine,
  localDeclaration,
  programDefinition,
  sectionAbove,
  sourceLine,
  withoutComment,
} from '../source-hints';
import type { RootCause } from '../types';
import type { CauseState } from './state';
import { LOOP_HEADER, withValue } from './common';
import { definesOf } from '../placement';

/**
 * Each stacked frame's largest local (`struct sni_event ev` in the program, `__u8 ext[320]` in
 * the __noinline function it calls): the largest of all is what to move off the stack, the
 * others are what it is stacked on.
 */
function framesLocals(s: CauseState, program: string, calls: readonly SourceLocation[]): void {
  const { f, sources } = s;
  if (!sources) return;
  const own = programDefinition(sources, program, f.file);
  if (!own) return;
  const frames = [{ name: program, def: own }];
  for (const c of calls) {
    const text = c.file && c.line ? withoutComment(sourceLine(sources, c.file, c.line)) : '';
    for (const m of text.matchAll(/\b([A-Za-z_]\w*)\s*\(/g)) {
      const def = /^(?:bpf_|__builtin|sizeof$)/.test(m[1]) ? undefined : programDefinition(sources, m[1], c.file);
      if (def && !frames.some((x) => x.name === m[1])) {
        frames.push({ name: m[1], def });
        break;
      }
    }
  }
  const biggest = frames
    .map((fr) => ({
      ...fr,
      local: functionLocals(sources, fr.def.file, fr.def.line + 1)
        .filter((x) => x.size)
        .sort((a, b) => b.size!.bytes - a.size!.bytes)[0],
    }))
    .filter((fr) => fr.local && fr.local.size!.bytes >= 64);
  if (biggest.length < 2) return;
  const top = [...biggest].sort((a, b) => b.local!.size!.bytes - a.local!.size!.bytes)[0];
  if (f.file && f.line)
    f.related.unshift({ file: f.file, line: f.line, message: `the program whose call chain this is (\`${program}()\`)` });
  f.file = top.local!.file;
  f.line = top.local!.line;
  f.sourceText = sourceLine(sources, top.local!.file, top.local!.line);
  for (const fr of biggest)
    if (fr !== top)
      f.related.push({
        file: fr.local!.file,
        line: fr.local!.line,
        message: `\`${fr.local!.name}\` (${fr.local!.size!.bytes} bytes) is on the frame of \`${fr.name}()\`, under the frame of \`${top.name}()\``,
      });
  f.explanation += ` The largest locals of the frames: ${biggest.map((fr) => `\`${fr.local!.text}\` (${fr.local!.size!.bytes} bytes) in \`${fr.name}()\``).join(', ')}.`;
  f.fix = `Move \`${top.local!.name}\` (${top.local!.size!.bytes} bytes) into a one-entry BPF_MAP_TYPE_PERCPU_ARRAY used as scratch space (or pass a pointer into one down the chain), so the stacked frames fit in 512 bytes.`;
}

const NARROW: [RegExp, number][] = [
  [/^(?:__u8|u8|uint8_t|unsigned char)$/, 255],
  [/^(?:__s8|s8|int8_t|char|signed char)$/, 127],
  [/^(?:__u16|u16|uint16_t|unsigned short)$/, 65535],
  [/^(?:__s16|s16|int16_t|short|signed short)$/, 32767],
];

/**
 * `for (slot = 0; slot < 256; slot++)` with a `__u8 slot`: the counter's type cannot reach the
 * bound, so the condition never fails and the counter wraps. The declaration is the cause.
 */
function narrowCounter(s: CauseState, loop: { file: string; line: number }, header: string, cond: string): void {
  const { f, sources } = s;
  const m = /\b([A-Za-z_]\w*)\s*(<=?|!=)\s*(\d+|[A-Z_][A-Z0-9_]*)\b/.exec(cond);
  if (!sources || !m) return;
  const [, name, op, bound] = m;
  const value = /^\d+$/.test(bound) ? Number(bound) : definesOf((findSource(sources, loop.file)?.[1] ?? '').split('\n')).get(bound);
  const inHeader = new RegExp(String.raw`\bfor\s*\(\s*((?:unsigned\s+|signed\s+)?\w+)\s+${name}\s*=`).exec(header)?.[1];
  const declared = inHeader ? loop : localDeclaration(sources, loop.file, loop.line, name);
  const declText = declared ? withoutComment(sourceLine(sources, declared.file, declared.line)) : '';
  const type =
    inHeader ?? new RegExp(String.raw`((?:unsigned\s+|signed\s+)?\w+)\s+(?:\w+\s*(?:=[^,;]*)?,\s*)*${name}\b`).exec(declText)?.[1];
  const max = type ? NARROW.find(([re]) => re.test(type.trim()))?.[1] : undefined;
  if (value === undefined || max === undefined || !declared) return;
  if (!(op === '<' ? value > max : op === '<=' ? value >= max : value > max)) return;
  const limit = withValue(bound, value);
  if (!inHeader) f.related.push({ ...declared, message: `\`${name}\` is declared \`${type}\` here: it never reaches ${limit}` });
  f.explanation += ` \`${name}\` is a \`${type}\`, whose largest value is ${max}: \`${cond.trim()}\` is always true, so after ${max} the counter wraps around and the loop never ends.`;
  f.fix = `Declare \`${name}\` with a type that can hold ${limit} (\`__u32 ${name};\`), so the condition can end the loop.`;
}

export const programCauses = {
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
      // The budget ran out at a test inside the body: the loop around it is what to change.
      if (own.line !== f.line || own.file !== f.file) {
        f.file = own.file;
        f.line = own.line;
        f.sourceText = sourceLine(sources, own.file, own.line);
      }
      const cond = /\bfor\s*\([^;]*;([^;]*);/.exec(header)?.[1] ?? /\bwhile\s*\((.*)\)/.exec(header)?.[1] ?? '';
      narrowCounter(s, own, header, cond);
      // `while (i < 8)` whose body never changes `i`: the loop has no end at all.
      const tested = /^\s*\(?\s*([a-z_]\w*)\s*(?:<=?|>=?|!=)/.exec(cond)?.[1];
      const body = tested ? loopBody(sources, own.file, own.line) : undefined;
      const stepped = /\bfor\s*\([^;]*;[^;]*;\s*[^)\s]/.test(header);
      if (
        tested &&
        body &&
        !stepped &&
        !body.counters.includes(tested) &&
        // (Its address passed to a helper, as a map key, does not change it; to a function of the program it may.)
        !body.code.some(
          (l) =>
            new RegExp(String.raw`\b${tested}\s*=[^=]`).test(l) ||
            (new RegExp(String.raw`&\s*${tested}\b`).test(l) && !/\bbpf_\w+\s*\(/.test(l)),
        )
      ) {
        f.explanation += ` The loop \`${header.replace(/\s*\{$/, '')}\` tests \`${tested}\`, and nothing in its body changes \`${tested}\`: the loop never ends, so the verifier walks it pass after pass until the budget runs out.`;
        f.fix = `Step \`${tested}\` in the loop (\`${tested}++\` at the end of each pass, or \`for (...; ${cond.trim()}; ${tested}++)\`).`;
        return;
      }
      // A loop bounded by a value known only at run time (`i < count`): walked pass after pass.
      const bound = [...cond.matchAll(/\b\w+\s*(?:<=?|!=)\s*([a-z_][\w]*(?:\s*(?:->|\.)\s*\w+|\s*\[[^\]]*\])*)(?!\s*\()/g)]
        .map((m) => m[1])
        .find((b) => !/^(?:sizeof|true|false)$/.test(b));
      if (bound && !/&&|\|\|/.test(cond) && !f.explanation.includes(`\`${bound}\``)) {
        f.explanation += ` The loop \`${header}\` is bounded by \`${bound}\`, a value the verifier knows only at run time: it walks the body again for every value the counter can take below it, until the budget runs out.`;
        f.fix = `Cap the loop with a constant as well (\`... && i < MAX_ITEMS\`), or loop with bpf_loop(${bound}, ...) or bpf_for(i, 0, ${bound}) (kernel 6.4+), whose body is verified once.`;
        // Where the bound gets its value: often read from the packet or a map, the real cause.
        // (For `v[16]` or `cfg->max`, the place that sets `v` or `cfg`: the bound is read through it.)
        const base = /^[a-z_]\w*/.exec(bound)?.[0] ?? bound;
        const set = assignmentAbove(sources, own.file, own.line, base);
        if (set && !set.parameter && !f.related.some((r) => r.line === set.line && r.file === set.file)) {
          const from = withoutComment(set.text).trim();
          f.related.push({
            file: set.file,
            line: set.line,
            message:
              base === bound
                ? `\`${bound}\` gets its value here (\`${from}\`): its largest value is what the verifier must walk to`
                : `\`${base}\` is set here (\`${from}\`): \`${bound}\` is read through it at run time, so the verifier must walk to its largest value`,
          });
          f.explanation +=
            base === bound
              ? ` \`${bound}\` is set at line ${set.line} (\`${from}\`).`
              : ` \`${bound}\` is read through \`${base}\`, set at line ${set.line} (\`${from}\`).`;
        }
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
    // `while (bpf_map_update_elem(...) != 0)`: the loop ends on a call's result, which the verifier cannot foresee.
    const byCall = /\bwhile\s*\(\s*!?\s*(\w+)\s*\(/.exec(header)?.[1];
    if (byCall) {
      const lines = (findSource(sources, loop.at.file)?.[1] ?? '').split('\n');
      const step = lines
        .slice(loop.at.line, loop.at.line + 4)
        .map((l) => withoutComment(l).trim())
        .find((l) => /^[A-Za-z_]\w*\s*(?:[-+*/%|&^]|<<|>>)?=(?!=)/.test(l));
      const v = step ? /^(\w+)/.exec(step)![1] : undefined;
      f.explanation += ` The loop \`${header.replace(/\s*\{$/, '')}\` ends only when ${byCall}() returns what stops it, a result the verifier cannot predict, so it must assume the loop may run forever${v ? `; \`${step}\` changes \`${v}\`, which no condition of the loop tests` : ''}.`;
      f.fix = `Bound the retries with a counter the verifier can follow: \`for (int tries = 0; tries < 64; tries++) { if (${byCall}(...) == 0) break;${v ? ` ${step}` : ''} }\`, or retry with bpf_loop().`;
      return;
    }
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
    // A `continue` before the step starts the next pass with the counter where it was.
    const stepAt = step
      ? lines.slice(loop.at.line, loop.at.line + 6).findIndex((l) => withoutComment(l).trim() === step) + loop.at.line
      : -1;
    const skip = stepAt > loop.at.line ? lines.slice(loop.at.line, stepAt).findIndex((l) => /\bcontinue\s*;/.test(withoutComment(l))) : -1;
    if (step && skip >= 0) {
      const at = loop.at.line + skip + 1;
      f.related.push({
        file: loop.at.file,
        line: at,
        message: `this \`continue\` starts the next pass before \`${step}\`: on that path \`${v}\` does not move`,
      });
      f.explanation += ` The \`continue\` at line ${at} jumps back to the loop's head before \`${step}\` (line ${stepAt + 1}), so the path through it comes back with \`${v}\` unchanged.`;
      f.fix = `Step \`${v}\` before the \`continue\` at line ${at} (or write the loop as \`for (...; ${v} < ${limit.trim()}; ${step.replace(/;$/, '')})\`, whose step a \`continue\` does not skip).`;
    }
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
    const depthLine = s.stackDepth;
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
      if (sources && name) framesLocals(s, name, calls);
    }
  },
  // A tail call from a subprogram: the callers' frames stay under the tail-called program, so
  // the refused line is the bpf_tail_call() and the cause is what fills the frames above it.
  'tail-call-frames': (s) => {
    const { f, sources, program, libbpfProgram } = s;
    const bytes = /^tail_calls are not allowed when call stack of previous frames is (\d+) bytes/.exec(
      stripMessagePrefixes(f.message),
    )?.[1];
    const name = program ?? libbpfProgram;
    const def = bytes && sources && name ? programDefinition(sources, name, f.file) : undefined;
    if (!def) return;
    const lines = (findSource(sources!, def.file)?.[1] ?? '').split('\n');
    for (const [i, text] of lines.entries()) {
      if (!/\bbpf_tail_call\s*\(/.test(withoutComment(text))) continue;
      const sites = callSitesTo(sources!, def.file, i + 1, name!);
      if (!sites.length) continue;
      f.file = def.file;
      f.line = i + 1;
      const callee = sites[sites.length - 1].callee;
      const held = sites
        .map((c) => functionLocals(sources!, def.file, c.line).filter((x) => !x.inlined && x.size))
        .flatMap((ls) => ls.sort((a, b) => b.size!.bytes - a.size!.bytes).slice(0, 1));
      for (const c of sites)
        f.related.push({
          file: def.file,
          line: c.line,
          message: `this call to \`${c.callee}()\` keeps the caller's frame on the stack under the tail call`,
        });
      for (const x of held)
        f.related.push({
          file: x.file,
          line: x.line,
          message: `\`${x.name}\` (${x.size!.bytes} bytes) is on a caller's frame while the tail call runs`,
        });
      f.explanation += ` The bpf_tail_call() in \`${callee}()\` runs while the frames of its callers hold ${bytes} bytes; a tail call from a subprogram is allowed only while those frames stay under 256 bytes, because the tail-called program starts its own stack on top of them.${held.length ? ` The largest local there: \`${held[0].text}\` (${held[0].size!.bytes} bytes).` : ''}`;
      f.fix = held.length
        ? `Move \`${held[0].name}\` into a one-entry BPF_MAP_TYPE_PERCPU_ARRAY (work through the pointer bpf_map_lookup_elem() returns), or make the tail call from \`${name}()\` itself after \`${callee}()\` returns.`
        : `Make the tail call from \`${name}()\` itself after \`${callee}()\` returns, or shrink the callers' locals below 256 bytes.`;
      return;
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
} satisfies Partial<Record<RootCause, (s: CauseState) => void>>;
