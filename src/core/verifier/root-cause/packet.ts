// Packet pointers: the data_end check that proves an access, and helpers that invalidate it.
// The root-cause function of each of these families' causes; index.ts runs them in order.
import { findSource } from '../locate';
import { previous, traceRegister } from '../provenance';
import {
  argumentExpression,
  assignedVariable,
  assignmentAbove,
  callSitesTo,
  comparisonAbove,
  enclosingLoop,
  escape,
  functionBody,
  functionEnd,
  functionHeader,
  localDeclaration,
  macroText,
  programDefinition,
  wrapperParams,
  sourceLine,
  memberAccess,
  pointeeStruct,
  pointerReadThrough,
  withoutComment,
} from '../source-hints';
import type { Finding, RelatedLocation, RootCause } from '../types';
import type { SourceLine } from '../source-hints';
import type { CauseState } from './state';
import { hasBackwardJump, packetChangeBefore } from './common';

/** The names a packet's end goes by in a comparison: data_end, a sockopt's optval_end, `end`. */
const PACKET_END = /\b(?:data_end|optval_end|\w+_end|end)\b/;

/** What the line reads, in the program's words: `` `tcp->dest` `` through `via`, or `` `via` ``. */
const readThrough = (via: string, readVia: { pointer: string; field: string } | undefined) =>
  readVia?.pointer === via ? `\`${via}->${readVia.field}\`` : `\`${via}\``;

/** Drops the sentence naming the check the path's last comparison was found at, when another check is the one that matters. */
const forgetPathCheck = (f: Finding) => {
  f.explanation = f.explanation.replace(/ The check on this path is `[^`]*`:[^.]*\./, '');
};

/**
 * `fixed = pull(&cur, end, 2);` then `*(__be16 *)cur`: a parse helper of the sources that checks
 * the bytes at the cursor against the end and then advances the cursor through its address. The
 * last such call proved the bytes before the new position, not the ones the line reads.
 */
function cursorAdvanced(s: CauseState, readVia: { pointer: string; field: string } | undefined): boolean {
  const { f, sources } = s;
  const file = sources && f.file ? findSource(sources, f.file) : undefined;
  if (!sources || !file || !f.line) return false;
  const lines = file[1].split('\n');
  const names = new Set([...withoutComment(f.sourceText).matchAll(/\b([a-z_]\w*)\b(?!\s*\()/g)].map((m) => m[1]));
  const header = functionHeader(sources, file[0], f.line)?.line ?? 1;
  for (let i = f.line - 2; i >= header; i--) {
    const code = withoutComment(lines[i]);
    const call = /\b([A-Za-z_]\w*)\s*\(([^;]*)\)/.exec(code);
    const cursor = call ? /&\s*([a-z_]\w*)\b/.exec(call[2])?.[1] : undefined;
    if (!call || !cursor || !names.has(cursor)) continue;
    const body = functionBody(sources, call[1], file[0])?.text ?? '';
    // It checks against an end and writes the moved cursor back through its pointer parameter.
    if (!/[<>]/.test(body.replace(/->/g, '')) || !/\*\s*\w+\s*(?:\+?=)(?!=)/.test(body)) return false;
    const member = readVia?.pointer === cursor ? `\`${cursor}->${readVia.field}\`` : `the bytes at \`${cursor}\``;
    f.related.push({
      file: file[0],
      line: i + 1,
      message: `${call[1]}() proves the bytes at \`${cursor}\` and then moves \`${cursor}\` past them: nothing checks the bytes at its new position`,
    });
    f.explanation += ` \`${call[1]}()\` (line ${i + 1}) checks the bytes at \`${cursor}\` against the end and then advances \`${cursor}\` past them: this line reads ${member} at the advanced cursor, which no check has covered.`;
    f.fix = `Pull what this line reads as well (\`${call[1]}(&${cursor}, ..., sizeof(...))\`) and read through the pointer it returns, instead of reading at \`${cursor}\` after the last ${call[1]}().`;
    return true;
  }
  return false;
}

/**
 * `if ((void *)tcp + 1 > data_end)` between `tcp`'s assignment and its read: once cast to void *,
 * `+ 1` adds one byte, so the check proves one byte past `tcp`, not the header.
 */
function byteCheckOfPointer(
  s: CauseState,
  set: { file: string; line: number; text: string },
  via: string,
  readVia: { pointer: string; field: string } | undefined,
  proven: string | undefined,
  needed: number | undefined,
  onPath: RelatedLocation,
): boolean {
  const { f, sources } = s;
  if (!sources || !f.line) return false;
  const check = comparisonAbove(
    sources,
    set.file,
    f.line,
    new RegExp(String.raw`\(\s*(?:void|char|__u8|u8)\s*\*\s*\)\s*${via}\s*\+\s*(\d+)\s*>\s*\w*data_end\b`),
  );
  if (!check || check.line <= set.line) return false;
  const text = withoutComment(sourceLine(sources, check.file, check.line)).trim();
  const n = /\+\s*(\d+)\s*>/.exec(text)?.[1];
  const type = pointeeStruct(findSource(sources, set.file)?.[1] ?? '', via);
  const member = readThrough(via, readVia);
  // It, not the check the path's comparison was taken for, is the check of this pointer.
  Object.assign(onPath, {
    ...check,
    message: `this check proves ${n} byte${n === '1' ? '' : 's'} past \`${via}\`: cast to void *, \`+ ${n}\` counts bytes, not ${type ? `struct ${type}s` : 'headers'}`,
  });
  forgetPathCheck(f);
  f.explanation += ` The check of \`${via}\` at line ${check.line}, \`${text}\`, casts \`${via}\` to a byte pointer before adding ${n}: it proves ${n} byte${n === '1' ? '' : 's'} past \`${via}\`${proven ? ` (${proven} from the packet's start)` : ''}, while ${member} needs ${needed ? `${needed}` : 'more'}.`;
  f.fix = `Check the whole header: \`if ((void *)(${via} + 1) > data_end) return ...;\` (\`${via} + 1\` is one ${type ? `struct ${type}` : 'header'} further), or \`(void *)${via} + sizeof(*${via}) > data_end\`.`;
  return true;
}

/**
 * `struct frag_hdr *fh = (void *)oh;` after `if ((void *)(oh + 1) > data_end)`: the check proves
 * the size of what `oh` points to, and `fh` reads the same address as a larger header.
 */
function castAlias(
  s: CauseState,
  set: { file: string; line: number; text: string },
  via: string,
  readVia: { pointer: string; field: string } | undefined,
): boolean {
  const { f, sources } = s;
  if (!sources || !f.line) return false;
  const other = /=\s*(?:\(\s*(?:const\s+)?(?:void|struct\s+\w+|\w+)\s*\*\s*\)\s*)?([A-Za-z_]\w*)\s*;/.exec(withoutComment(set.text))?.[1];
  if (!other || other === via) return false;
  const check = comparisonAbove(
    sources,
    set.file,
    set.line,
    new RegExp(String.raw`\b${other}\b[^;]*\bdata_end\b|\bdata_end\b[^;]*\b${other}\b`),
  );
  if (!check) return false;
  const text = findSource(sources, set.file)?.[1] ?? '';
  const [from, to] = [pointeeStruct(text, other), pointeeStruct(text, via)];
  if (!from || !to || from === to) return false;
  const checkText = withoutComment(sourceLine(sources, check.file, check.line)).trim();
  const member = readThrough(via, readVia);
  f.related.push({
    ...check,
    message: `this check proves the bytes of a struct ${from} at \`${other}\`; \`${via}\` reads the same address as a struct ${to}`,
  });
  // This check, not the comparison the path's last branch was found at, is the one that matters.
  forgetPathCheck(f);
  f.explanation += ` \`${via}\` is \`${other}\` cast to a struct ${to} (line ${set.line}), and the check \`${checkText}\` (line ${check.line}) proves only the size of a struct ${from}: ${member} lies beyond it.`;
  f.fix = `After line ${set.line}, check \`if ((void *)(${via} + 1) > data_end) return ...;\` before reading ${member}.`;
  return true;
}

/**
 * `tcp = (void *)iph + hlen;` after the one data_end check: a pointer moved by a value known only
 * at run time is a new pointer the earlier check says nothing about. And a check whose end itself
 * adds a run-time length (`(void *)(gnv + 1) + opt_bytes > data_end`) proves only its fixed part.
 */
function variableAdvance(
  s: CauseState,
  set: { file: string; line: number; text: string },
  via: string,
  checkLine: number,
  readVia: { pointer: string; field: string } | undefined,
): boolean {
  const { f, sources } = s;
  if (!sources) return false;
  const code = withoutComment(set.text).trim().replace(/;$/, '');
  const by = /[+]\s*\(?\s*([a-z_]\w*)\s*\)?\s*$/.exec(code)?.[1];
  if (!by || by === via) return false;
  const from = assignmentAbove(sources, set.file, set.line, by);
  const fromText = from && !from.parameter ? withoutComment(from.text).trim() : undefined;
  const checkText = withoutComment(sourceLine(sources, set.file, checkLine)).trim();
  const member = readThrough(via, readVia);
  f.related.push({
    file: set.file,
    line: set.line,
    message: `\`${via}\` is moved here by \`${by}\`, known only at run time: the check at line ${checkLine} does not carry over to it`,
  });
  f.explanation += ` \`${via}\` is \`${code.replace(/^.*?=\s*/, '')}\` (line ${set.line})${fromText ? `, and \`${by}\` is set at line ${from!.line} (\`${fromText}\`)` : ''}: adding a value known only at run time makes a new packet pointer, about which the check at line ${checkLine} (\`${checkText}\`) proves nothing, so ${member} needs a check of its own.`;
  // The earlier check's own end may add a run-time length too.
  const length = /\+\s*([a-z_]\w*)\s*\)?\s*>\s*\w*data_end\b/.exec(checkText)?.[1];
  const lengthSet = length ? assignmentAbove(sources, set.file, checkLine, length) : undefined;
  if (length && lengthSet && !lengthSet.parameter)
    f.explanation += ` That check adds \`${length}\` (\`${withoutComment(lengthSet.text).trim()}\`, line ${lengthSet.line}) to its end: a check of a run-time length proves bytes only for the pointer it compares, not for the pointers computed from it later.`;
  f.fix = `After line ${set.line}, check \`if ((void *)(${via} + 1) > data_end) return ...;\` before reading ${member}.`;
  return true;
}

/** The operand a packet pointer check compares `via`'s expression with (`pkt_end` in `(void *)(p + 4) > pkt_end`). */
function endOperand(check: string, via: string): string | undefined {
  const code = check.replace(/->/g, '.');
  const m = /^(.*?)\s*([<>]=?)\s*(.*)$/.exec(code.replace(/^\s*(?:if|while)\s*\(/, ''));
  if (!m) return undefined;
  const side = new RegExp(String.raw`\b${via}\b`).test(m[1]) ? m[3] : m[1];
  return /^[\s(]*(?:\(\s*void\s*\*\s*\)\s*)?([A-Za-z_]\w*)\s*\)*/.exec(side)?.[1];
}

/**
 * `parse_icmp6hdr(&nh, data_end, &icmp6);` as a statement between `via`'s assignment and its read:
 * a function of the sources that checks data_end and returns early, whose result nobody tests.
 */
function ignoredBoundsCheck(
  sources: ReadonlyMap<string, string>,
  file: string,
  from: number,
  to: number,
  via: string,
): { line: number; name: string; call: string } | undefined {
  const lines = (findSource(sources, file)?.[1] ?? '').split('\n');
  for (let i = from - 1; i < to - 1 && i < lines.length; i++) {
    const m = /^\s*(?:\(void\)\s*)?([A-Za-z_]\w*)\s*\(((?:[^()]|\([^()]*\))*)\)\s*;/.exec(withoutComment(lines[i]));
    if (!m || /^(?:if|while|for|switch|return|sizeof|bpf_\w+|__builtin_\w+)$/.test(m[1])) continue;
    if (!new RegExp(String.raw`\b${via}\b|\bdata_end\b`).test(m[2])) continue;
    const text = functionBody(sources, m[1], file)?.text ?? '';
    if (/data_end/.test(text) && /[<>]/.test(text.replace(/->/g, '')) && /\breturn\b/.test(text))
      return { line: i + 1, name: m[1], call: `${m[1]}(${m[2]})` };
  }
  return undefined;
}

/**
 * A data_end check of `via` between its assignment and the read that counts the size of another
 * header (`(void *)dns + sizeof(*udp) > data_end`, or a struct `via` is not declared as).
 */
function checkedWithOtherSize(
  sources: ReadonlyMap<string, string>,
  file: string,
  from: number,
  to: number,
  via: string,
): { line: number; text: string; size: string; declared?: string } | undefined {
  const lines = (findSource(sources, file)?.[1] ?? '').split('\n');
  const decl = localDeclaration(sources, file, to, via);
  const declared = decl ? pointeeStruct(withoutComment(lines[decl.line - 1]), via) : undefined;
  for (let i = from; i < to - 1 && i < lines.length; i++) {
    const code = withoutComment(lines[i]);
    if (!new RegExp(String.raw`\b${via}\b`).test(code) || !/\bdata_end\b/.test(code)) continue;
    const size = /\bsizeof\s*\(\s*(\*\s*\w+|struct\s+\w+)\s*\)/.exec(code)?.[1].replace(/\s+/g, ' ');
    if (!size) return undefined;
    const other = size.startsWith('*') ? size.slice(1).trim() !== via : declared !== undefined && size !== `struct ${declared}`;
    return other ? { line: i + 1, text: code.trim(), size, declared } : undefined;
  }
  return undefined;
}

/**
 * The compiler merged a bounds helper's data_end comparison, inlined, with the caller's NULL test
 * of what it returned (`eth = ptr_at(ctx, 0, sizeof(*eth)); if (!eth)`): the check is the
 * comparison in that helper's body. Its size parameter, when the comparison leaves it out, is why
 * nothing past the pointer is proven.
 */
function checkInBoundsHelper(
  sources: ReadonlyMap<string, string>,
  at: RelatedLocation,
  text: string | undefined,
  f: Finding,
): (RelatedLocation & { text?: string }) | undefined {
  const tested = /\bif\s*\(\s*(?:!\s*(\w+)|(\w+)\s*==\s*(?:NULL|0))\s*\)/.exec(withoutComment(text ?? ''));
  const name = tested?.[1] ?? tested?.[2];
  if (!name || !at.file || !at.line) return undefined;
  const set = assignmentAbove(sources, at.file, at.line, name);
  const callee = set && /=\s*(?:\([^()]*\)\s*)?([A-Za-z_]\w*)\s*\(/.exec(withoutComment(set.text))?.[1];
  const def = callee ? programDefinition(sources, callee, at.file) : undefined;
  const end = def ? functionEnd(sources, def.file, def.line + 1) : undefined;
  const check = def && end ? comparisonAbove(sources, def.file, end.line, PACKET_END) : undefined;
  if (!def || !check || check.line <= def.line) return undefined;
  const checkText = withoutComment(sourceLine(sources, check.file, check.line)).trim();
  const header = withoutComment(sourceLine(sources, def.file, def.line));
  const left = wrapperParams(header).filter((p) => /len|size|sz|bytes/i.test(p) && !new RegExp(String.raw`\b${p}\b`).test(checkText));
  f.explanation += ` \`${name}\` comes from \`${callee}()\` (line ${set!.line}), whose data_end check \`${checkText}\` the compiler merged with the test of its result.`;
  if (left.length) {
    const read = memberAccess(f.sourceText);
    const member = read && read.pointer === name ? `, not even \`${name}->${read.field}\` read here` : '';
    f.explanation += ` \`${callee}()\` takes \`${left[0]}\`, the size of what it returns, but its check does not add it, so it proves no bytes past the pointer it returns${member}.`;
    f.fix = `Count the size in \`${callee}()\`'s check: \`${checkText.replace(/\s*>\s*/, ` + ${left[0]} > `)}\`.`;
  }
  return {
    ...check,
    message: `the data_end check in ${callee}(), where \`${name}\` comes from${left.length ? `: it leaves out \`${left[0]}\`` : ''}`,
  };
}

/**
 * The data_end check the read needed exists, in the wrong place: below the read (`proto =
 * iph->protocol;` then `if (iph + 1 > data_end)`), or above the nearest check, of another pointer.
 */
function checkBelow(s: CauseState, set: SourceLine & { text: string }, via: string, wrongPointer: boolean): boolean {
  const { f, sources } = s;
  if (!sources || !f.file || !f.line || set.file !== f.file) return false;
  const lines = (findSource(sources, f.file)?.[1] ?? '').split('\n');
  const end = functionEnd(sources, f.file, f.line)?.line ?? f.line + 40;
  const own = new RegExp(String.raw`\b${via}\b`);
  const isCheck = (l: string) => /\bif\s*\(.*\bdata_end\b/.test(l);
  for (let i = f.line; i < end && i < f.line + 40; i++) {
    const code = withoutComment(lines[i] ?? '');
    if (/^\s*(?:[\w*\s]+\s)?\**\s*\w+\s*=[^=]/.test(code) && new RegExp(String.raw`^\s*(?:[\w*\s]+\s)?\**\s*${via}\s*=[^=]`).test(code))
      break;
    if (!isCheck(code) || !own.test(code)) continue;
    f.related.push({
      file: f.file,
      line: i + 1,
      message: `this check of \`${via}\` comes after the read at line ${f.line}: on the way there nothing is proven yet`,
    });
    f.explanation += ` \`${via}\` is checked at line ${i + 1} (\`${code.trim()}\`), after the read at line ${f.line}: the verifier follows the instructions in order, so the read comes first and is refused.`;
    f.fix = `Move the check at line ${i + 1} above line ${f.line}, so \`${via}\` is proven before it is read.`;
    return true;
  }
  // A check further up than the nearest one (which the wrong-pointer step reads), of another pointer.
  for (let i = set.line; i < f.line - 1 && !wrongPointer; i++) {
    const code = withoutComment(lines[i] ?? '');
    if (!isCheck(code) || own.test(code.replace(/\bsizeof\s*\([^)]*\)/g, ''))) continue;
    const lhs = /\bif\s*\(\s*\(?(.*?)\s*(?:>|>=)\s*\w*data_end\b/.exec(code)?.[1]?.trim();
    f.related.push({
      file: f.file,
      line: i + 1,
      message: `this check is of ${lhs ? `\`${lhs}\`` : 'another pointer'}, not of \`${via}\`, set at line ${set.line}`,
    });
    f.explanation += ` The data_end check after \`${via}\` is set, at line ${i + 1} (\`${code.trim()}\`), checks ${lhs ? `\`${lhs}\`` : 'another pointer'}, not \`${via}\`: ${/\*|\bihl\b|\bdoff\b|\blen\b/.test(set.text) ? `\`${via}\` lies at an offset known only at run time, so only a check of \`${via}\` itself proves its bytes` : `it proves nothing about the bytes at \`${via}\``}.`;
    f.fix = `Check \`${via}\` itself: \`if ((void *)(${via} + 1) > data_end) return ...;\` at line ${i + 1}.`;
    return true;
  }
  return false;
}

/**
 * A function-like macro that compares a pointer plus a length with the packet's end (`ENSURE(p,
 * len, end)`), used on `via` between its assignment and the read: the length given is what it
 * proves, and the read reaches further.
 */
function macroCheck(
  s: CauseState,
  set: SourceLine & { text: string },
  via: string,
  readVia: { pointer: string; field: string } | undefined,
): boolean {
  const { f, sources, d } = s;
  if (!sources || !f.file || !f.line || set.file !== f.file) return false;
  const lines = (findSource(sources, f.file)?.[1] ?? '').split('\n');
  for (let i = f.line - 2; i >= set.line; i--) {
    const code = withoutComment(lines[i] ?? '');
    const call = /\b([A-Z_][A-Z0-9_]*)\s*\(/.exec(code);
    if (!call) continue;
    const args = [0, 1, 2, 3].map((k) => argumentExpression(code.slice(call.index), k)?.trim());
    const at = args.indexOf(via);
    const body = at >= 0 ? macroText(lines, call[1]) : undefined;
    if (!body || !/[<>]/.test(body.replace(/->/g, '')) || !/\b(?:return|goto)\b/.test(body)) continue;
    const size = args[at + 1];
    const proven = /\br=(\d+)/.exec(f.message)?.[1];
    const needed = d.off !== undefined && d.size !== undefined ? Number(d.off) + Number(d.size) : undefined;
    const read = readVia?.pointer === via ? `\`${via}->${readVia.field}\`` : `the read through \`${via}\``;
    const stmt = code.trim();
    f.related.push({
      file: f.file,
      line: i + 1,
      message: `this check of \`${via}\` proves ${size ? `\`${size}\` bytes` : 'fewer bytes'} from it; ${read} reaches further`,
    });
    f.explanation += ` \`${via}\` is checked at line ${i + 1} with the macro ${call[1]}() (\`${stmt}\`), which compares \`${via}\` plus ${size ? `\`${size}\`` : 'its length'} with the packet's end: it proves only that many bytes from \`${via}\`${proven && needed ? ` (${proven} bytes of the packet), and ${read} reaches byte ${needed}` : `, and ${read} reaches further`}.`;
    if (size) f.fix = `Check the whole header: \`${stmt.replace(size, `sizeof(*${via})`)}\` (or the size up to the end of the field read).`;
    return true;
  }
  return false;
}

/**
 * `p = payload(data, data_end, 7);` where the function checks `data + need > data_end` and returns
 * `data + sizeof(...)`: its check counts from another place than the pointer it returns.
 */
function returnedPastCheck(s: CauseState, set: SourceLine & { text: string }, via: string): boolean {
  const { f, sources } = s;
  const callee = /=\s*(?:\([^()]*\)\s*)?([A-Za-z_]\w*)\s*\(/.exec(withoutComment(set.text))?.[1];
  const body = sources && callee ? functionBody(sources, callee, set.file) : undefined;
  if (!sources || !body || !callee) return false;
  const lines = body.text.split('\n');
  const at = lines.findIndex((l) => /\bif\s*\(.*[<>].*\b(?:data_end|end)\b/.test(withoutComment(l)));
  const check = at >= 0 ? withoutComment(lines[at]).trim() : '';
  const from = /\bif\s*\(\s*(?:\(\s*void\s*\*\s*\)\s*)?\(?\s*(.+?)\s*\)?\s*>=?\s*\w*end\b/.exec(check)?.[1];
  const returned = lines
    .map((l) => /^\s*return\s+(.+?)\s*;/.exec(withoutComment(l))?.[1])
    .filter((r): r is string => !!r && !/^(?:NULL|0|\(void \*\)0)$/.test(r))
    .pop();
  if (!from || !returned || !/\+/.test(returned)) return false;
  // The terms the return adds that the check does not count.
  const terms = returned
    .split('+')
    .map((t) => t.trim())
    .filter((t) => !from.includes(t));
  if (!terms.length) return false;
  const line = body.line + 1 + at;
  f.related.push({
    file: body.file,
    line,
    message: `\`${callee}()\` checks \`${from}\` against the end here, but returns \`${returned}\`: the check does not count ${terms.map((t) => `\`${t}\``).join(' + ')}`,
  });
  f.explanation += ` \`${via}\` comes from \`${callee}()\` (line ${set.line}), which checks \`${from}\` against the packet's end (line ${line}) and returns \`${returned}\`: the bytes it proves start at its check's pointer, not at the one it returns, so what is read through \`${via}\` is not proven.`;
  f.fix = `In \`${callee}()\`, check the end of what it returns: \`if (${returned} + <bytes read> > data_end) return NULL;\` (count ${terms.join(' + ')} in the check).`;
  return true;
}

export const packetCauses = {
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
      const cmp = r.kind === 'insn' ? /^if [rw](\d+) [<>]=? [rw](\d+) goto/.exec(r.disasm) : null;
      // A comparison of numbers (`if (hlen < sizeof(*iph))` with the constant in a register) is no
      // data_end check: both sides of one are pointers.
      if (
        cmp &&
        [cmp[1], cmp[2]].some((reg) => /= (?:-?\d+|0x[0-9a-f]+)$/.test(traceRegister(records, i, Number(reg)).at(-1)?.disasm ?? ''))
      )
        continue;
      if (r.kind === 'insn' && cmp) {
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
        let inHelper = false;
        if (sources && f.file && f.line && !/[<>]/.test((text ?? '').replace(/->/g, ''))) {
          const above = comparisonAbove(sources, f.file, f.line, PACKET_END);
          const check = above ?? checkInBoundsHelper(sources, at, text, f);
          inHelper = !above && !!check;
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
        // The pointer the line reads through, set above from another pointer plus an offset.
        const stmt = withoutComment(f.sourceText);
        const via = pointerReadThrough(stmt);
        const set = via && sources && f.file && f.line ? assignmentAbove(sources, f.file, f.line, via) : undefined;
        const readVia = memberAccess(f.sourceText);
        // Its own check, when it counts another header's size, is the check on this path.
        const wrong = set && via ? checkedWithOtherSize(sources!, set.file, set.line, f.line!, via) : undefined;
        if (wrong) Object.assign(at, { file: set!.file, line: wrong.line });
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
        if (helperCheck && sizeArg && readVia && new RegExp(String.raw`\b${readVia.pointer}\b`).test(helperCheck[2])) {
          f.explanation += ` The check on this path is \`${checkText!.replace(/\s*\/\*.*$/, '').trim()}\`: ${helperCheck[1]}() is given \`sizeof(${sizeArg})\` for \`${readVia.pointer}\`${proven ? `, which proves ${proven} bytes` : ''}, and \`${readVia.pointer}->${readVia.field}\` lies beyond that${needed ? ` (this access reaches byte ${needed})` : ''}.`;
          f.fix = `Pass the size of what \`${readVia.pointer}\` points to: \`${helperCheck[1]}(${helperCheck[2].replace(/\bsizeof\s*\(\s*[^)]+?\s*\)/, `sizeof(*${readVia.pointer})`)})\`.`;
        }
        if (wrong) {
          at.message = `this check of \`${via}\` counts \`sizeof(${wrong.size})\`, the size of another header`;
          f.explanation += ` It checks \`${via}\` with \`sizeof(${wrong.size})\`, the size of another header than the one \`${via}\` points to${wrong.declared ? ` (\`struct ${wrong.declared}\`)` : ''}${readVia?.pointer === via ? `, so \`${via}->${readVia!.field}\` lies beyond what it proves` : ''}.`;
          f.fix = `Check with the size of what \`${via}\` points to: \`${wrong.text.replace(`sizeof(${wrong.size})`, `sizeof(*${via})`)}\`.`;
          return;
        }
        // ... or no data_end check of its own: its assignment is where the check must follow.
        const checked =
          inHelper || (via && checkText ? new RegExp(String.raw`\b${via}\b`).test(checkText.replace(/\bsizeof\s*\([^)]*\)/g, '')) : false);
        // A check between the assignment and the read that tests another pointer (copied from the
        // parser of the previous header): the check meant for this one.
        const near = !checked && set && via && f.file && f.line ? comparisonAbove(sources!, f.file, f.line, PACKET_END) : undefined;
        const nearText = near ? withoutComment(sourceLine(sources, near.file, near.line)).trim() : '';
        const other = near && near.line > set!.line ? /\(\s*(?:\(\s*void\s*\*\s*\)\s*)?\(?\s*(\w+)\s*\+/.exec(nearText)?.[1] : undefined;
        // (`sizeof(*tcp)` in it does not make it a check of `tcp`.)
        const wrongPointer = !!(
          near &&
          other &&
          other !== via &&
          !new RegExp(String.raw`\b${via}\b`).test(nearText.replace(/\bsizeof\s*\([^)]*\)/g, ''))
        );
        if (wrongPointer) {
          f.related.push({
            ...near!,
            message: `this data_end check tests \`${other}\`, not \`${via}\`, which line ${f.line} reads through`,
          });
          const endName = /(?:>|>=)\s*([\w>.-]+?)\s*\)\s*(?:\{|return\b|$)/.exec(nearText)?.[1] ?? 'data_end';
          const sameAddress = set && new RegExp(String.raw`=\s*(?:\([^)]*\)\s*)?([\w>.-]+)\s*;`).exec(withoutComment(set.text))?.[1];
          const alias =
            sameAddress &&
            new RegExp(String.raw`\b${other}\s*=\s*(?:\([^)]*\)\s*)?${escape(sameAddress)}\s*;`).test(
              findSource(sources!, near!.file)?.[1] ?? '',
            );
          f.explanation += ` Line ${near.line}, \`${nearText}\`, checks \`${other}\` against ${endName}, not \`${via}\`: ${alias ? `both point at \`${sameAddress}\`, but the check proves only the bytes of what \`${other}\` points to, and ${readVia?.pointer === via ? `\`${via}->${readVia!.field}\`` : `the read through \`${via}\``} lies further` : `it proves nothing about the bytes \`${via}\` points to`}${set!.line < f.line! && set!.line > near!.line - 8 && !alias ? ` (\`${via}\` is set at line ${set!.line}: \`${withoutComment(set!.text).trim()}\`)` : ''}.`;
          f.fix = `Check the pointer this line reads through: \`if ((void *)(${via} + 1) > ${endName})\`${readVia?.pointer === via ? `, which covers \`${via}->${readVia!.field}\`` : ''}.`;
        }
        // `pull(&cur, end, 2)` proves bytes at `cur` and then moves it: the read is at the new `cur`.
        if (!checked && f.line && cursorAdvanced(s, readVia)) return;
        // `(void *)tcp + 1 > data_end`: a check of `via` itself that adds bytes, not headers.
        if (set && via && !checked && f.line && byteCheckOfPointer(s, set, via, readVia, proven, needed, at)) return;
        // `fh = (void *)oh;`: the same address as a pointer that was checked, read as a larger header.
        if (set && via && !checked && f.line && castAlias(s, set, via, readVia)) return;
        // The check on the path was made before `via` was moved by a run-time offset.
        if (set && via && !checked && checkText && at.line && at.line < set.line && variableAdvance(s, set, via, at.line, readVia)) return;
        // A check of `via` itself that compares it with something other than data_end.
        const ownCheck =
          set && via && !checked && f.file && f.line
            ? comparisonAbove(sources!, f.file, f.line, new RegExp(String.raw`\b${via}\b`))
            : undefined;
        const ownText =
          ownCheck && ownCheck.line > set!.line ? withoutComment(sourceLine(sources, ownCheck.file, ownCheck.line)).trim() : '';
        const against = ownText && !/data_end/.test(ownText) ? endOperand(ownText, via!) : undefined;
        const end = against ? assignmentAbove(sources!, ownCheck!.file, ownCheck!.line, against) : undefined;
        if (ownCheck && against && end && !end.parameter) {
          const endName =
            /\b(\w+)\s*=\s*\([^)]*\)\s*\(\s*long\s*\)\s*\w+\s*->\s*data_end\b/.exec(findSource(sources!, ownCheck.file)?.[1] ?? '')?.[1] ??
            'data_end';
          f.related.push({
            ...ownCheck,
            message: `this check compares \`${via}\` with \`${against}\`, not with data_end: it proves nothing to the verifier`,
          });
          f.explanation += ` The check at line ${ownCheck.line}, \`${ownText}\`, compares \`${via}\` with \`${against}\` (\`${withoutComment(end.text).trim()}\`, line ${end.line}): only a comparison with the packet's end pointer, loaded from the context's data_end, proves packet bytes${/\blen\b/.test(end.text) ? ', and a packet length also counts bytes outside the linear data the program may read' : ''}${readVia && readVia.pointer === via ? `, so \`${via}->${readVia.field}\` is read unproven` : ''}.`;
          f.fix = `Compare with data_end: \`${ownText.replace(new RegExp(String.raw`\b${against}\b`), endName)}\`.`;
          return;
        }
        const ignored = set && via && !checked && f.line ? ignoredBoundsCheck(sources!, set.file, set.line, f.line, via) : undefined;
        if (ignored) {
          f.related.push({
            file: set!.file,
            line: ignored.line,
            message: `the result of ${ignored.name}() is ignored here: when its data_end check fails, \`${via}\` is read anyway`,
          });
          f.explanation += ` ${ignored.name}() checks the header against data_end and returns early when it is not all there, but its result is not tested at line ${ignored.line}: the path where its check failed goes on to read ${readThrough(via!, readVia)}, and with the result unused the compiler may drop the check altogether.`;
          f.fix = `Test the result and leave when it fails: \`if (${ignored.call} < 0) return ...;\`.`;
          return;
        }
        // `ENSURE(q, sizeof(q->flags), data_end);`: a check inside a macro, with too small a size.
        if (set && via && !checked && macroCheck(s, set, via, readVia)) return;
        // `ber = payload(data, data_end, 7)`: the helper checks from one place and returns another.
        const pastCheck = !!set && !!via && !checked && returnedPastCheck(s, set, via);
        if (set && !set.parameter && via && !checked && !f.related.some((r) => r.line === set.line && r.file === set.file)) {
          f.related.push({
            file: set.file,
            line: set.line,
            message: `\`${via}\` is set here, and no data_end check of \`${via}\` follows before it is read`,
          });
          const member = readVia?.pointer === via ? `\`${via}->${readVia.field}\`` : undefined;
          f.explanation += ` The line reads ${member ? `${member} ` : ''}through \`${via}\`, set at line ${set.line} (\`${withoutComment(set.text)}\`), and no check of \`${via}\` against data_end comes between.`;
          if (!wrongPointer && !pastCheck)
            f.fix = `After line ${set.line}, check \`if ((void *)(${via} + 1) > data_end) return ...;\` before reading \`${via}\`.`;
          if (checkBelow(s, set, via, wrongPointer)) return;
          // `opt = (__u8 *)(tcp + 1)`: the bytes after a header (its options) are beyond its check.
          const past = /\(\s*(\w+)\s*\+\s*1\s*\)/.exec(withoutComment(set.text))?.[1];
          const header = past ? pointeeStruct([...sources!.values()].join('\n'), past) : undefined;
          if (past && header) {
            const options = /^(?:tcphdr|iphdr)$/.test(header)
              ? ` (the ${header === 'tcphdr' ? 'TCP' : 'IPv4'} options, up to \`${past}->${header === 'tcphdr' ? 'doff' : 'ihl'} * 4\` bytes from the header's start)`
              : '';
            f.explanation += ` \`${via}\` points just past the struct ${header} at \`${past}\`: the check of \`${past} + 1\` proves the header itself, not the bytes after it${options}.`;
          }
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
  // A pointer into the packet used after a helper that may change the packet: that helper.
  'invalidated-packet': (s) => {
    const { f, records, pos, failing, posOf, relatedAt, locate, reg, sources, program } = s;
    if (failing && reg !== undefined) {
      const change = packetChangeBefore(records, pos);
      const from = change ? traceRegister(records, pos, reg).pop() : undefined;
      if (!change) return;
      const { helper } = change;
      const made = locate(change.index);
      // The change is made inside a function of the program (`encap(ctx)`): its call is the place.
      const site =
        made?.file &&
        made.line &&
        f.file &&
        sources &&
        program &&
        functionHeader(sources, made.file, made.line)?.line !== functionHeader(sources, f.file, f.line ?? 0)?.line
          ? callSitesTo(sources, made.file, made.line, program).pop()
          : undefined;
      const inside = site ? ` inside \`${site.callee}()\`, called at line ${site.line}` : '';
      if (!(from && posOf(from.insnIndex) > change.pos)) {
        const at = relatedAt(change.index, `${helper}() may change the packet: every packet pointer taken before it is invalid after it`);
        f.related.unshift(at);
        if (site)
          f.related.unshift({
            file: site.file,
            line: site.line,
            message: `\`${site.callee}()\` is called here: it calls ${helper}(), and the packet pointers taken before this call are invalid after it`,
          });
        // The program's name for the stale pointer: its origin line's, else the one this line reads through.
        const name = from ? assignedVariable(locate(from.insnIndex)?.text) : undefined;
        const base = /\b([a-z_]\w*)\s*(?:->|\[)/.exec(withoutComment(f.sourceText ?? ''))?.[1];
        const stale =
          name && new RegExp(String.raw`\b${name}\b`).test(f.sourceText ?? '') ? `\`${name}\`` : base ? `\`${base}\`` : `R${reg}`;
        f.explanation += ` ${stale} was a packet pointer taken before ${helper}()${inside}, which may move or resize the packet; the verifier then treats every packet pointer as unknown.`;
        f.fix = `Reload data and data_end from the context after ${site ? `the call of \`${site.callee}()\`` : `${helper}()`} and repeat the bounds check before using the packet again${base && site ? ` (\`${base}\` too)` : ''}.`;
        return;
      }
      // The pointer was reloaded after the change, but the check compared it with a data_end read before it.
      for (let i = pos, n = 0; i > change.pos && n < 512; i = previous(records, i), n++) {
        const r = records[i];
        const cmp = r?.kind === 'insn' ? /^if r(\d+) [<>]=? r(\d+) goto/.exec(r.disasm) : null;
        if (!cmp || r.kind !== 'insn') continue;
        const end = [Number(cmp[1]), Number(cmp[2])]
          .map((q) => traceRegister(records, i + 1, q).pop())
          .find((o) => o && posOf(o.insnIndex) < change.pos && /\bdata_end\b/.test(locate(o.insnIndex)?.text ?? ''));
        const read = end ? locate(end.insnIndex) : undefined;
        if (!end || !read?.line) return;
        const check = locate(r.index);
        f.related.push({
          file: read.file,
          line: read.line,
          message: `data_end is read here, before ${helper}(): it no longer bounds the packet after that call`,
        });
        f.related.push(relatedAt(change.index, `${helper}() may change the packet: data_end must be read again after it`));
        const named = check?.line && /\bdata_end\b/.test(check.text ?? '') ? ` at line ${check.line}` : '';
        f.explanation += ` The data_end check${named} compares with a data_end read at line ${read.line}, before ${helper}()${inside}: that call may change the packet, so the old data_end bounds nothing, and the check proves no bytes.`;
        const reread = /=\s*([^;]*\bdata_end\b[^;]*);/.exec(withoutComment(read.text ?? ''))?.[1]?.trim();
        f.fix = `Read data_end again after ${helper}()${reread ? ` (\`data_end = ${reread};\`)` : ''} and check against that.`;
        return;
      }
    }
  },
} satisfies Partial<Record<RootCause, (s: CauseState) => void>>;
