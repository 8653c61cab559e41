// Return values and the functions that return them: programs, callbacks, global functions.
// The root-cause function of each of these families' causes; index.ts runs them in order.
import { errnoOf } from '../libbpf-evidence';
import { findSource } from '../locate';
import { definesOf } from '../placement';
import { traceRegister } from '../provenance';
import {
  outsideBody,
  argumentExpression,
  assignmentAbove,
  conditionAbove,
  declaredName,
  functionHeader,
  functionDeclaration,
  memberAccess,
  pointerReadThrough,
  programDefinition,
  sectionAbove,
  sourceLine,
  withoutComment,
  wrapperParams,
} from '../source-hints';
import type { RootCause } from '../types';
import type { CauseState } from './state';
import { parseRange, enclosingSubprog, findCallbackCallSite, relateInWords } from './common';

/**
 * Where the variable a path returns is given the constant the verifier saw (`ret = -EPERM;` for
 * R0 = 4294967295, a 32-bit -1): the assignment is the cause, above the return in its function.
 */
function returnedValueSet(s: CauseState, name: string, value: number, range: string): void {
  const { f, sources } = s;
  if (!sources || !f.file || !f.line || !Number.isFinite(value)) return;
  const header = functionHeader(sources, f.file, f.line);
  const defines = definesOf((findSource(sources, f.file)?.[1] ?? '').split('\n'));
  const signed = value >= 2 ** 31 && value < 2 ** 32 ? value - 2 ** 32 : value;
  const assign = new RegExp(String.raw`(?:^|[^\w.>])${name}\s*=(?!=)\s*([^;]+);`);
  for (let l = f.line - 1; l > (header?.line ?? 0); l--) {
    const m = assign.exec(withoutComment(sourceLine(sources, f.file, l) ?? ''));
    if (!m) continue;
    const expr = m[1].trim();
    const neg = /^-\s*\(?\s*(E[A-Z0-9]+)\s*\)?$/.exec(expr)?.[1];
    const v = /^-?(?:\d+|0x[0-9a-fA-F]+)$/.test(expr)
      ? Number(expr.replace(/^-/, '')) * (expr.startsWith('-') ? -1 : 1)
      : neg
        ? -(errnoOf(neg)?.code ?? NaN)
        : defines.get(expr);
    if (v !== value && v !== signed) continue;
    const shown = v !== value ? `${v}, which the verifier shows as ${value}: the 32-bit ${v} zero-extended` : `${v}`;
    f.related.push({ file: f.file, line: l, message: `\`${name}\` is set to \`${expr}\` (${v}) here, the value this path returns` });
    // `deny:\n\tret = -EPERM;`: the label the failing paths jump to.
    const label = /^\s*([A-Za-z_]\w*):\s*$/.exec(withoutComment(sourceLine(sources, f.file, l - 1) ?? ''))?.[1];
    f.explanation += ` \`${name}\` gets \`${expr}\` at line ${l}${label ? `, under the \`${label}:\` label the paths jump to` : ''} (${shown})${neg ? `, an error code, where this program type expects a verdict in ${range}` : ''}.`;
    f.fix = `Return a value in ${range} on that path instead of \`${expr}\` (set \`${name} = 0;\` to reject)${/^cgroup/.test(s.section ?? '') ? '; the error the caller sees comes from bpf_set_retval() or the kernel default' : ''}.`;
    return;
  }
}

export const returnCauses = {
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
    const { sources } = s;
    // A callback declared `void`: it puts nothing in R0, so it returns no number at all.
    const start = sub !== undefined ? locate(sub) : undefined;
    const declared = sources && start?.file && start.line ? functionHeader(sources, start.file, start.line + 1) : undefined;
    const headerText = declared && sources ? withoutComment(sourceLine(sources, declared.file, declared.line)).trim() : '';
    const voidName = /not a scalar value/.test(f.message) ? /\bvoid\s+(\w+)\s*\(/.exec(headerText)?.[1] : undefined;
    if (voidName) {
      f.explanation += ` \`${voidName}()\` is declared \`void\` (line ${declared!.line}: \`${headerText}\`), so it returns nothing.`;
      f.fix = `Declare it \`${headerText.replace(/\bvoid\s+(?=\w+\s*\()/, 'long ').replace(/\s*\{$/, '')}\` and end every path with \`return 0;\` (continue) or \`return 1;\` (stop).`;
      return;
    }
    // The value this return gives, as the callback writes it, when it is not a constant.
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
      if (s.section && !f.explanation.includes(s.section))
        f.explanation += ` The program is loaded as \`${s.section}\`${s.kind ? ` (${s.kind.name})` : ''}, whose programs must return a value in ${d.range}.`;
      // The allowed range is the program type's, and the SEC() chose the type.
      const def = sources && program ? programDefinition(sources, program, f.file) : undefined;
      const sec = sources && (def ?? (f.file && f.line ? { file: f.file, line: f.line } : undefined));
      const at = sec && sources ? sectionAbove(sources, sec.file, sec.line) : undefined;
      if (at) f.related.push({ ...at, message: `the section sets the program type, which must return a value in ${d.range}` });
      // The value this return gives, as the program writes it, when it is not a constant.
      const returned = /\breturn\s+(.+?)\s*;/.exec(withoutComment(f.sourceText))?.[1];
      // What the verifier knows R0 to be: `smin=2 smax=2`, or an old kernel's constant tnum `(0x3; 0x0)`.
      const minMax = /smin=(-?\w+),? smax=(-?\w+)/.exec(f.message);
      const tnumConst = /has value \((0x[0-9a-f]+); 0x0\)/.exec(f.message)?.[1];
      const bounds = minMax ?? (tnumConst ? [tnumConst, String(Number(tnumConst)), String(Number(tnumConst))] : null);
      if (returned && !/^-?(?:\d+|0x[0-9a-fA-F]+|[A-Z_][A-Z0-9_]*)$/.test(returned) && !f.explanation.includes(`\`${returned}\``)) {
        const constant = bounds?.[1] !== undefined && bounds[1] === bounds[2];
        const known = constant
          ? ` it is ${bounds![1]} on this path, outside the range`
          : bounds?.[1] !== undefined
            ? ` the verifier knows it only as ${bounds[1]}..${bounds[2]}, a value computed or read at run time`
            : ' the verifier cannot pin it down, a value computed or read at run time';
        f.explanation += ` This path returns \`${returned}\`:${known}, not one of the allowed values.`;
        if (constant) returnedValueSet(s, returned, Number(bounds![1]), d.range);
        if (!constant)
          f.fix = `Turn \`${returned}\` into an allowed value before returning it, e.g. \`return ${returned} ? 1 : 0;\` (or compare it with what means allow).`;
        // Where a returned variable gets its value (the instruction the register came from says less).
        const set = /^\w+$/.test(returned) && sources && f.file && f.line ? assignmentAbove(sources, f.file, f.line, returned) : undefined;
        if (set && !set.parameter && !constant) {
          const text = withoutComment(set.text).trim();
          relateInWords(f, set, `\`${returned}\` gets its value here (\`${text}\`)`);
          f.explanation += ` \`${returned}\` gets its value at line ${set.line} (\`${text}\`).`;
        }
        // sockops answers the kernel through `skops->reply`; its return value only says it ran.
        const reply = sources && f.file && f.line ? replyAbove(sources, f.file, f.line) : undefined;
        if (reply && /^sockops$/.test(s.section ?? '')) {
          f.explanation += ` The answer for the kernel goes in \`${reply.field}\` (line ${reply.line}), which this program sets: the program's return value only says whether it succeeded (1).`;
          f.fix = `Keep \`${reply.field} = ${returned};\` and \`return 1;\`.`;
        }
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
    const name = argumentExpression(s.statement, 1)?.match(/^\(?\s*(?:\([^)]*\)\s*)?&?(\w+)\s*\)?$/)?.[1];
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
        // The parameter the line reads through, and the function it belongs to.
        const text = header ? withoutComment(sourceLine(sources, header.file, header.line)) : '';
        const fn = declaredName(text);
        const through = memberAccess(f.sourceText)?.pointer ?? pointerReadThrough(withoutComment(f.sourceText));
        const param = through && wrapperParams(text).includes(through) ? through : undefined;
        if (fn && param) {
          f.explanation += ` \`${param}\` is a parameter of \`${fn}()\`, a global (non-static) function, which the verifier checks on its own, for any caller: \`${param}\` may be NULL there, whatever the callers pass.`;
          f.fix = `Check \`if (!${param}) return ...;\` at the top of \`${fn}()\`, or make \`${fn}()\` static so the verifier checks it with the caller's arguments.`;
        } else {
          f.explanation +=
            ' The pointer is a parameter of a global (non-static) function, which the verifier checks on its own, for any caller: it may be NULL.';
          f.fix =
            "Check the parameter for NULL at the top of the function, or make the function static so the verifier checks it with the caller's arguments.";
        }
      }
    }
  },
} satisfies Partial<Record<RootCause, (s: CauseState) => void>>;

/** `skops->reply = rv;` above the return, in the same function: where a sockops program answers. */
function replyAbove(sources: ReadonlyMap<string, string>, file: string, line: number): { field: string; line: number } | undefined {
  const lines = (findSource(sources, file)?.[1] ?? '').split('\n');
  for (let i = line - 2; i >= 0 && i > line - 12; i--) {
    if (outsideBody(lines[i])) return undefined;
    const m = /\b(\w+\s*->\s*reply(?:_long\[\d+\])?)\s*=[^=]/.exec(withoutComment(lines[i]));
    if (m) return { field: m[1].replace(/\s+/g, ''), line: i + 1 };
  }
  return undefined;
}
