// Where references, locks and sections were taken and not given back.
// The root-cause function of each of these families' causes; index.ts runs them in order.
import { findSource } from '../locate';
import { previous, traceRegister } from '../provenance';
import {
  argumentExpression,
  assignedVariable,
  callSitesTo,
  conditionAbove,
  sourceLine,
  symbolDeclaration,
  withoutComment,
  memberAccess,
} from '../source-hints';
import type { RelatedLocation, RootCause } from '../types';
import type { CauseState } from './state';
import { lastArgument, releasedBetween, OPENER, releaseOf, helperArgIndex } from './common';

export const referenceCauses = {
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
      const id = /\bid=(\d+)/.exec(f.message)?.[1];
      const ref = id ? `The reference (id=${id})` : 'The reference';
      if (acquire && release) {
        f.explanation +=
          acquire === 'bpf_map_lookup_elem'
            ? ` ${ref} comes from bpf_map_lookup_elem() on a SOCKMAP / SOCKHASH, which returns the socket with a reference held; release it with bpf_sk_release() on every path that leaves the program.`
            : ` ${ref} comes from ${acquire}(); release it with ${release} on every path that leaves the program.`;
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
        gotoPastRelease(s, holder, calls);
        handedOn(s, holder, release, at);
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
  // Locks and RCU / preemption sections: the call that opened the section still open.
  'open-section': (s) => {
    const { f, records, pos, failing, relatedAt } = s;
    if (failing) {
      // The failing instruction may itself be the second lock: the open section starts before it.
      for (let i = pos - (records[pos]?.kind === 'insn' && OPENER.test((records[pos] as { disasm: string }).disasm) ? 1 : 0); i >= 0; i--) {
        const r = records[i];
        if (r.kind === 'insn' && OPENER.test(r.disasm)) {
          // A resilient lock that failed: its result decides whether the lock is held.
          if (/res_spin_unlock without/.test(f.message)) {
            const at = relatedAt(r.index, 'bpf_res_spin_lock() is called here: on the path where it fails, the lock is not held');
            const ignored =
              s.sources &&
              at.file &&
              at.line &&
              /^\s*bpf_res_spin_lock\s*\(.*\)\s*;/.test(withoutComment(sourceLine(s.sources, at.file, at.line)));
            if (ignored) at.message = 'bpf_res_spin_lock() is called here and its result is not tested: on failure the lock is not held';
            f.related.push(at);
            break;
          }
          const open = relatedAt(r.index, 'the section opened here is still open');
          f.related.push(open);
          // A call inside a lock: quote the lock it is under (which value's lock, and where).
          const lockText = open.line && s.sources && open.file ? withoutComment(sourceLine(s.sources, open.file, open.line)).trim() : '';
          if (/function calls are not allowed while holding a lock/.test(f.message) && /\bbpf_(?:res_)?spin_lock\s*\(/.test(lockText))
            f.explanation += ` The lock is taken at line ${open.line} (\`${lockText}\`) and not released before this call.`;
          // `bpf_spin_lock(&fwd->lock)` ... `bpf_spin_unlock(&rev->lock)`: name both locks.
          const held = /\bbpf_(?:res_)?spin_lock\s*\(\s*([^)]+?)\s*\)/.exec(lockText)?.[1];
          const freed = /\bbpf_(?:res_)?spin_unlock\s*\(\s*([^)]+?)\s*\)/.exec(withoutComment(f.sourceText ?? ''))?.[1];
          if (/unlock of different lock/.test(f.message) && held && freed && held !== freed) {
            f.explanation += ` The lock taken at line ${open.line} is \`${held}\`, and this line unlocks \`${freed}\`: a lock must be released through the same pointer it was taken with.`;
            f.fix = `Unlock the lock that was taken: \`${lockText.replace(/\bbpf_((?:res_)?)spin_lock\b/, 'bpf_$1spin_unlock')}\` (and take \`${freed}\` separately if both entries need it).`;
          }
          returnInSection(s, r.disasm, open);
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
    // The program's own names: `e->uid` read after `bpf_ringbuf_discard(e, 0)`.
    const read = memberAccess(withoutComment(f.sourceText));
    const lastAt = relatedAt(gone[gone.length - 1].index, '');
    const call = lastAt.file && lastAt.line && s.sources ? withoutComment(sourceLine(s.sources, lastAt.file, lastAt.line)).trim() : '';
    // The failing call is the same release: the object is released twice.
    const last = gone[gone.length - 1];
    const holder = argumentExpression(call, 0);
    if (s.failing && new RegExp(String.raw`^call ${last.call}(?:_impl)?#`).test(s.failing.disasm)) {
      const name = holder && /^\w+$/.test(holder) ? `\`${holder}\`` : `R${reg}`;
      f.title = `${name} is released twice`;
      f.explanation += ` ${name} was already given back by \`${call}\` at line ${lastAt.line}, and this line releases it again: a double release.`;
      f.fix = `Release ${name} once on each path: drop the ${last.call}() at line ${lastAt.line}${holder ? `, or set \`${holder} = NULL\` after it and release only \`if (${holder})\`` : ''}.`;
      return;
    }
    if (read && new RegExp(String.raw`\b${read.pointer}\b`).test(call)) {
      f.explanation += ` Here \`${read.pointer}->${read.field}\` is read after \`${call}\` (line ${lastAt.line}).`;
      f.fix = `Read \`${read.pointer}->${read.field}\` into a local before \`${call}\` and use the local after it.`;
    }
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
      const name = argumentExpression(s.statement, 3)?.replace(/^&\s*/, '') ?? 'the dynptr';
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
  // Stack objects passed by address (dynptrs, iterators): their declaration.
  'stack-object': (s) => {
    const { f, sources, reg } = s;
    if (sources && reg !== undefined) {
      const name = argumentExpression(s.statement, helperArgIndex(reg))?.match(/^&\s*(\w+)$/)?.[1];
      const decl = name ? symbolDeclaration(sources, name, f.file) : undefined;
      if (decl) f.related.push({ ...decl, message: `\`${name}\` is declared here` });
    }
  },
} satisfies Partial<Record<RootCause, (s: CauseState) => void>>;

/**
 * The path that leaks jumped over the release: a `goto` to a label above the leaking return
 * (`out: return 0;`), or a `break` out of the loop, switch or `do { } while (0)` the release is in.
 * The jump the walk took (the last conditional jump before the exit, on the line of its `if` or
 * the one after) is the cause.
 */
function gotoPastRelease(s: CauseState, holder: string, calls: string[]): void {
  // On the path that leaves early, the release that gives the object back unused (discard).
  const call = calls[calls.length - 1];
  const { f, records, pos, locate, sources } = s;
  const file = sources && f.file ? findSource(sources, f.file) : undefined;
  if (!file || !f.line) return;
  const lines = file[1].split('\n');
  let label: string | undefined;
  for (let i = f.line - 2; i >= 0 && i >= f.line - 4 && !label; i--) label = /^\s*([A-Za-z_]\w*):\s*$/.exec(withoutComment(lines[i]))?.[1];
  const stmt = label ? new RegExp(String.raw`\bgoto\s+${label}\s*;`) : /\bbreak\s*;/;
  // The conditional jumps of the path walked, back to the acquisition: the one whose line (or the
  // few lines of the block it opens, `if (a) { ret = 1; goto out; }`) jumps away is the way out.
  const alloc = s.alloc ? Number(s.alloc[1]) : undefined;
  let line: number | undefined;
  for (let i = pos, n = 0; i >= 0 && n < 4096 && line === undefined; i = previous(records, i), n++) {
    const r = records[i];
    if (r.kind !== 'insn') continue;
    if (r.index === alloc) break;
    if (!/^if .* goto pc[+-]\d+$/.test(r.disasm)) continue;
    const at = locate(r.index);
    if (!at?.line || at.file !== f.file) continue;
    line = [0, 1, 2, 3, 4].map((k) => at.line! + k).find((n) => n < f.line! && stmt.test(withoutComment(lines[n - 1] ?? '')));
  }
  if (!line || f.related.some((r) => r.line === line && r.file === file[0])) return;
  const names = calls.map((c) => c.replace(/\(.*$/, ''));
  const skipped = lines.slice(line, f.line - 1).findIndex((l) => names.some((n) => new RegExp(String.raw`\b${n}\s*\(`).test(l)));
  const name = skipped >= 0 ? (names.find((n) => new RegExp(String.raw`\b${n}\s*\(`).test(lines[line + skipped])) ?? names[0]) : names[0];
  // A `break` that skips nothing was not the way out of the release.
  if (!label && skipped < 0) return;
  const jumpText = label ? `goto ${label}` : 'break';
  const where = skipped >= 0 ? ` the ${name}() at line ${line + skipped + 1} is skipped` : '';
  f.related.push({
    file: file[0],
    line,
    message: `this \`${jumpText}\` leaves with \`${holder}\` still held:${where || ' nothing releases it on the way'}`,
  });
  f.explanation += ` The path that leaks it takes \`${jumpText}\` at line ${line}, which jumps over${skipped >= 0 ? ` the ${name}() at line ${line + skipped + 1}` : ' the release'}${label ? ` to \`${label}:\`` : ''}.`;
  f.fix =
    skipped >= 0
      ? `Call ${call} before the \`${jumpText}\` at line ${line}: that path jumps over the ${name}() at line ${line + skipped + 1}.`
      : `Call ${call} before the \`${jumpText}\` at line ${line}${label ? `, or release \`${holder}\` under \`${label}:\` (\`if (${holder}) ${call};\`)` : ''}, so that every path releases it.`;
}

/**
 * `bpf_sk_assign(skb, sk, 0); return TC_ACT_OK;`: a call on the leaking path that is given the
 * reference but does not release it. Passing a socket on (assign, redirect, map update) takes a
 * reference of the callee's own; the program's is still held.
 */
function handedOn(s: CauseState, holder: string, release: string, alloc: number): void {
  const { f, records, pos, locate } = s;
  const releases = release.split(' or ').map((c) => c.replace(/\(.*$/, ''));
  // Back along the path the verifier walked (a `from A to B` record leads back to the jump at A).
  for (let i = pos, n = 0; i >= 0 && n < 512; i = previous(records, i), n++) {
    const r = records[i];
    if (r.kind !== 'insn') continue;
    if (r.index === alloc) return;
    const call = /^call (\w+)#/.exec(r.disasm)?.[1];
    if (!call || releases.includes(call)) continue;
    const at = locate(r.index);
    const text = at?.text ? withoutComment(at.text) : '';
    const args = new RegExp(String.raw`\b${call}\s*\(([^;]*)`).exec(text)?.[1] ?? '';
    if (!at?.line || !new RegExp(String.raw`(?:^|[,(\s&])${holder}\s*[,)]`).test(args)) continue;
    f.related.push({ file: at.file, line: at.line, message: `\`${call}()\` is given \`${holder}\` here and does not release it` });
    f.explanation += ` On this path \`${holder}\` is passed to ${call}() at line ${at.line}, which ${/assign|redirect|update/.test(call) ? 'takes a reference of its own' : 'uses it'} and does not release the program's: ${releases[0]}() is still needed after it.`;
    return;
  }
}

/** The call that ends each kind of section (`call bpf_rcu_read_lock#...` opens one). */
const CLOSER: Record<string, string> = {
  bpf_spin_lock: 'bpf_spin_unlock',
  bpf_res_spin_lock: 'bpf_res_spin_unlock',
  bpf_rcu_read_lock: 'bpf_rcu_read_unlock',
  bpf_preempt_disable: 'bpf_preempt_enable',
  bpf_local_irq_save: 'bpf_local_irq_restore',
};

/** A `return` inside a section: which return, the condition that takes it, and the call it skips. */
function returnInSection(s: CauseState, opener: string, opened: RelatedLocation): void {
  const { f, sources } = s;
  const open = /^call (\w+)/.exec(opener)?.[1];
  const close = open ? CLOSER[open] : undefined;
  if (!close || !sources || !f.file || !f.line || !/\breturn\b/.test(f.sourceText ?? '') || !/exit|EXIT/.test(f.message)) return;
  const ret = withoutComment(f.sourceText).trim();
  const cond = conditionAbove(sources, f.file, f.line);
  const openText = opened.file && opened.line ? withoutComment(sourceLine(sources, opened.file, opened.line)).trim() : '';
  const args = open === 'bpf_rcu_read_lock' || open === 'bpf_preempt_disable' ? '' : (argumentExpression(openText, 0) ?? '');
  f.explanation += ` \`${ret}\` at line ${f.line}${cond ? ` (taken when \`${cond}\`)` : ''} leaves the program after ${open}() at line ${opened.line}${openText ? ` (\`${openText}\`)` : ''} and before any ${close}().`;
  f.fix = `Call ${close}(${args}) before \`${ret}\` at line ${f.line}${cond ? ', or test the condition before the section opens' : ''}.`;
}
