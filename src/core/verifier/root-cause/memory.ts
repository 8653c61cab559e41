// Memory the program reads or writes: map values, stack buffers, struct members, sizes.
// The root-cause function of each of these families' causes; index.ts runs them in order.
import { stripMessagePrefixes } from '../explain';
import { findSource } from '../locate';
import { definesOf, firstUse } from '../placement';
import { memoryOperandRegister, traceRegister } from '../provenance';
import {
  argumentExpression,
  assignedVariable,
  assignmentAbove,
  callSitesTo,
  comparisonAbove,
  functionHeader,
  localDeclaration,
  mapTypeLine,
  mapValueTypeLine,
  programDefinition,
  declaresSigned,
  sourceLine,
  mapsHolding,
  memberAccess,
  memberChain,
  globalsHolding,
  structDefinition,
  structFieldsOfType,
  structMember,
  typeSize,
  specialFieldMaps,
  symbolDeclaration,
  symbolLines,
  withoutComment,
  wrapperParams,
} from '../source-hints';
import type { RootCause } from '../types';
import type { CauseState } from './state';
import { explainScalar, helperArgIndex, flagsLine, packetChangeBefore, relateInWords } from './common';

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

export const memoryCauses = {
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
        // A length given by a macro built on another (`NR_TYPES` = `(NR_ICMP_TYPES + 1)`): both names.
        const dim = arr.dims.length === 1 && /^[A-Z_][A-Z0-9_]*$/.test(arr.dims[0]) ? arr.dims[0] : undefined;
        const body = dim ? objectMacro(sources!, arr.file ?? f.file, dim) : undefined;
        if (dim && body && !/^\(?\s*\d+\s*\)?$/.test(body)) f.explanation += ` \`${dim}\` is \`${body}\` = ${length}.`;
        const limit = dim ? `${dim} (${length})` : `${length}`;
        f.fix = `Size \`${indexed[2]}\` for every index the code can compute (${reached + 1} elements here), or leave before the access when \`${indexed[3].trim()}\` >= ${limit}.`;
        return;
      }
    }
    // A helper reading or writing more than the member it is given (`&tgt->addr` with a size of 16).
    const argReg =
      failing && /^call /.test(failing.disasm) ? /\bR(\d+) (?:min|max) value is outside/.exec(s.others.join('\n'))?.[1] : undefined;
    const argState = argReg ? registers.get(`R${argReg}`) : undefined;
    const argMap = argState ? /^map_value\((?:[^)]*,)?map=(\w+)/.exec(argState)?.[1] : undefined;
    let argExpr = argReg ? argumentExpression(s.statement, Number(argReg) - 1) : undefined;
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
      const sizeExpr = argumentExpression(s.statement, Number(argReg));
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
      const allowed = special.length && mapType ? specialFieldMaps(special[0].type, mapType) : undefined;
      if (!twice && special.length && typeLine && mapType && allowed) {
        if (f.file && f.line) f.related.push({ file: f.file, line: f.line, message: `the verifier stops at the first use of ${noBtf[2]}` });
        f.related.push({ ...special[0], message: `struct ${valueType} holds a struct ${special[0].type}` });
        f.file = typeLine.file;
        f.line = typeLine.line;
        f.sourceText = sourceLine(sources, typeLine.file, typeLine.line);
        f.title = `A ${mapType} map cannot hold a struct ${special[0].type}`;
        f.explanation = `Map \`${noBtf[1]}\` is a ${mapType}, and its value struct ${valueType} has a struct ${special[0].type} (\`${special[0].field}\`): that field is only allowed in the values of ${allowed} maps${/PERCPU/.test(mapType) ? ', not in per-CPU copies' : ''}. The kernel refused the map with its BTF, libbpf created it without BTF, and ${noBtf[2]} needs the BTF to find its field.`;
        f.fix = `Use a map type that may hold it (${allowed}) for values with a struct ${special[0].type}, or move the ${special[0].type} to a map of its own.`;
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
  // A global's address where a stack pointer is needed: the global's declaration.
  'stack-argument': (s) => {
    const { f, d, sources, reg, steps, describe } = s;
    if (s.branch !== 'stack' || reg === undefined) return;
    const type = d.type ?? '';
    const expr = argumentExpression(s.statement, helperArgIndex(reg));
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
    // A callback's context: name the callback, and say what to do with a program context instead.
    const helper = /^(bpf_loop|bpf_for_each_map_elem|bpf_timer_set_callback|bpf_find_vma|bpf_user_ringbuf_drain)\s*\(/.exec(
      withoutComment(f.sourceText)
        .trim()
        .replace(/^(?:\w+\s*=\s*)?/, ''),
    )?.[1];
    const callback = helper ? argumentExpression(s.statement, helper === 'bpf_find_vma' ? 2 : 1)?.replace(/^&/, '') : undefined;
    if (helper && callback && /^\w+$/.test(callback)) {
      const context = /^ctx\b/.test(type);
      f.explanation += ` ${helper}() passes \`${expr}\` on to \`${callback}()\` as its last argument${context ? `, and \`${expr}\` is the program's own context: the callback cannot be given it` : ''}.`;
      if (context)
        f.fix = `Pass the address of a local struct instead (\`struct { ... } st = { ... }; ${helper}(..., ${callback}, &st, 0);\`) holding what \`${callback}()\` needs from \`${expr}\` (for packets: data and data_end, or offsets into them).`;
    }
  },
  // A dereferenced number: NULL after a failed lookup, a helper's u64, a pointer loaded from memory.
  'scalar-pointer': (s) => {
    const { f, reg, steps, registers, origin, kind, locate, section } = s;
    // A context field (ctx->data) is not a pointer read from kernel memory: other causes explain it.
    if (s.branch !== 'origin' || reg === undefined || s.fromField) return;
    const o = origin(steps);
    // A system call's pointer argument, read from a syscall tracepoint's context: a user address.
    const set = o ? locate(o.insnIndex) : undefined;
    // (raw_tp/sys_enter's args[0] is the task's struct pt_regs, kernel memory, not a user address.)
    const argN = /\bargs\s*\[\s*(\d)\s*\]/.exec(set?.text ?? '')?.[1];
    const rawRegs = /^raw_t(?:p|racepoint)(?:\.w)?\/sys_(?:enter|exit)\b/.test(section ?? '') && argN === '0';
    const userArg = /sys_enter|syscalls\//.test(section ?? '') && argN !== undefined && !rawRegs;
    // An argument read from a BTF-typed program's context (`ctx[1]`, tp_btf/fentry): the kernel's
    // BTF says it is not a pointer on this kernel, so the program assumes another prototype.
    const load = o ? /^r\d+ = \*\(u64 \*\)\(r(\d+) \+(\d+)\)$/.exec(o.disasm) : null;
    const argRead =
      load &&
      Number(load[2]) % 8 === 0 &&
      (/^(?:tp_btf|fentry|fexit|fmod_ret|lsm)/.test(kind?.name ?? '') || (!kind && /\bctx\s*\[\s*\d+\s*\]/.test(set?.text ?? ''))) &&
      s.isContext(s.posOf(o!.insnIndex), Number(load[1]));
    if (argRead) {
      const n = Number(load![2]) / 8;
      f.explanation += ` R${reg} is ctx[${n}], argument ${n + 1} of the traced function${set?.text ? ` (\`${withoutComment(set.text).trim()}\`)` : ''}, and the verifier types it as a number: in a BTF-typed program each argument has the type the kernel's BTF gives it, and on this kernel argument ${n + 1} is not a pointer. The program assumes another prototype than this kernel's (a tracepoint or function that gained or lost an argument).`;
      f.fix = `Look up the prototype on this kernel (\`bpftool btf dump file /sys/kernel/btf/vmlinux format c | grep btf_trace_\` for a tracepoint) and read the pointer at its position, e.g. with BPF_PROG() listing the kernel's arguments in order.`;
    } else if (userArg && o) {
      f.explanation += ` R${reg} is a system call argument read from the tracepoint's context (\`${withoutComment(set!.text)}\`): an address in the calling process's memory, which the program may not dereference; it can only copy from it.`;
      f.fix = 'Copy the data with bpf_probe_read_user() (bpf_probe_read_user_str() for a string) into a local buffer, and use the copy.';
    } else if (rawRegs && o) {
      f.explanation += ` R${reg} is \`ctx->args[0]\` of a raw sys_enter/sys_exit tracepoint (\`${withoutComment(set!.text)}\`): the task's struct pt_regs, kernel memory the program may not dereference directly, only read with a probe read.`;
      f.fix =
        'Read the registers through a probe read, with BPF_CORE_READ() or the PT_REGS_PARMn_CORE_SYSCALL() macros (bpf_probe_read_kernel() underneath), not by dereferencing the pointer.';
    } else explainScalar(f, reg, o, registers.get(`R${reg}`), kind?.name);
    const stmt = withoutComment(f.sourceText);
    // `struct task_struct *last_task;` at file scope: a global lives in a map, and a pointer
    // stored there is a number when read back.
    const through = o && /^r\d+ = \*\(u64 \*\)\(r(?!10\b)\d+ [-+]\d+\)$/.test(o.disasm) ? /\b([a-z_]\w*)\s*->/.exec(stmt)?.[1] : undefined;
    const global = through && s.sources ? symbolDeclaration(s.sources, through, f.file) : undefined;
    const globalText = global ? (sourceLine(s.sources, global.file, global.line) ?? '') : '';
    if (
      global &&
      /^(?:static\s+|volatile\s+)*(?:struct\s+)?\w+\s*\*\s*\w+/.test(globalText) &&
      new RegExp(String.raw`\*\s*${through}\b`).test(globalText)
    ) {
      f.related.push({
        ...global,
        message: `\`${through}\` is a global variable: a pointer stored in it is a plain number when read back`,
      });
      f.explanation += ` \`${through}\` is a global variable (\`${withoutComment(globalText).trim()}\`, line ${global.line}): globals live in a map, and the verifier does not track a pointer stored there, so it reads back as a number.`;
      f.fix = `Keep what you compare instead of the pointer (its pid, or an id) in the global, or read through it with BPF_CORE_READ(${through}, ...).`;
    }
    // A pointer read out of memory in one chain (`obj->map->meta->cnt`): the link that is a number.
    const chain = o && /^r\d+ = \*\(u64 \*\)\(r(?!10\b)\d+ [-+]\d+\)$/.test(o.disasm) ? memberChain(stmt) : undefined;
    if (chain && !argRead && !f.explanation.includes(`\`${chain.through}\``))
      f.explanation += ` On this line R${reg} is \`${chain.through}\`, the pointer \`->${chain.field}\` is read through: it was itself read from memory (\`${o!.disasm}\`), and the verifier types it as a number there.`;
    // libbpf's PT_REGS_*() read pt_regs fields directly: through a pointer that is a number, their
    // _CORE variants read it with a probe read.
    const ptRegs = /\b(PT_REGS_(?:PARM\d|RC|FP|SP|IP|RET)(?!_CORE)(_SYSCALL)?)\s*\(\s*(\w+)\s*\)/.exec(stmt);
    if (ptRegs) {
      const core = ptRegs[1].replace(/(_SYSCALL)?$/, '_CORE$1');
      f.explanation += ` \`${ptRegs[1]}(${ptRegs[3]})\` reads a field of \`${ptRegs[3]}\` directly, which works only on the context itself.`;
      f.fix = `Read it with \`${core}(${ptRegs[3]})\`, the CO-RE variant that copies the field with a probe read.`;
    }
    // A stack slot reloaded after a helper that changes the packet: a spilled packet pointer is
    // invalidated with the others.
    const slot = o ? /^r\d+ = \*\(u64 \*\)\(r10 (-\d+)\)$/.exec(o.disasm)?.[1] : undefined;
    if (slot && o) {
      const change = packetChangeBefore(s.records, s.posOf(o.insnIndex));
      const earlier =
        change &&
        s.records.slice(Math.max(0, change.pos - 4096), change.pos).some((e) => e.kind === 'insn' && e.disasm.includes(`(r10 ${slot})`));
      if (change && earlier) {
        const { helper, index } = change;
        f.related.push(s.relatedAt(index, `${helper}() may change the packet: a packet pointer kept at fp${slot} is invalid after it`));
        f.explanation += ` Between the program's earlier use of fp${slot} and this reload it calls ${helper}() (insn ${index}), which may change the packet: if fp${slot} held a packet pointer, the verifier turned it into an unknown number then, spilled copies included.`;
        f.fix = `Reload data and data_end from the context after ${helper}() and derive the pointer again (with its bounds check) instead of reusing the copy saved before it.`;
      }
    }
    // A constant used as an address: what the loader should have relocated (a global or static
    // table) and did not.
    const imm = o ? /^r\d+ = (0x[0-9a-f]+|[1-9]\d*)(?: ll)?$/.exec(o.disasm)?.[1] : undefined;
    if (imm && o) {
      const note = s.relocationNotes?.[0];
      f.explanation += ` R${reg} starts as the constant ${imm} (\`${o.disasm}\`), not an address: where the C code reads a global or static table, this is the offset the loader should have turned into an address (a relocation) and did not${note ? `; the loader said \`${note}\`` : ''}.`;
      f.fix = `Load the object with libbpf (it relocates .rodata, .data and .bss into maps), or keep the table in a map: a loader that does not relocate that section leaves the raw offset in the instruction.`;
    }
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
  // A context or kernel-object pointer moved before a load through it: by how much, and where.
  'moved-pointer': (s) => {
    const { f, records, pos, failing, registers, computed } = s;
    const m = /^dereference of modified (\S+) ptr R(\d+) off=(-?\d+)/.exec(stripMessagePrefixes(f.message));
    if (!m) return;
    const [, type, reg, off] = m;
    const state = registers.get(`R${reg}`);
    const extra = failing ? /\(r\d+ ([+-]\d+)\)/.exec(failing.disasm)?.[1] : undefined;
    const at = extra !== undefined ? Number(off) + Number(extra) : undefined;
    f.explanation += ` R${reg} is the ${type} pointer moved by ${off} bytes${state ? ` (\`R${reg}=${state}\`)` : ''}${failing ? `, and \`${failing.disasm}\` reads through it${at !== undefined ? ` (${type} offset ${at})` : ''}` : ''}: the verifier checks and rewrites ${type} loads by their constant offset from the pointer the program was given, so it refuses a moved one. Often the compiler computed the address of a field once and reused it, or the code picks a member at run time.`;
    f.fix = `Read the field straight from the ${type} pointer with a constant member access (\`${type === 'ctx' ? 'ctx' : 'ptr'}->field\`), ${type === 'ctx' ? 'or read a kernel pointer it holds with BPF_CORE_READ(), ' : ''}not through a pointer advanced by an offset.`;
    computed(traceRegister(records, pos, Number(reg)));
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
    const root = mismatch ? argumentExpression(s.statement, 0)?.replace(/^&\s*/, '') : undefined;
    const rootName = root ? /(\w+)$/.exec(root)?.[1] : undefined;
    const rootDecl = rootName && sources ? symbolDeclaration(sources, rootName, f.file) : undefined;
    const declText = rootDecl ? withoutComment(sourceLine(sources, rootDecl.file, rootDecl.line)) : '';
    if (mismatch && rootName && rootDecl && /__contains\s*\(/.test(declText)) {
      const [, head, , expected, actual] = mismatch;
      f.related.push({ ...rootDecl, message: `\`${rootName}\` is declared to hold struct ${expected} (\`__contains(${expected}, ...)\`)` });
      const node = argumentExpression(s.statement, 1)?.replace(/^&\s*/, '');
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
  // A number passed where a buffer is needed, read from a struct member declared as a pointer
  // (`const char *filename;` in an event): the member holds an address, not the bytes.
  'pointer-member': (s) => {
    const { f, d, sources, named, failing } = s;
    if (d.type !== 'scalar' || named === undefined || !sources || !failing || !/^call /.test(failing.disasm)) return;
    const expr = argumentExpression(s.statement, named - 1)?.replace(/^\(\s*[\w\s*]+\)\s*/, '');
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
      const expr = argumentExpression(s.statement, helperArgIndex(reg));
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
            .map((i) => argumentExpression(s.statement, i))
            .find((a) => a && (/\bsizeof\b/.test(a) || a === d.size) && a !== expr)
        : undefined;
      const declText = decl ? withoutComment(sourceLine(sources, decl.file, decl.line)) : '';
      if (decl && sizeArg && /write|read/.test(f.message) && !f.explanation.includes(sizeArg)) {
        // `sizeof(*ip6h)`: the type it measures, from the pointer's declaration.
        const deref = /^sizeof\s*\(\s*\*\s*(\w+)\s*\)$/.exec(sizeArg)?.[1];
        const type = deref
          ? new RegExp(String.raw`\b(struct\s+\w+|\w+)\s*\*\s*${deref}\b`).exec(
              withoutComment(f.sourceText) + '\n' + [...sources.values()].join('\n'),
            )?.[1]
          : undefined;
        f.explanation += ` The call passes \`${sizeArg}\` (${type ? `the size of a ${type}, ` : ''}${d.size} bytes) for \`${name}\`, declared \`${declText.trim()}\`${/^\s*\}/.test(declText) ? ' (the end of its inline struct or union)' : ''}: the helper would ${/write/.test(f.message) ? 'write' : 'use'} bytes past its end.`;
        f.fix = `Pass \`sizeof(${name})\` as the size, or declare \`${name}\` with the type whose size you pass.`;
      }
      // A variable size, bounded by a check against another limit than the buffer's own size.
      const sizeVar = !sizeArg ? argumentExpression(s.statement, helperArgIndex(reg) + 1)?.match(/^\w+$/)?.[0] : undefined;
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
  // A helper's size argument without a bound: the buffer before it in the call, and its size.
  'size-argument': (s) => {
    const { f, d, sources, failing } = s;
    const sizeReg = d.register ? Number(d.register.slice(1)) : undefined;
    // The check above the call that the size passed: it bounds the size from above only.
    // The size's variable, also as a count of elements (`depth * sizeof(struct entry)`).
    const sizeName = sizeReg
      ? argumentExpression(s.statement, sizeReg - 1)?.match(/^(\w+)(?:\s*\*\s*(?:sizeof\s*\([^)]*\)|\d+|[A-Z_][A-Z0-9_]*))?$/)?.[1]
      : undefined;
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
          relateInWords(f, set, `\`${sizeName}\` gets its value here (\`${setText}\`), which may be negative`);
          f.explanation += ` It gets its value at line ${set.line}: \`${setText}\`.`;
        }
      }
    }
    // Where the size gets its value is what the reader must see (`len = ctx->addrlen`, `len = cfg_len`):
    // with no check at all, or with an upper bound only that lets 0 through.
    let set = sizeName && sources && f.file && f.line && (!check || zero) ? assignmentAbove(sources, f.file, f.line, sizeName) : undefined;
    // (Past a clamp to a constant, `len = sizeof(raw);`: the value it had before is the one that may be 0.)
    for (
      let k = 0;
      k < 3 && set && sizeName && !set.parameter && /=\s*(?:\d+|[A-Z_][A-Z0-9_]*|sizeof\b.*)\s*;/.test(withoutComment(set.text));
      k++
    )
      set = assignmentAbove(sources!, set.file, set.line, sizeName);
    const setText = set && !set.parameter ? withoutComment(set.text).trim() : '';
    const computed = !!set && !!setText && set.line !== f.line && !/=\s*(?:\d+|[A-Z_][A-Z0-9_]*|sizeof\b.*)\s*;/.test(setText);
    if (check && computed && set && !f.explanation.includes(setText)) {
      relateInWords(f, { file: set.file, line: set.line }, `\`${sizeName}\` gets its value here (\`${setText}\`), which may be 0`);
      f.explanation += ` \`${sizeName}\` gets its value at line ${set.line}: \`${setText}\`.`;
    }
    if (!check && computed && set) {
      const into = sizeReg && sizeReg > 1 ? argumentExpression(s.statement, sizeReg - 2)?.replace(/^\(.*?\)\s*/, '') : undefined;
      const missing = zero ? 'nothing before the call rules out 0' : 'nothing before the call bounds it';
      const message = `\`${sizeName}\` gets its value here (\`${setText}\`): ${missing}`;
      relateInWords(f, { file: set.file, line: set.line }, message);
      f.explanation += ` \`${sizeName}\` gets its value at line ${set.line} (\`${setText}\`), and ${missing}.`;
      const cap = into && /^&?[\w.>-]+$/.test(into) ? `sizeof(${into.replace(/^&/, '')})` : 'the buffer size';
      f.fix = zero
        ? `Leave when \`${sizeName}\` is 0 before the call: \`if (${sizeName} == 0) return 0;\`, and keep it within ${cap}.`
        : `Clamp \`${sizeName}\` before the call: \`if (${sizeName} > ${cap}) ${sizeName} = ${cap};\` (with \`${sizeName}\` unsigned).`;
    }
    if (!zero && sources && f.file && sizeReg && sizeReg > 1 && failing && /^call /.test(failing.disasm)) {
      const buffer = argumentExpression(s.statement, sizeReg - 2)
        ?.replace(/^&/, '')
        .replace(/^\(.*?\)\s*/, '');
      const size = argumentExpression(s.statement, sizeReg - 1);
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
} satisfies Partial<Record<RootCause, (s: CauseState) => void>>;

/** The body of object-like macro `name` (`#define NR_TYPES (NR_ICMP_TYPES + 1)`), as the file (or its headers) defines it. */
function objectMacro(sources: ReadonlyMap<string, string>, file: string, name: string): string | undefined {
  const define = new RegExp(String.raw`^\s*#\s*define\s+${name}\s+(.+)$`, 'm');
  const own = findSource(sources, file)?.[1];
  const text = own && define.test(own) ? own : [...sources.values()].find((t) => define.test(t));
  return text ? withoutComment(define.exec(text)![1]).trim() : undefined;
}
