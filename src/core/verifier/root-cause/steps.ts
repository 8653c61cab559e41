// Steps that read evidence any family may carry (where a register got its value, an array's
// length, an inlined helper's return): they run for every finding, in the order of index.ts.
import { stripMessagePrefixes } from '../explain';
import { findSource } from '../locate';
import { definesOf, returnedConstant, wrapperArgument, wrapperHeader } from '../placement';
import { arithmeticSource, traceRegister } from '../provenance';
import {
  argumentExpression,
  assignedVariable,
  assignmentAbove,
  callSitesTo,
  comparisonAbove,
  declaredName,
  escape,
  functionBody,
  functionEnd,
  functionHeader,
  localDeclaration,
  macroDefinition,
  structMember,
  symbolDeclaration,
  programDefinition,
  SIGNED_TYPE,
  declaresSigned,
  evaluateConstant,
  sourceLine,
  memberAccess,
  memberChain,
  withoutComment,
  wrapperParams,
  typeSize,
  type SourceLine,
} from '../source-hints';
import type { CauseState } from './state';
import { powerOfTwoMask, withValue } from './common';

// The verifier stopped before looking at any instruction (program/map compatibility checks):
// the program itself is the place, its SEC() the reason.
export function programPlace(s: CauseState): void {
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
export function globalCallee(s: CauseState): void {
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
    // A context struct of another program type (`struct __sk_buff *` passed an XDP program's ctx):
    // the verifier takes such a parameter as the context only where that struct is the context.
    const ctxStructs =
      /^(?:__sk_buff|xdp_md|bpf_sock_addr|bpf_sock_ops|sk_msg_md|sk_reuseport_md|bpf_sock|bpf_sockopt|bpf_sysctl|bpf_cgroup_dev_ctx|bpf_perf_event_data|pt_regs|bpf_raw_tracepoint_args|bpf_sk_lookup|bpf_flow_keys)$/;
    const own = s.kind?.struct;
    if (param && /^R\d+ type=ctx\b/.test(f.message) && ctxStructs.test(param[1]) && own && own !== param[1]) {
      f.catalogId = 'func-arg-mismatch';
      f.title = `${callee[1]}() takes a struct ${param[1]} context; this ${s.kind!.name} program's context is struct ${own}`;
      // Not a helper's stack argument, as the message alone suggests: the explanation is this one.
      f.explanation = `\`${callee[1]}()\` is a global function, verified on its own from its prototype: its parameter \`struct ${param[1]} *${param[2]}\` is a context pointer only for programs whose context is struct ${param[1]}. This program is ${s.kind!.name}, whose context is struct ${own}, so the verifier takes the parameter as plain memory (expected=fp) and refuses the ctx passed to it; the cast at the call changes nothing.`;
      f.fix = `Declare the parameter as \`struct ${own} *${param[2]}\` (one global function per context type), or make \`${callee[1]}()\` static so it is verified with the caller's context.`;
      return;
    }
    // A global function's `struct T *` parameter covers sizeof(T): a smaller map value passed to it is refused.
    const sized = /^invalid access to (?:map value|memory), (?:value_size|mem_size)=(\d+) off=(-?\d+) size=(\d+)/.exec(f.message);
    if (param && sized && Number(sized[3]) > Number(sized[1])) {
      f.explanation += ` \`${callee[1]}()\` is a global function, verified on its own: its parameter \`struct ${param[1]} *${param[2]}\` lets it use all ${sized[3]} bytes of a struct ${param[1]}, so every caller must pass memory that large, and the map value passed here is ${sized[1]} bytes.`;
      f.fix = `Pass \`${callee[1]}()\` a pointer to a whole struct ${param[1]} (a map whose value is struct ${param[1]}), or declare the parameter with the map value's struct; making \`${callee[1]}()\` static also lets the verifier check it with the caller's real pointer.`;
      return;
    }
    if (param && /^access beyond struct|has pointer type|expected/.test(f.message)) {
      f.explanation += ` \`${callee[1]}()\` is verified on its own, for any caller: its parameter \`struct ${param[1]} *${param[2]}\` is taken as a pointer to ${d.size ? `${d.size} bytes of` : ''} plain memory, not as a trusted kernel object, so the task/BTF pointer the caller passes does not fit it.`;
      f.fix = `Tag the parameter \`struct ${param[1]} *${param[2]} __arg_trusted\` (kernel 6.8+, bpf_helpers.h) so the verifier expects a trusted pointer, or make \`${callee[1]}()\` static so it is verified with its caller's argument.`;
    }
  }
}

// A pointer kept in a local that a helper then overwrote (`bpf_probe_read_kernel(&rec, ...)`
// where `rec` was meant): the value filled back from the stack is a plain number.
export function overwrittenPointer(s: CauseState): void {
  const { f, d, records, pos, origin, posOf, locate, named } = s;
  if (named !== undefined && (d.type === 'scalar' || /'scalar'/.test(f.message))) {
    const steps = traceRegister(records, pos, named, 64, { throughCopies: true });
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
export function spilledBeforeCheck(s: CauseState): void {
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
export function pointerSubtracted(s: CauseState): void {
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
export function partialNullCheck(s: CauseState): void {
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
export function outParameterCheck(s: CauseState): void {
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
export function boundConstants(s: CauseState): void {
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

export function registerOrigin(s: CauseState): void {
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
      // `if (!vlan_depth_ok(depth))`: the comparison is in the function the check calls.
      const inCallee = s.sources && at.file && at.line ? comparisonInCallee(s.sources, at.file, at.line) : undefined;
      if (inCallee && !f.related.some((r) => r.line === inCallee.line && r.file === inCallee.file)) {
        f.related.push({ ...inCallee, message: `\`${inCallee.callee}()\` makes that check here: \`${inCallee.text}\`` });
        f.explanation += ` The check is \`${inCallee.text}\` in \`${inCallee.callee}()\` (line ${inCallee.line}), called at line ${at.line}: it bounds the offset by what \`${inCallee.callee}()\` allows, not by the size of what this line reads.`;
      }
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
      // A field of a kernel object that BTF marks as possibly NULL, read through in one chain
      // (`task->cgroups->dfl_cgrp`): the field is what to check.
      const load = o && !call ? /^r\d+ = \*\(u64 \*\)\(r\d+ \+(\d+)\)$/.exec(o.disasm) : null;
      const chain = load ? memberChain(f.sourceText) : undefined;
      if (chain && !f.explanation.includes(`\`${chain.through}\``)) {
        const struct = /ptr_or_null_(\w+?)\(/.exec(registers.get(`R${reg}`) ?? '')?.[1];
        f.explanation += ` R${reg} is \`${chain.through}\`${struct ? ` (a struct ${struct} pointer)` : ''}, read at offset ${load![1]} of the object: the kernel's BTF says this field may be NULL, and \`->${chain.field}\` reads through it unchecked.`;
        f.fix = `Read \`${chain.through}\` into a variable and check it first: \`${struct ? `struct ${struct} *` : ''}p = ${chain.through}; if (!p) return 0;\`, then use \`p->${chain.field}\`.`;
      }
      // An argument of a BTF-typed program (tp_btf, fentry) that the kernel marks as possibly NULL.
      const param = load && !chain && o && s.isContext(posOf(o.insnIndex), 1) ? nullableProgramArgument(s, o.disasm) : undefined;
      if (param) {
        f.explanation += ` R${reg} is \`${param}\`, an argument of the program${s.section ? ` (\`SEC("${s.section}")\`)` : ''} that the kernel's BTF marks as possibly NULL: on some calls of this hook it is NULL, so it must be tested before it is read.`;
        f.fix = `Test the argument first: \`if (!${param}) return 0;\`, then read \`${param}\`.`;
      }
      if (symbol && set?.line && set.line !== f.line && !guessed && !f.explanation.includes(`Here it is \`${symbol}\``)) {
        f.explanation += ` Here it is \`${symbol}\`, set at line ${set.line} (\`${withoutComment(set.text)}\`)${call ? ` from ${call}()` : ''}, and this path reaches the use without checking \`${symbol}\` against NULL.`;
        f.fix = `Add \`if (!${symbol}) return 0;\` (or skip the access) right after line ${set.line}, before \`${symbol}\` is used.`;
        // A NULL check of another pointer between the two: the check that was meant for this one too.
        const use = new RegExp(String.raw`\b${symbol}\s*->\s*\w+`).exec(withoutComment(f.sourceText))?.[0];
        const lines = s.sources && set.file ? (findSource(s.sources, set.file)?.[1] ?? '').split('\n') : [];
        // The nearest such check above the use: the one written for this pointer.
        for (let i = Math.min(f.line ?? 0, lines.length) - 2; i >= set.line; i--) {
          // `if (!p)`, or `if (!a || !b)`: NULL tests, none of them of this pointer.
          const cond = /\bif\s*\((.*)\)/.exec(withoutComment(lines[i]))?.[1] ?? '';
          // (`!md->sk` tests a member: the whole expression is what it checks.)
          const tested: string[] = [...cond.matchAll(/!\s*([A-Za-z_]\w*(?:\s*(?:->|\.)\s*\w+)*)\b(?!\s*[(.[-])/g)].map((m) =>
            m[1].replace(/\s+/g, ''),
          );
          const other: string | undefined = tested.length && !new RegExp(String.raw`\b${symbol}\b`).test(cond) ? tested[0] : undefined;
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

/**
 * `if (slot > MAX_SLOTS) slot = MAX_SLOTS;`: a clamp that lets the index equal the array's length,
 * one past its last element. The condition is the mistake (and the value it clamps to).
 */
function clampToLength(s: CauseState, set: SourceLine & { text: string }, index: string): void {
  const { f, sources } = s;
  const to = new RegExp(String.raw`^\s*${index}\s*=\s*(\w+)\s*;`).exec(withoutComment(set.text))?.[1];
  if (!sources || !to || !set.file) return;
  for (let l = set.line - 1; l >= set.line - 2 && l > 0; l--) {
    const text = withoutComment(sourceLine(sources, set.file, l) ?? '').trim();
    if (text === '{' || text === '') continue;
    const cmp = new RegExp(String.raw`\bif\s*\(\s*${index}\s*(>=?)\s*${to}\s*\)`).exec(text);
    if (!cmp) return;
    f.related.push({
      file: set.file,
      line: l,
      message: `this clamp lets \`${index}\` be ${to} itself, one past the last element`,
    });
    f.explanation += ` The clamp \`${text.replace(/\s*\{$/, '')} ${index} = ${to};\` leaves \`${index}\` equal to ${to}, the number of elements, not the last index ${to} - 1.`;
    f.fix = `Clamp to the last element: \`if (${index} >= ${to}) ${index} = ${to} - 1;\` (or skip the update when \`${index} >= ${to}\`).`;
    return;
  }
}

/**
 * A helper size read back from map or kernel memory (`bpf_ringbuf_output(&rb, st->data, st->len, 0)`):
 * whatever bound it had when it was stored, a value loaded from memory is unknown again, so it
 * needs its clamp after the load, against the buffer it sizes (`data[SNAP_LEN]`).
 */
export function sizeFromMemory(s: CauseState): void {
  const { f, sources, named, records, pos } = s;
  if (!sources || !f.file || named === undefined || !/^helper-size|^unbounded-mem-access/.test(f.catalogId ?? '')) return;
  const stmt = withoutComment(f.sourceText);
  const expr = argumentExpression(stmt, named - 1)?.trim();
  const member = expr ? /^([a-z_]\w*)\s*->\s*(\w+)$/.exec(expr) : null;
  const o = traceRegister(records, pos, named).at(-1);
  if (!member || !o || !/= \*\(u\d+ \*\)\(r(?!10\b)\d+ [-+]\d+\)$/.test(o.disasm)) return;
  // The buffer it sizes: another argument `st->data` whose member is an array of a named length.
  let bound: string | undefined;
  const decl = f.line ? localDeclaration(sources, f.file, f.line, member[1]) : undefined;
  const type = decl ? /\bstruct\s+(\w+)\s*\*/.exec(sourceLine(sources, decl.file, decl.line) ?? '')?.[1] : undefined;
  for (let i = 0; i < 5 && type && !bound; i++) {
    const other = argumentExpression(stmt, i)?.trim();
    const m = other && other !== expr ? new RegExp(String.raw`^${member[1]}\s*->\s*(\w+)$`).exec(other) : null;
    if (m) bound = structMember(sources, type, m[1], f.file)?.dims[0];
  }
  const cap = bound ?? 'MAX';
  f.explanation += ` \`${expr}\` is read back from memory here (\`${o.disasm}\`): whatever bound it had when it was stored, the verifier knows nothing about a value loaded from a map or kernel memory, so the size is unbounded again.${bound ? ` The buffer it sizes holds ${bound} bytes.` : ''}`;
  f.fix = `Load it into a local and clamp that right before the call: \`__u32 len = ${expr}; if (len > ${cap}) len = ${cap};\` and pass \`len\`.`;
}

/**
 * A size or index checked only through a global function (`if (!capture_len_ok(len)) goto out;`
 * with `__noinline int capture_len_ok(long len)`): the verifier checks that function on its own
 * and learns nothing about `len` from its result, so the caller's value stays unbounded.
 */
export function checkedInGlobalFunction(s: CauseState): void {
  const { f, sources } = s;
  if (!sources || !f.file || !f.line || !/bound|range|outside|negative|unbounded|min value|max value|invalid access/.test(f.message))
    return;
  const stmt = withoutComment(f.sourceText);
  const names = new Set([...stmt.matchAll(/[(,]\s*([a-z_]\w*)\s*(?=[,)])/g)].map((m) => m[1]));
  const header = functionHeader(sources, f.file, f.line);
  for (let l = f.line - 1; l > (header?.line ?? 0) && l > f.line - 40; l--) {
    const text = withoutComment(sourceLine(sources, f.file, l) ?? '');
    const cond = /\bif\s*\(\s*!?\s*([A-Za-z_]\w*)\s*\(([^()]*)\)/.exec(text);
    if (!cond) continue;
    const arg = cond[2]
      .split(',')
      .map((a) => a.trim())
      .find((a) => names.has(a));
    const def = arg ? programDefinition(sources, cond[1], f.file) : undefined;
    if (!def || !arg) continue;
    const defText = `${sourceLine(sources, def.file, def.line - 1) ?? ''} ${sourceLine(sources, def.file, def.line) ?? ''}`;
    if (/\bstatic\b|always_inline|\binline\b/.test(defText)) continue;
    f.related.push({
      file: f.file,
      line: l,
      message: `\`${arg}\` is checked only inside \`${cond[1]}()\`, a global function: the verifier learns nothing about \`${arg}\` from its result`,
    });
    f.explanation += ` \`${arg}\` is checked by \`${cond[1]}()\` (line ${l}), a global (non-static) function: the verifier checks such a function once, on its own, and its return value says nothing to the caller about \`${arg}\`, which keeps the range it had before the call.`;
    f.fix = `Check \`${arg}\` in this function before the call (\`if (${arg} <= 0 || ${arg} > <size>) goto out;\`), or make \`${cond[1]}()\` \`static __always_inline\` so its check is verified with the caller.`;
    return;
  }
}

/**
 * Pointer arithmetic written inside a function-like macro (`SK_IP6_WORD(sk, idx)` adding `4 * (i)`
 * to the socket pointer): the macro's #define is where the arithmetic is, named with its arguments.
 */
export function macroArithmetic(s: CauseState): void {
  const { f, sources } = s;
  if (!sources || !f.file || !/^pointer-(?:arith-prohibited|modified|arith-bounds)$/.test(f.catalogId ?? '')) return;
  const call = /\b([A-Z_][A-Z0-9_]*)\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)/.exec(withoutComment(f.sourceText));
  if (!call) return;
  const macro = macroDefinition(sources, f.file, call[1]);
  if (!macro || f.related.some((r) => r.line === macro.line)) return;
  f.related.push({ file: macro.file, line: macro.line, message: `the pointer arithmetic is written inside ${call[1]}(), defined here` });
  f.explanation += ` The arithmetic is inside the macro \`${call[1]}(${call[2].trim()})\` (line ${macro.line}: \`${macro.body}\`), which adds an offset to the pointer it is given.`;
}

/**
 * `mem_size=8`: the size the region was made with, as the call that made it says
 * (`bpf_ringbuf_reserve(&rb, sizeof(e), 0)` with `e` a pointer is sizeof(pointer); `sizeof(tags)`
 * of an 8-byte array is not), so the explanation says which.
 */
export function regionSize(s: CauseState): void {
  const { f, records, pos, reg, sources, locate } = s;
  const mem = /mem_size=(\d+) off=(-?\d+) size=(\d+)/.exec(f.message);
  if (!mem || reg === undefined || !sources) return;
  const o = traceRegister(records, pos, reg).at(-1);
  const at = o && o.role === 'call' ? locate(o.insnIndex) : undefined;
  const sized = at?.text
    ? /\bsizeof\s*\(\s*(\*?\s*(?:(?:struct|union)\s+)?[A-Za-z_][\w.>-]*)\s*\)/.exec(withoutComment(at.text))?.[1]
    : undefined;
  if (!at?.file || !at.line || !sized) return;
  const name = sized.replace(/^\*\s+/, '*').replace(/\s+/g, ' ');
  const decl = /^\w+$/.test(name) ? localDeclaration(sources, at.file, at.line, name) : undefined;
  const declText = decl ? withoutComment(sourceLine(sources, decl.file, decl.line) ?? '') : '';
  const pointer = !!decl && new RegExp(String.raw`\*\s*${name}\b`).test(declText);
  const call = /^call (\w+)/.exec(o!.disasm)?.[1] ?? 'the helper';
  f.related.push({ file: at.file, line: at.line, message: `the region is made here, \`sizeof(${name})\` = ${mem[1]} bytes` });
  if (pointer) {
    f.explanation += ` \`${name}\` is a pointer (\`${declText.trim()}\`), so \`sizeof(${name})\` at line ${at.line} is 8, not the size of what it points to.`;
    f.fix = `Pass \`sizeof(*${name})\` to ${call}() at line ${at.line}.`;
  } else if (Number(mem[1]) === 8 && /size of a pointer/.test(f.title)) {
    // The size is not a pointer's: the region is as large as the code asked, and the access goes past it.
    f.title = `Access past the ${mem[1]}-byte region ${call}() returned`;
    f.explanation = f.explanation.replace(/ 8 bytes is sizeof\(a pointer\):[^.]*\./, '');
    f.explanation += ` The region is ${mem[1]} bytes because ${call}() at line ${at.line} was given \`sizeof(${name})\`; the access at offset ${mem[2]} (size ${mem[3]}) reaches byte ${Number(mem[2]) + Number(mem[3])}.`;
    f.fix = `Bound the offset so that offset + ${mem[3]} stays within \`sizeof(${name})\`, or ask ${call}() for a region as large as the code reads.`;
  }
  // `struct full *f = bpf_ringbuf_reserve(&rb, sizeof(struct hdr), 0)`: the size of another type.
  const holder = assignedVariable(withoutComment(at.text));
  const type = holder ? new RegExp(String.raw`\b(struct\s+\w+)\s*\*\s*${holder}\b`).exec(withoutComment(at.text))?.[1] : undefined;
  if (!pointer && holder && type && name !== `*${holder}` && name !== type) {
    f.explanation += ` \`${holder}\` is a \`${type} *\`, but the region was made with \`sizeof(${name})\`: the size of another type than the one the code then uses.`;
    f.fix = `Make the region as large as what \`${holder}\` points to: pass \`sizeof(*${holder})\` to ${call}() at line ${at.line}.`;
  }
}

/**
 * `cpu = CPU_CLAMP(cpu);` where `#define CPU_CLAMP(c) ((c) & (MAX_CPUS - 1))`: a bounding macro
 * whose mask (or modulo) keeps more values than the array has entries. Its #define is the cause.
 */
function macroBound(
  s: CauseState,
  set: SourceLine & { text: string },
  index: string,
  array: string,
  length: { n: number; name: string },
): void {
  const { f, sources } = s;
  const call = /\b([A-Z_][A-Z0-9_]*)\s*\(/.exec(withoutComment(set.text))?.[1];
  if (!sources || !call || !set.file) return;
  const macro = macroDefinition(sources, set.file, call);
  if (!macro) return;
  const body = macro.body;
  // `& (N - 1)` keeps 0..N-1; `& M` keeps 0..M; `% N` keeps 0..N-1.
  const mask = /&\s*\(?\s*([^()&|]+?)\s*\)?\s*\)*\s*$/.exec(body)?.[1];
  const mod = /%\s*\(?\s*([^()]+?)\s*\)?\s*\)*\s*$/.exec(body)?.[1];
  const expr = mask ?? mod;
  const value = expr ? evaluateConstant(sources, expr, set.file) : undefined;
  if (value === undefined || !expr) return;
  const reach = mask ? value : value - 1;
  if (reach < length.n) return;
  const len = withValue(length.name, length.n);
  f.related.push({
    file: macro.file,
    line: macro.line,
    message: `${call}() lets \`${index}\` reach ${reach} (\`${expr.trim()}\`), and \`${array}\` has ${length.n} entries`,
  });
  f.explanation += ` \`${index}\` is bounded by ${call}(), whose \`${body.trim()}\` keeps values up to ${reach} (${expr.trim()}), not the ${len} entries of \`${array}\`.`;
  f.fix = `Bound \`${index}\` by the array it indexes: \`if (${index} >= ${length.name}) return ...;\` before \`${array}[${index}]\` (or a ${call}() that uses ${length.name}).`;
}

/**
 * An upper-bound check of the index against something other than the array's length
 * (`if (cls > DSCP_MAX)` before `pkts[cls]` of `pkts[NR_CLASSES]`, or `>` where `>=` is needed):
 * the check is where the index is let through.
 */
function upperBoundNotLength(s: CauseState, array: string, index: string, length: { n: number; name: string }): void {
  const { f, sources } = s;
  if (!sources || !f.file || !f.line) return;
  const at = comparisonAbove(sources, f.file, f.line, new RegExp(String.raw`\b${index}\b`));
  // A loop header both sets the index and checks it: its "gets its value" location is this check.
  const same = at ? f.related.find((r) => r.line === at.line && r.file === at.file) : undefined;
  if (!at || (same && !/gets its value here$/.test(same.message))) return;
  const text = withoutComment(sourceLine(sources, at.file, at.line) ?? '').trim();
  const m = new RegExp(String.raw`\b${index}\s*(>=|>|<=|<)\s*(sizeof\s*\(\s*[^)]*\)|\w+)`).exec(text);
  if (!m) return;
  const [, op, bound] = m;
  const defines = definesOf((findSource(sources, at.file)?.[1] ?? '').split('\n'));
  // `sizeof(v->buf)` of a byte array is its number of entries (of wider ones, sizeofAsCount says).
  const bytes = new RegExp(String.raw`\b(?:char|__u8|u8|__s8|s8|uint8_t|unsigned char)\s+${array}\s*\[`).test(
    [...sources.values()].join('\n'),
  );
  const sized = /^sizeof\s*\(\s*(?:[\w.>-]*(?:->|\.))?(\w+)\s*\)$/.exec(bound)?.[1];
  const value = sized ? (sized === array && bytes ? length.n : undefined) : /^\d+$/.test(bound) ? Number(bound) : defines.get(bound);
  if (sized && value === undefined) return;
  if (value === undefined) {
    boundByVariable(s, array, index, length, { ...at, text, op, bound }, defines);
    return;
  }
  // The largest index the check lets through: `> B` or `<= B` keep B, `>= B` or `< B` keep B - 1.
  const reach = op === '>' || op === '<=' ? value : value - 1;
  if (reach < length.n) return;
  const named = withValue(bound, value);
  const len = withValue(length.name, length.n);
  if (same) f.related.splice(f.related.indexOf(same), 1);
  f.related.push({
    file: at.file,
    line: at.line,
    message: `this check lets \`${index}\` reach ${reach}, and \`${array}\` has ${length.n} entries`,
  });
  f.explanation +=
    bound === length.name || value === length.n
      ? ` The check \`${text.replace(/\s*\{$/, '')}\` lets \`${index}\` equal ${named}, one past the last entry: \`${op}\` where the bound needs ${op === '>' ? '`>=`' : '`<`'}.`
      : ` The check \`${text.replace(/\s*\{$/, '')}\` bounds \`${index}\` by ${named}, not by the ${len} entries of \`${array}\`.`;
  f.fix = /^for\b/.test(text)
    ? `Bound the loop by the array's length: \`${text.replace(/\s*\{$/, '').replace(new RegExp(String.raw`\b${index}\s*${op}\s*${bound}\b`), `${index} < ${length.name}`)}\`.`
    : `Bound the index by the array's length: \`if (${index} >= ${length.name}) return ...;\` right before \`${array}[${index}]\`.`;
}

/**
 * `if (head >= RING) ...` then `vals[pos]`: the only check against the array's length tests
 * another variable than the index the access uses, so nothing bounds the index itself.
 */
function checkOnOtherVariable(s: CauseState, array: string, index: string, length: { n: number; name: string }): void {
  const { f, sources } = s;
  if (!sources || !f.file || !f.line) return;
  if (comparisonAbove(sources, f.file, f.line, new RegExp(String.raw`\b${index}\b`))) return;
  const bounds = [...new Set([length.name, String(length.n), String(length.n - 1)])].join('|');
  const at = comparisonAbove(
    sources,
    f.file,
    f.line,
    new RegExp(String.raw`(?:[<>]=?)\s*\(?\s*(?:${bounds})\b|\b(?:${bounds})\s*\)?\s*[<>]=?`),
  );
  if (!at || f.related.some((r) => r.line === at.line && r.file === at.file && /check|comparison/.test(r.message))) return;
  const text = withoutComment(sourceLine(sources, at.file, at.line) ?? '');
  const operand = String.raw`([A-Za-z_]\w*(?:\s*(?:->|\.)\s*\w+)*)`;
  const m =
    new RegExp(String.raw`${operand}\s*(?:[<>]=?)\s*\(?\s*(?:${bounds})\b`).exec(text) ??
    new RegExp(String.raw`\b(?:${bounds})\s*\)?\s*(?:[<>]=?)\s*${operand}`).exec(text);
  const other = m?.[1].replace(/\s+/g, '');
  if (!other || other === index || /^[A-Z_][A-Z0-9_]*$/.test(other)) return;
  f.related.push({
    ...at,
    message: `this check bounds \`${other}\`, but the access indexes \`${array}\` with \`${index}\`, which no check bounds`,
  });
  f.explanation += ` The only check against the length of \`${array}\` tests \`${other}\`, not \`${index}\`: the verifier tracks each register on its own, so bounding \`${other}\` proves nothing about \`${index}\`.`;
  f.fix = `Check the index itself: \`if (${index} >= ${length.name}) return ...;\` right before \`${array}[${index}]\` (or index with \`${other}\`, the variable the check bounds).`;
}

/**
 * `if (i >= len) break;` where `len = q[0] & LABEL_MASK;`: the index is bounded by a variable whose
 * own bound (a mask or a clamp) is larger than the array, so the check lets the index past its end.
 */
function boundByVariable(
  s: CauseState,
  array: string,
  index: string,
  length: { n: number; name: string },
  check: { file: string; line: number; text: string; op: string; bound: string },
  defines: Map<string, number>,
): void {
  const { f, sources } = s;
  if (!sources || !/^[a-z_]\w*$/.test(check.bound)) return;
  const set = assignmentAbove(sources, check.file, check.line, check.bound);
  const code = set && !set.parameter ? withoutComment(set.text).trim() : '';
  const limit = /&\s*\(?\s*(\w+)\s*\)?\s*;$/.exec(code)?.[1];
  const max = limit ? (/^(?:0x[0-9a-f]+|\d+)$/i.test(limit) ? Number(limit) : defines.get(limit)) : undefined;
  if (!set || max === undefined || max < length.n || f.related.some((r) => r.line === set.line && r.file === set.file)) return;
  const reach = check.op === '>' || check.op === '<=' ? max : max - 1;
  f.related.push({
    file: set.file,
    line: set.line,
    message: `\`${check.bound}\` can be as large as ${withValue(limit!, max)} here, and \`${array}\` has ${length.n} entries`,
  });
  f.explanation += ` The check \`${check.text.replace(/\s*\{$/, '')}\` bounds \`${index}\` by \`${check.bound}\`, and \`${check.bound}\` is set at line ${set.line} (\`${code}\`), so it can be ${max}: \`${index}\` can reach ${reach}, past the ${withValue(length.name, length.n)} entries of \`${array}\`.`;
  f.fix = `Bound \`${index}\` by the array's length as well (\`if (${index} >= ${length.name}) break;\` before \`${array}[${index}]\`), or bound \`${check.bound}\` by ${length.name} where it is set.`;
}

// An array indexed by a variable on the failing line: its declared length is the bound.
/**
 * `slot = log2(size); if (size > MAX) size = MAX;`: the variable the index is computed from is
 * clamped only after the index took its value, so the clamp does not reach the index.
 */
function clampAfterUse(s: CauseState, set: SourceLine & { text: string }, index: string): void {
  const { f, sources } = s;
  if (!sources || !f.file || !f.line || set.file !== f.file) return;
  const rhs = /=(?!=)\s*(.*?);?\s*$/.exec(withoutComment(set.text))?.[1] ?? '';
  const names = [...rhs.matchAll(/\b([a-z_]\w*)\b(?!\s*\()/g)]
    .map((m) => m[1])
    .filter((n) => n !== index && !/^(?:sizeof|u32|u64|__u32|__u64|int|long)$/.test(n));
  const lines = (findSource(sources, f.file)?.[1] ?? '').split('\n');
  for (let i = set.line; i < f.line - 1; i++) {
    const code = withoutComment(lines[i] ?? '');
    const used = names.find((n) => new RegExp(String.raw`\bif\s*\(\s*${n}\s*(?:>|>=)`).test(code));
    if (!used || new RegExp(String.raw`\b${index}\b`).test(code)) continue;
    f.related.push({
      file: f.file,
      line: i + 1,
      message: `this clamps \`${used}\` after \`${index}\` was computed from it (line ${set.line}): \`${index}\` keeps the unclamped value`,
    });
    f.explanation += ` \`${index}\` is computed from \`${used}\` at line ${set.line} (\`${withoutComment(set.text).trim()}\`), and \`${used}\` is clamped only after that, at line ${i + 1}: the clamp does not change \`${index}\`.`;
    f.fix = `Clamp \`${used}\` before line ${set.line} (move \`${code.trim()}\` and its assignment above it), or check \`${index}\` itself before the access.`;
    return;
  }
  // Nothing compares the index or what it is computed from, but a clamp of another variable
  // above it (`if (req > MAX) req = MAX;` where the index comes from `ret`): the check meant for it.
  const header = functionHeader(sources, f.file, f.line)?.line ?? 0;
  // (A comparison with 0, `if (ret <= 0)`, is no upper bound, nor is a shift, `ret >> 10`.)
  const compares = (n: string) =>
    new RegExp(String.raw`\b${n}\s*(?:<(?!<)|>(?!>))(?!=?\s*0\b)|(?<![<>-])[<>]=?\s*${n}\b|\b${n}\s*&=|\b${n}\s*%`);
  const body = lines.slice(header, f.line - 1).map((l) => withoutComment(l));
  if (body.some((l) => [index, ...names].some((n) => compares(n).test(l)))) return;
  for (let i = f.line - 2; i >= header; i--) {
    const other = /\bif\s*\(\s*([a-z_]\w*)\s*(?:>|>=)\s*[^)]+\)/.exec(withoutComment(lines[i] ?? ''))?.[1];
    if (!other || other === index || names.includes(other)) continue;
    const from = names.length ? ` (computed from ${names.map((n) => `\`${n}\``).join(', ')} at line ${set.line})` : '';
    f.related.push({ file: f.file, line: i + 1, message: `this bounds \`${other}\`, not \`${index}\`${from}: nothing bounds the index` });
    f.explanation += ` The only bound above the access, at line ${i + 1} (\`${withoutComment(lines[i]).trim()}\`), is of \`${other}\`; \`${index}\`${from} is not bounded by it.`;
    return;
  }
}

export function arrayIndex(s: CauseState): void {
  const { f, sources } = s;
  const indexAt = /(\w+)\s*\[\s*([A-Za-z_]\w*)\s*\]/;
  let indexed = withoutComment(f.sourceText).match(indexAt);
  // `m[row][col]`: of several indexes on the line, the one nothing compares is the suspect.
  let dimension = 0;
  const all = [...withoutComment(f.sourceText).matchAll(/(?:(\w+)|(?<=\]))\s*\[\s*([A-Za-z_]\w*)\s*\]/g)];
  if (all.length > 1 && sources && f.file && f.line) {
    const unchecked = all.find((m) => !comparisonAbove(sources, f.file!, f.line!, new RegExp(String.raw`\b${m[2]}\b`)));
    const first = all[0];
    if (unchecked && unchecked !== first) {
      indexed = Object.assign([unchecked[0], first[1], unchecked[2]], { index: unchecked.index }) as RegExpMatchArray;
      dimension = all.indexOf(unchecked) - all.indexOf(first);
    }
  }
  const boundsError =
    /bound|range|outside|negative|variable|invalid access|out of bounds|min value|max value|invalid (?:indirect )?(?:read|write) (?:from|to) stack/.test(
      f.message,
    );
  // No index on the failing line, but a pointer it uses was set to `&array[index]` just above.
  if (!indexed && boundsError && sources && f.file && f.line) {
    const through = [...withoutComment(f.sourceText).matchAll(/\b([A-Za-z_]\w*)\s*->|(?:^|[^\w)\]])\*\s*([A-Za-z_]\w*)\b/g)].map(
      (m) => m[1] ?? m[2],
    );
    for (const name of through) {
      const set = assignmentAbove(sources, f.file, f.line, name);
      // `p = &v->buf[off]`, or the same written as `p = v->buf + off`.
      const text = set && !set.parameter ? withoutComment(set.text) : '';
      const plus = /(?:->|\.)\s*(\w+)\s*\+\s*([A-Za-z_]\w*)\s*;/.exec(text);
      const via =
        text.match(indexAt) ?? (plus ? (Object.assign([plus[0], plus[1], plus[2]], { index: plus.index }) as RegExpMatchArray) : null);
      if (!set || !via) continue;
      f.related.push({ file: set.file, line: set.line, message: `\`${name}\` points into \`${via[1]}[${via[2]}]\` here` });
      indexed = via;
      break;
    }
  }
  if (sources && f.file && indexed && boundsError) {
    const [, array, index] = indexed;
    let length: { n: number; name: string } | undefined;
    // The length of the dimension the index is in (`m[ROWS][COLS]`: col is bounded by COLS).
    const skip = String.raw`\[[^\]]*\]\s*`.repeat(dimension);
    const decl = new RegExp(String.raw`\b${array}\s*${skip}\[\s*(\w+)\s*\](?:\s*\[[^\]]*\])*\s*[;,=]`);
    const file = findSource(sources, f.file);
    const files = file ? [file, ...[...sources].filter(([k]) => k !== file[0])] : [...sources];
    for (const [, text] of files) {
      const m = decl.exec(text);
      if (!m) continue;
      const n = /^\d+$/.test(m[1]) ? Number(m[1]) : definesOf(text.split('\n')).get(m[1]);
      if (n !== undefined) length = { n, name: m[1] };
      if (n === undefined || f.explanation.includes(`\`${array}\` has`)) break;
      // `m[row][col]` as written, for an index past the first dimension.
      const shown = dimension
        ? (new RegExp(String.raw`\b${array}\s*(?:\[[^\]]*\]\s*)+`).exec(withoutComment(f.sourceText))?.[0].trim() ?? `${array}[${index}]`)
        : `${array}[${index}]`;
      const has = dimension ? `Dimension ${dimension + 1} of \`${array}\` has` : `\`${array}\` has`;
      f.explanation += ` ${has} ${n} entries${m[1] !== String(n) ? ` (${m[1]})` : ''}: \`${index}\` must be proven to be 0..${n - 1} before \`${shown}\`.`;
      f.fix = `Check \`if (${index} >= ${/^\d+$/.test(m[1]) ? n : m[1]}) return ...;\` (with an unsigned \`${index}\`) right before \`${shown}\`, on the same variable the access uses.`;
      break;
    }
    // Where the index gets its value (or its signed declaration as a parameter): often the cause.
    const set = f.line ? assignmentAbove(sources, f.file, f.line, index) : undefined;
    if (set && !set.parameter) clampAfterUse(s, set, index);
    if (set && !f.related.some((r) => r.line === set.line && r.file === set.file)) {
      const signed = new RegExp(String.raw`\b${SIGNED_TYPE}\s+${index}\b`).test(set.text);
      f.related.push({
        file: set.file,
        line: set.line,
        message: set.parameter
          ? `\`${index}\` is a parameter here${signed ? ', declared signed: negative values pass an upper-bound check' : ''}`
          : `\`${index}\` gets its value here`,
      });
      clampToLength(s, set, index);
      if (length) macroBound(s, set, index, array, length);
      // The assignment may not carry the type: the declaration does.
      const declared = !signed && f.line ? localDeclaration(sources, f.file, f.line, index) : undefined;
      const declText = declared ? (sourceLine(sources, declared.file, declared.line) ?? '') : '';
      const signedDecl = declared && declaresSigned(declText, index);
      // Unless the verifier knows it is not negative here (`var_off=(0x0; 0xf8)`).
      const nonNegative =
        /var_off=\(0x[0-7]?[0-9a-f]{0,15}; 0x[0-7]?[0-9a-f]{0,15}\)/.test(f.message) && !/negative|min value/.test(f.message);
      // A loop counter that starts at 0 and only grows is not negative, signed or not.
      const counter = new RegExp(
        String.raw`\bfor\s*\(\s*(?:\w+\s+)?${index}\s*=\s*0\s*;[^;]*;\s*(?:${index}\s*\+\+|\+\+\s*${index}|${index}\s*\+=)`,
      ).test(set.text);
      const growing = counter && !/negative|min value/.test(f.message);
      if (signedDecl && declared && !growing)
        f.related.push({ ...declared, message: `\`${index}\` is declared signed here: negative values pass an upper-bound check` });
      if ((signed || signedDecl) && !nonNegative && !growing && !f.explanation.includes('signed variable'))
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
      if (!check && length) upperBoundNotLength(s, array, index, length);
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
    if (length) checkOnOtherVariable(s, array, index, length);
  }
}

// A key-less map (queue, stack, bloom filter: ks=0) used with a keyed map helper.
export function keylessMap(s: CauseState): void {
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
export function currentTask(s: CauseState): void {
  const { f } = s;
  if (f.related.some((r) => /`call bpf_get_current_task#/.test(r.message)) && !f.explanation.includes('bpf_get_current_task_btf')) {
    f.explanation +=
      ' The value comes from bpf_get_current_task(), which returns the task address as a plain number (u64), never a pointer the verifier accepts.';
    f.fix = 'Use bpf_get_current_task_btf() (a trusted `struct task_struct *`, tracing programs, 5.11+) where a task pointer is needed.';
  }
}

// The value came out of an inlined helper's `return`: name that helper, it is what to fix.
export function inlineReturn(s: CauseState): void {
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
      // A lookup inside the function that hands its result (or a member of it) back unchecked.
      if (f.catalogId === 'null-deref' && owner === undefined && text && uncheckedReturn(s, r, text, home)) break;
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

/**
 * `s = bpf_map_lookup_elem(...); return &s->writes;` in a helper the program inlines: the caller
 * dereferences what may be NULL, and the helper's return is where the check was left out.
 */
function uncheckedReturn(s: CauseState, r: { file?: string; line?: number }, text: string, home: number | undefined): boolean {
  const { f, sources } = s;
  const owner = sources && r.file && r.line ? functionHeader(sources, r.file, r.line) : undefined;
  const held = assignedVariable(withoutComment(text));
  if (!sources || !owner || owner.line === home || !held || !/\bbpf_map_lookup\w*\s*\(|\b\w+_lookup\w*\s*\(/.test(text)) return false;
  const name = declaredName(sourceLine(sources, owner.file, owner.line));
  const end = functionEnd(sources, owner.file, r.line! + 1)?.line ?? r.line! + 60;
  const lines = (findSource(sources, owner.file)?.[1] ?? '').split('\n');
  const uses = new RegExp(String.raw`\b${escape(held)}\b`);
  for (let i = r.line!; i < end && i < lines.length; i++) {
    const code = withoutComment(lines[i]);
    // A NULL test of the pointer in between: the helper does check it.
    if (new RegExp(String.raw`!\s*${escape(held)}\b|\b${escape(held)}\s*[!=]=\s*(?:NULL|0)\b`).test(code)) return false;
    const ret = /^\s*return\b\s*(.*?);?\s*$/.exec(code)?.[1];
    if (ret === undefined || !uses.test(ret)) continue;
    f.related.push({
      file: owner.file,
      line: i + 1,
      message: `\`${name ?? 'the function'}()\` returns \`${ret}\` here without checking \`${held}\`, which is NULL when the lookup fails`,
    });
    f.explanation += ` \`${name ?? 'The function'}()\` looks \`${held}\` up and returns \`${ret}\` (line ${i + 1}) without a NULL check, so what the caller uses may be NULL.`;
    f.fix = `In \`${name ?? 'the function'}()\`, return NULL when the lookup fails (\`if (!${held}) return NULL;\` after line ${r.line}), and check the result in the caller before using it.`;
    return true;
  }
  return false;
}

// The failing line is in a function the program inlines: the call that brought it there
// (its arguments are often the cause: a context field passed by address, an unchecked pointer).
export function callSite(s: CauseState): void {
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

// A buffer access of size 0 at a helper call: the size is the argument after the buffer, and
// on this path its smallest value is 0 (a length bounded from above only).
export function zeroSizeArgument(s: CauseState): void {
  const { f, d, failing, registers, named } = s;
  if (
    (d.size !== '0' && !/\bsize=0\b/.test(f.message)) ||
    !failing ||
    !/^call /.test(failing.disasm) ||
    named === undefined ||
    named < 1 ||
    named > 4
  )
    return;
  const size = `R${named + 1}`;
  if (new RegExp(String.raw`\b${size}\b`).test(f.explanation)) return;
  const state = registers.get(size);
  const expr = argumentExpression(s.statement, named);
  const name = expr && !/[()]/.test(expr) ? expr : undefined;
  f.explanation += ` The size argument is ${size}${name ? ` (\`${name}\`)` : ''}${state ? `, \`${size}=${state}\`` : ''}: its smallest value on this path is 0, so the verifier checks the buffer in R${named} for 0 bytes (\`size=0\`) and refuses it.`;
  f.fix = `Leave before the call when the length is 0 (\`if (${name ?? 'len'} == 0) return ...;\`), as well as bounding it by the buffer's size.`;
}

/**
 * A bounds error whose operand is a variable of the failing line (an index `a[i]`, a helper's size
 * argument, an offset added to a pointer, a packet pointer read through) that the program compares
 * above it: when no earlier step found the check, the last comparison of that variable is the one
 * that had to prove the access safe on this path and did not.
 */
export function lastCheckOfOperand(s: CauseState): void {
  const { f, sources, named } = s;
  if (!sources || !f.file || !f.line || !f.sourceText) return;
  if (!/out-of-bounds|out-of-range|arith-bounds|size-|unbounded|min-value|max-value/.test(f.catalogId ?? '')) return;
  const file = findSource(sources, f.file)?.[0];
  if (!file || f.related.some((r) => r.file === file && /\bcheck|comparison|condition\b/.test(r.message))) return;
  const code = withoutComment(f.sourceText);
  const operands: string[] = [];
  for (const m of code.matchAll(/\[\s*([A-Za-z_]\w*)\s*\]/g)) operands.push(m[1]);
  // The register the message names is an argument of the call on the line: R2 is its second.
  const argument = named !== undefined && named >= 1 && named <= 5 ? argumentExpression(code, named - 1) : undefined;
  // A memory argument's size is the argument after it (bpf_probe_read_kernel(dst, size, src)).
  const size = argument && s.failing && /^call /.test(s.failing.disasm) ? argumentExpression(code, named!) : undefined;
  for (const m of `${argument ?? ''} ${size ?? ''}`.matchAll(/\b([A-Za-z_]\w*)\b(?!\s*\()/g))
    if (!/^(?:sizeof|struct|const)$/.test(m[1])) operands.push(m[1]);
  for (const m of code.matchAll(/[+-]=?\s*([A-Za-z_]\w*)\b(?!\s*[(.[]|\s*->)/g)) operands.push(m[1]);
  if (/packet/.test(f.catalogId ?? '')) for (const m of code.matchAll(/\b([A-Za-z_]\w*)\s*->/g)) operands.push(m[1]);
  for (const name of [...new Set(operands)].filter((n) => !/^[A-Z_][A-Z0-9_]*$/.test(n))) {
    const check = comparisonAbove(sources, file, f.line, new RegExp(String.raw`\b${name}\b`));
    if (!check || check.line === f.line || f.related.some((r) => r.file === check.file && r.line === check.line)) continue;
    f.related.push({
      ...check,
      message: `the last comparison of \`${name}\` before this line (\`${withoutComment(sourceLine(sources, check.file, check.line)).trim()}\`): it does not prove the access in bounds on this path`,
    });
    return;
  }
  // A helper's size that nothing compares: where it is set, and a check of another variable.
  const sized = argument?.trim();
  if (/^helper-size|^size-may-be-zero/.test(f.catalogId ?? '') && sized && /^[a-z_]\w*(?:\s*(?:\.|->)\s*\w+)*$/.test(sized))
    uncheckedSize(s, file, sized.replace(/\s+/g, ''));
}

/** A size passed to a helper with no comparison of its own: its assignment, and the check that bounds another variable. */
function uncheckedSize(s: CauseState, file: string, name: string): void {
  const { f, sources } = s;
  if (!sources || !f.line) return;
  const set = /^\w+$/.test(name) ? assignmentAbove(sources, file, f.line, name) : undefined;
  const text = set && !set.parameter ? withoutComment(set.text).trim() : '';
  if (
    set &&
    text &&
    !f.related.some((r) => r.line === set.line && r.file === set.file && /gets its value|value is computed/.test(r.message))
  ) {
    f.related.push({
      file: set.file,
      line: set.line,
      message: `\`${name}\` gets its value here (\`${text}\`), and nothing compares it before the call`,
    });
    const rhs = text.replace(/^.*?[^=!<>]=(?!=)/, '');
    const helper = /^\s*(?:\([^)]*\)\s*)?(bpf_\w+)\s*\(/.exec(rhs)?.[1];
    if (helper)
      f.explanation += ` \`${name}\` is what ${helper}() returned (line ${set.line}): a length on success, a negative error code on failure, so it can be below zero and has no upper bound the verifier knows. Check \`if (${name} < 0) return 0;\` and bound it before passing it on.`;
    else if (/[\w)\]]\s+-\s+[\w(]/.test(rhs))
      f.explanation += ` \`${name}\` is computed by a subtraction (\`${text}\`, line ${set.line}): when what is subtracted is larger, it goes below zero (or wraps around when unsigned), so the verifier cannot bound it.`;
  }
  const other = comparisonAbove(sources, file, f.line, /\bsizeof\s*\(|\b[A-Z_][A-Z0-9_]{2,}\b|\b\d{2,}\b/);
  const otherText = other ? withoutComment(sourceLine(sources, other.file, other.line)).trim() : '';
  const compared = /\b([a-z_]\w*(?:\s*->\s*\w+)?)\s*[<>]=?\s*(?:\(|sizeof|[A-Z_\d])/.exec(otherText)?.[1]?.replace(/\s+/g, '');
  // Only a check of a value tied to the size: one assigned from the other (`want = count`,
  // `cap = iov.iov_len`), not any comparison that happens to come before the call.
  const lines = (findSource(sources, file)?.[1] ?? '').split('\n').slice(0, f.line);
  const tied =
    compared &&
    lines.some(
      (l) =>
        new RegExp(String.raw`\b${escape(compared)}\s*=\s*${escape(name)}\b`).test(l) ||
        new RegExp(String.raw`\b${escape(name)}\s*=\s*${escape(compared)}\b`).test(l),
    );
  if (
    other &&
    compared &&
    tied &&
    compared !== name &&
    !new RegExp(String.raw`\b${escape(name)}\b`).test(otherText) &&
    (!set || other.line > set.line - 8)
  ) {
    f.related.push({ ...other, message: `this check bounds \`${compared}\`, not \`${name}\`, which the call passes as the size` });
    f.explanation += ` The check \`${otherText}\` (line ${other.line}) bounds \`${compared}\`, but the call passes \`${name}\`: the verifier tracks each value on its own.`;
    f.fix = `Bound the size the call passes: clamp \`${name}\` itself right before the call, or pass \`${compared}\`.`;
  }
}

/**
 * `if (i >= sizeof(v->counts))` before `v->counts[i]`: sizeof counts bytes, the index counts
 * elements, so an array of 8-byte counters lets the index run 8 times past its end.
 */
export function sizeofAsCount(s: CauseState): void {
  const { f, sources } = s;
  if (!sources || !f.file || !f.line || !/out-of-bounds|out-of-range/.test(f.catalogId ?? '')) return;
  const access = /\b(\w+)\s*\[\s*([A-Za-z_]\w*)\s*\]/.exec(withoutComment(f.sourceText));
  if (!access) return;
  const [, array, index] = access;
  for (const r of f.related) {
    const text = r.file && r.line ? withoutComment(sourceLine(sources, r.file, r.line)) : '';
    const sized = new RegExp(String.raw`\b${index}\b[^;]*?sizeof\s*\(?\s*((?:\w+\s*(?:->|\.)\s*)*${array})\s*\)?`).exec(text);
    if (!sized) continue;
    const decl = [...sources.values()]
      .map((t) => new RegExp(String.raw`\b((?:unsigned\s+)?\w+)\s+${array}\s*\[\s*(\w+)\s*\]\s*;`).exec(t))
      .find(Boolean);
    const element = decl ? typeSize(sources, decl[1], [], f.file)?.bytes : undefined;
    if (!decl || !element || element < 2) return;
    r.message = `\`sizeof(${sized[1]})\` is the size in bytes, not the number of elements: it lets \`${index}\` run past the end`;
    f.explanation += ` The check compares \`${index}\` with \`sizeof(${sized[1]})\`, the array's size in bytes: each element of \`${array}\` is ${element} bytes (\`${decl[1]}\`), so the check lets \`${index}\` reach ${element} times the number of elements (${decl[2]}).`;
    f.fix = `Compare with the number of elements: \`${index} >= sizeof(${sized[1]}) / sizeof(${sized[1]}[0])\` (or ${decl[2]}).`;
    return;
  }
}

/** What each callback-taking helper passes its callback, in order. */
const CALLBACK_ARGUMENTS: Record<string, string[]> = {
  bpf_for_each_map_elem: ['map', 'key', 'value', 'ctx'],
  bpf_loop: ['index', 'ctx'],
  bpf_timer_set_callback: ['map', 'key', 'value'],
  bpf_find_vma: ['task', 'vma', 'ctx'],
  bpf_user_ringbuf_drain: ['dynptr', 'ctx'],
};

/**
 * The failing register is a parameter of the function the line is in, as its caller filled it: a
 * callback's header says what the author thought it gets (`(key, value, ctx)` for a for_each
 * callback, which gets the map first); a subprogram's parameter is what its call site passed
 * (`&ctx->user_port`). The declaration is where to look, with what the parameter really holds.
 */
export function callbackParameter(s: CauseState): void {
  const { f, sources } = s;
  if (!sources || !f.file || !f.line) return;
  for (const r of f.related) {
    const m = /^R(\d) got this value here \(`call (?:(\w+)#\d+|pc[+-]\d+)`\)/.exec(r.message);
    const roles = m?.[2] ? CALLBACK_ARGUMENTS[m[2]] : undefined;
    if (!m || (m[2] && !roles)) continue;
    const header = functionHeader(sources, f.file, f.line);
    const text = header ? withoutComment(sourceLine(sources, header.file, header.line)) : '';
    const name = declaredName(text);
    const site = r.file && r.line ? sourceLine(sources, r.file, r.line) : undefined;
    if (!header || !name || !site || !new RegExp(String.raw`\b${name}\b`).test(site)) return;
    const params = wrapperParams(text);
    // The function may have copied its argument to a callee-saved register first (`r6 = r2`).
    const last = Number(m[1]) > 5 ? traceRegister(s.records, s.pos, Number(m[1])).at(-1) : undefined;
    const n = last && /^call /.test(last.disasm) ? last.register : Number(m[1]);
    const param = n >= 1 && n <= 5 ? params[n - 1] : undefined;
    if (!param || f.related.some((x) => x.line === header.line && x.file === header.file)) return;
    if (!roles) {
      // A subprogram (`call pc+14`): the argument its call site passes.
      const passed = argumentExpression(site, n - 1);
      if (!passed || passed === param) return;
      f.related.push({ ...header, message: `\`${param}\`, parameter ${n} of \`${name}()\`, is \`${passed}\` as line ${r.line} passes it` });
      const field = /^&\s*(\w+)\s*->\s*(\w+)$/.exec(passed.trim());
      if (field && /ctx/.test(f.message)) {
        f.explanation += ` R${m[1]} is \`${param}\`, parameter ${n} of \`${name}()\`, and line ${r.line} passes it \`${passed}\`: the address of a context field is the context pointer moved by the field's offset, and a subprogram cannot read the context through it.`;
        f.fix = `Read \`${field[1]}->${field[2]}\` in the caller and pass the value to \`${name}()\` (write a changed value back in the caller), or make \`${name}()\` \`static __always_inline\`.`;
      } else f.explanation += ` R${m[1]} is \`${param}\`, parameter ${n} of \`${name}()\`, and line ${r.line} passes it \`${passed}\`.`;
      return;
    }
    const role = roles[n - 1];
    // A parameter beyond what the caller passes (`ctx` on a timer callback): nothing fills it.
    if (!role && n > roles.length) {
      f.related.push({
        ...header,
        message: `\`${param}\`, parameter ${n} of \`${name}()\`, receives nothing: ${m[2]}() calls it with (${roles.join(', ')})`,
      });
      f.explanation += ` R${m[1]} is \`${param}\`, parameter ${n} of the callback \`${name}()\`, but ${m[2]}() calls its callback with ${roles.length} arguments (${roles.join(', ')}): nothing is ever passed in R${m[1]}.`;
      f.fix = `Declare \`${name}()\` with the parameters ${m[2]}() passes: (${roles.join(', ')}), and reach other data through the map value or a global.`;
      r.message = `\`${name}()\` is given to ${m[2]}() here as its callback`;
      return;
    }
    if (!role) return;
    const shifted =
      params.length < roles.length
        ? ` It declares ${params.length} parameters where ${m[2]}() passes ${roles.length}, so each one receives the argument before the one its name suggests.`
        : '';
    f.related.push({
      ...header,
      message: `\`${param}\`, parameter ${n} of \`${name}()\`, receives the ${role}: ${m[2]}() calls it with (${roles.join(', ')})`,
    });
    const field = new RegExp(String.raw`\b${param}\s*->\s*(\w+)`).exec(withoutComment(f.sourceText))?.[1];
    const read = field ? ` \`${param}->${field}\` therefore reads the ${role}, not what \`${param}\` is declared to point to.` : '';
    f.explanation += ` R${m[1]} is \`${param}\`, parameter ${n} of the callback \`${name}()\`, and ${m[2]}() passes the ${role} there: it calls its callback with (${roles.join(', ')}).${shifted}${read}`;
    f.fix = `Declare \`${name}()\` with the parameters ${m[2]}() passes: (${roles.join(', ')}), and read through the one you mean.`;
    return;
  }
}

/** A narrow signed type: `char` is signed on BPF, as are `short` and the s8/s16 typedefs. */
const NARROW_SIGNED = /^\s*(?:(?:const|volatile|signed)\s+)*(?:char|short|__s8|s8|int8_t|__s16|s16|int16_t)\b/;

/**
 * A negative offset that the log shows sign-extended from a byte or half-word (`r0 <<= 56;
 * r0 s>>= 56`, or `(s8)` on newer CPUs): a `char` or `short` the offset is computed from, which
 * turns a length byte of 0x80 or more into a negative step.
 */
export function narrowSignedOperand(s: CauseState): void {
  const { f, sources, records, pos } = s;
  if (!sources || !f.file || !f.line || !/negative|min value/.test(f.message)) return;
  const extended = records
    .slice(Math.max(0, pos - 400), pos + 1)
    .some((r) => r.kind === 'insn' && /s>>= (?:56|48)$|= \(s(?:8|16)\)/.test(r.disasm));
  const file = findSource(sources, f.file);
  if (!extended || !file) return;
  const lines = file[1].split('\n');
  const header = functionHeader(sources, f.file, f.line)?.line ?? 1;
  const end = functionEnd(sources, f.file, f.line)?.line ?? lines.length;
  // The names on the failing line, and those their assignments in this function (in a loop, also
  // below the line) are computed from.
  const names = new Set([...withoutComment(f.sourceText).matchAll(/\b([a-z_]\w*)\b(?!\s*\()/g)].map((m) => m[1]));
  for (const name of [...names])
    for (let i = header; i < end - 1; i++) {
      const m = new RegExp(String.raw`\b${name}\s*[-+]?=\s*([^;]+);`).exec(withoutComment(lines[i]));
      if (m) for (const x of m[1].matchAll(/\b([a-z_]\w*)\b(?!\s*\()/g)) names.add(x[1]);
    }
  for (const name of names) {
    const decl = localDeclaration(sources, f.file, f.line, name);
    const text = decl ? withoutComment(lines[decl.line - 1]).trim() : '';
    if (!decl || !NARROW_SIGNED.test(text) || f.related.some((r) => r.line === decl.line && r.file === file[0])) continue;
    const type = NARROW_SIGNED.exec(text)![0].trim();
    f.related.push({
      file: file[0],
      line: decl.line,
      message: `\`${name}\` is declared \`${type}\`, a signed type: a value read into it from 0x80 (or 0x8000) up is negative`,
    });
    f.explanation += ` The log sign-extends a narrow value on the way to this offset, and \`${name}\` is declared \`${text}\`: \`${type}\` is signed on BPF, so a byte of 0x80 or more read into it becomes a negative number and moves the offset backwards.`;
    const base = type.replace(/^(?:(?:const|volatile|signed)\s+)*/, '');
    const unsigned =
      {
        char: 'unsigned char',
        short: 'unsigned short',
        __s8: '__u8',
        s8: 'u8',
        int8_t: 'uint8_t',
        __s16: '__u16',
        s16: 'u16',
        int16_t: 'uint16_t',
      }[base] ?? `unsigned ${base}`;
    f.fix = `Declare \`${name}\` unsigned (\`${unsigned} ${name};\`), so it stays 0..${/short|16/.test(base) ? '65535' : '255'}.`;
    return;
  }
}

/** The comparison inside the program's own function that a check line calls (`if (!ok(x))`). */
function comparisonInCallee(
  sources: ReadonlyMap<string, string>,
  file: string,
  line: number,
): { file: string; line: number; text: string; callee: string } | undefined {
  const code = withoutComment(sourceLine(sources, file, line));
  const callee = /\b(?!(?:if|while|for|sizeof|bpf_\w+|__builtin_\w+)\b)([A-Za-z_]\w*)\s*\(/.exec(
    code.replace(/^\s*(?:if|while)\s*\(/, ''),
  )?.[1];
  const body = callee ? functionBody(sources, callee, file) : undefined;
  const lines = body?.text.split('\n') ?? [];
  const k = lines.findIndex((l) => /[^<>=!-]\s*[<>]=?\s*[^<>=]/.test(withoutComment(l).replace(/->/g, '.')));
  return body && callee && k >= 0 ? { file: body.file, line: body.line + 1 + k, text: withoutComment(lines[k]).trim(), callee } : undefined;
}

/** `r2 = *(u64 *)(r1 +8)` in a BPF_PROG()-style program: the parameter of the wrapper it reads. */
function nullableProgramArgument(s: CauseState, disasm: string): string | undefined {
  const { sources, program } = s;
  const def = sources && program ? programDefinition(sources, program, s.f.file) : undefined;
  const lines = def && sources ? (findSource(sources, def.file)?.[1] ?? '').split('\n') : [];
  const header = def ? wrapperHeader(lines, def.line) : undefined;
  const arg = header && /^r\d+ = \*\(u64 \*\)\(r1 \+\d+\)$/.test(disasm) ? wrapperArgument(header.macro, disasm) : undefined;
  return arg !== undefined ? header!.params[arg] : undefined;
}

/**
 * A helper argument that must be read-only (a format string in .rodata) passed as a global that
 * is not `const`: it lives in .data, which the program may write, so its bytes are not known.
 */
export function nonConstGlobal(s: CauseState): void {
  const { f, sources } = s;
  const arg = f.details?.argument?.replace(/^&\s*/, '');
  if (!sources || !arg || !/^\w+$/.test(arg) || !/readonly map|read-only|not a constant|\.data\b/.test(`${f.message} ${f.explanation}`))
    return;
  const decl = symbolDeclaration(sources, arg, f.file);
  const text = decl ? withoutComment(sourceLine(sources, decl.file, decl.line)).trim() : '';
  if (!decl || /\bconst\b/.test(text) || /^\s/.test(sourceLine(sources, decl.file, decl.line) ?? ' ')) return;
  if (f.related.some((r) => r.line === decl.line && r.file === decl.file)) return;
  f.related.push({ ...decl, message: `\`${arg}\` is declared here without const: it lives in .data, which the program can change` });
  f.explanation += ` \`${arg}\` is a global declared without \`const\` (\`${text}\`, line ${decl.line}), so it is in .data: the verifier cannot rely on its bytes, and this argument must be read-only.`;
  f.fix = `Declare it \`const\` (\`${text.replace(/^(?:static\s+)?/, (m) => `${m}const `)}\`) so it lives in .rodata, or pass a string literal.`;
}

/** A number passed where the helper needs a pointer to it (`bpf_map_lookup_elem(&m, (void *)(long)pid)`). */
export function valueForPointer(s: CauseState): void {
  const { f, d, sources } = s;
  const arg = f.details?.argument;
  if (!sources || !f.file || !f.line || !arg || !/^(?:scalar|inv)/.test(d.type ?? '') || !/expected=/.test(f.message)) return;
  const name = /^(?:\(\s*[\w\s*]+\)\s*)*(\w+)$/.exec(arg.trim())?.[1];
  const decl = name && !/^(?:NULL|0)$/.test(name) ? localDeclaration(sources, f.file, f.line, name) : undefined;
  const text = decl ? withoutComment(sourceLine(sources, decl.file, decl.line)).trim() : '';
  if (!decl || !name || new RegExp(String.raw`\*\s*${name}\b`).test(text)) return;
  f.explanation += ` \`${name}\` is a number (\`${text}\`, line ${decl.line}), and the call passes its value${arg.trim() !== name ? ` cast to a pointer (\`${arg.trim()}\`)` : ''} where the helper needs the address of the memory that holds it.`;
  f.fix = `Pass its address: \`&${name}\` (the variable stays on the stack, where the helper reads it).`;
}

/**
 * `bpf_probe_read_kernel(e->caps, 24, src)` where `caps` is `u64 caps[2]`: a helper writes more
 * bytes into a struct member than the member has, past the end of the region it lies in.
 */
export function memberTooSmall(s: CauseState): void {
  const { f, d, sources, failing, named } = s;
  // (The size as the message's group names it, or as `mem_size=92 off=24 size=390` writes it.)
  const written = d.size ?? /\bsize=(\d+)/.exec(f.message)?.[1];

  if (!sources || !f.file || !failing || !/^call /.test(failing.disasm) || named === undefined || written === undefined) return;
  if (!/mem-region|map-value|out-of-range/.test(f.catalogId ?? '')) return;
  const dest = argumentExpression(s.statement, named - 1)?.trim();
  const m = dest ? /^&?\s*([a-z_]\w*)\s*(?:->|\.)\s*(\w+)$/.exec(dest) : null;
  if (!m) return;
  const [, holder, member] = m;
  // The holder's struct, as the failing file declares it (other programs may reuse the name).
  const own = findSource(sources, f.file)?.[1] ?? '';
  const type = new RegExp(String.raw`\bstruct\s+(\w+)(?:\s*\*\s*|\s+)${holder}\b`).exec(own)?.[1];
  const decl = type ? structMember(sources, type, member, f.file) : undefined;
  const size = decl ? typeSize(sources, decl.memberType, decl.dims, decl.file)?.bytes : undefined;
  if (!decl || !size || Number(written) <= size || f.related.some((r) => r.line === decl.line && r.file === decl.file)) return;
  const sizeArg = argumentExpression(s.statement, named)?.trim();
  f.related.push({ ...decl, message: `\`${member}\` is declared here: ${size} bytes (\`${decl.text}\`)` });
  f.explanation += ` The call writes ${written} bytes${sizeArg ? ` (\`${sizeArg}\`)` : ''} into \`${holder}->${member}\`, which is \`${decl.text}\`: ${size} bytes, so it runs ${Number(written) - size} bytes past the member${decl.offset !== undefined ? ` (at offset ${decl.offset} of struct ${type})` : ''} and past the end of the memory it lies in.`;
  f.fix = `Copy at most the member's size: \`sizeof(${holder}->${member})\`, or make \`${member}\` large enough for ${written} bytes.`;
}
