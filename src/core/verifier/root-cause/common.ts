// Small readers of the walk and the sources that several root-cause functions share.
import { findSource } from '../locate';
import { type HistoryRecord, type OriginStep } from '../provenance';
import { argumentExpression, programDefinition, withoutComment } from '../source-hints';
import type { Finding, ProgramLog } from '../types';

/** A loop's header line: `for (`, `while (`, `do`, and the iterator macros. */
/** A constant as the source names it, with its value when the name is not the number: `SAMPLE_CPUS (64)`, `26`. */
export function withValue(name: string, value: number): string {
  return name === String(value) ? name : `${name} (${value})`;
}

export const LOOP_HEADER = /\b(?:for|while)\s*\(|\bdo\b|\bbpf_for(?:_each)?\s*\(|\bbpf_repeat\s*\(/;

/** The last argument of the first call on a line: `f(a, b, &rec)` -> `&rec`. */
export function lastArgument(text: string): string | undefined {
  let last: string | undefined;
  for (let i = 0; i < 8; i++) {
    const a = argumentExpression(text, i);
    if (a === undefined || a === '') break;
    last = a;
  }
  return last;
}

/**
 * Why a register used as an address is a plain number, from where it got its value: a NULL
 * that a failed lookup left (known 0), a helper that returns an address as a number, or a
 * pointer loaded from memory (kernel memory must be read with BPF_CORE_READ).
 */
export function explainScalar(
  f: Finding,
  reg: number,
  o: OriginStep | undefined,
  value: string | undefined,
  kind: string | undefined,
): void {
  const r = `R${reg}`;
  const call = o ? /^call (\w+)/.exec(o.disasm)?.[1] : undefined;
  if (value === '0') {
    f.explanation += ` ${r} is known to be 0 on this path: the pointer is NULL here (a lookup or a helper that failed, or a variable set to NULL), and the path dereferences it anyway.`;
    f.fix = `Check ${r}'s pointer for NULL (and return) before this access, on the path where it can be NULL.`;
  } else if (call === 'bpf_get_current_task') {
    f.explanation += ` ${r} comes from bpf_get_current_task(), which returns the task's address as a number (u64), not a pointer the program may dereference.`;
    f.fix =
      'Use bpf_get_current_task_btf() for a typed task pointer you can read fields from directly (tracing programs, 5.11+), or read the fields with BPF_CORE_READ(task, field).';
  } else if (call && o?.role === 'copied-in') {
    f.explanation += ` ${r} was reloaded from the stack buffer ${call}() copied it into: a pointer copied out of kernel memory by a helper is a plain number to the verifier (the helper copies bytes, not a pointer it could track), so it cannot be dereferenced.`;
    f.fix = `Read each pointer and field with BPF_CORE_READ() (\`BPF_CORE_READ(task, files, fdt)\`-style chains) or copy every field you need with ${call}(), instead of dereferencing the copied pointer.`;
  } else if (call) {
    f.explanation += ` ${r} is the return value of ${call}(), a number to the verifier, not a pointer it lets you dereference.`;
  } else if (o && /= \*\(u64 \*\)\(r10 -\d+\)$/.test(o.disasm)) {
    const slot = /\(r10 (-\d+)\)/.exec(o.disasm)![1];
    f.explanation += ` ${r} was reloaded from the stack (\`${o.disasm}\`, slot fp${slot}) and is a number there: what this path stored at fp${slot} is not a pointer, or a pointer the verifier has invalidated since it was stored.`;
    f.fix = `Keep the pointer in a variable the verifier can follow (re-derive it after any call that invalidates it), and check what is stored at fp${slot} on every path.`;
  } else if (o && /= \*\(u64 \*\)\(r\d+ [-+]\d+\)$/.test(o.disasm)) {
    f.explanation += ` ${r} was loaded from memory (\`${o.disasm}\`): a pointer stored in kernel memory${/probe|ksyscall/.test(kind ?? '') ? ' or passed to a kprobe (PT_REGS_PARM*)' : ''} is a plain number to the verifier, so it cannot be dereferenced directly.`;
    f.fix = 'Read through it with BPF_CORE_READ(ptr, field) or bpf_probe_read_kernel(&dst, sizeof(dst), &ptr->field).';
    // The program's own read: `sk->__sk_common.skc_num` becomes BPF_CORE_READ(sk, __sk_common.skc_num).
    const read = /\b([a-z_]\w*)\s*->\s*(\w+(?:\s*(?:\.|->)\s*\w+)*)/.exec((f.sourceText ?? '').replace(/\/\*.*?\*\/|\/\/.*$/g, ''));
    if (read) {
      const chain = read[2].replace(/\s+/g, '').replace(/->/g, ', ');
      f.explanation += ` Here \`${read[1]}\` is such a pointer: \`${read[1]}->${read[2].replace(/\s+/g, '')}\` dereferences it directly.`;
      f.fix = `Read it with \`BPF_CORE_READ(${read[1]}, ${chain})\` (or bpf_probe_read_kernel() into a local).`;
    }
  }
}

/**
 * Calls between a pointer's origin and its use after which the verifier no longer treats the
 * pointer as one: a submit / discard / release / drop hands the object back, adding a node to a
 * tree or list leaves a reference that dies with the lock, an unlock ends it.
 */
export const RELEASING =
  /^call (bpf_ringbuf_(?:submit|discard)(?:_dynptr)?|bpf_\w+_release|bpf_(?:percpu_)?obj_drop(?:_impl)?|bpf_rbtree_add(?:_impl)?|bpf_list_push_(?:front|back)(?:_impl)?|bpf_spin_unlock|bpf_res_spin_unlock|bpf_kptr_xchg)#/;

export function releasedBetween(
  records: readonly HistoryRecord[],
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
export function hasBackwardJump(records: readonly HistoryRecord[], pos: number): boolean {
  for (let i = pos; i >= 0 && i > pos - 4096; i--) {
    const r = records[i];
    if (r.kind === 'insn' && /goto pc-\d+$/.test(r.disasm)) return true;
  }
  return false;
}

/** The calls that open a lock, RCU or preemption section. */
export const OPENER = /^call (?:bpf_spin_lock|bpf_res_spin_lock|bpf_rcu_read_lock|bpf_preempt_disable|bpf_local_irq_save)\b/;

/** Helpers after which the verifier invalidates every packet pointer (bpf_helper_changes_pkt_data). */
const PACKET_CHANGING =
  /^call (bpf_skb_store_bytes|bpf_skb_change_\w+|bpf_skb_pull_data|bpf_skb_vlan_(?:push|pop)|bpf_l[34]_csum_replace|bpf_xdp_adjust_(?:head|tail|meta)|bpf_skb_adjust_room|bpf_lwt_\w+|bpf_msg_(?:pull|push|pop)_data|bpf_clone_redirect|bpf_skb_ecn_set_ce)\b/;

/** The latest call before record `pos` (within 4096 records) that may change the packet, after which every packet pointer is invalid. */
export function packetChangeBefore(
  records: readonly HistoryRecord[],
  pos: number,
): { pos: number; index: number; helper: string } | undefined {
  for (let i = pos - 1; i >= 0 && i > pos - 4096; i--) {
    const r = records[i];
    const helper = r.kind === 'insn' ? PACKET_CHANGING.exec(r.disasm)?.[1] : undefined;
    if (helper && r.kind === 'insn') return { pos: i, index: r.index, helper };
  }
  return undefined;
}

/** The function that releases what an acquiring helper or kfunc returned. */
export function releaseOf(acquire: string): string | undefined {
  if (/^bpf_ringbuf_reserve$/.test(acquire)) return 'bpf_ringbuf_submit() or bpf_ringbuf_discard()';
  if (/^bpf_ringbuf_reserve_dynptr$/.test(acquire)) return 'bpf_ringbuf_submit_dynptr() or bpf_ringbuf_discard_dynptr()';
  // A lookup is a reference only in a SOCKMAP / SOCKHASH: it returns the socket, held.
  if (/^bpf_(?:sk|skc)_lookup_\w+$|^bpf_sk_fullsock$|^bpf_map_lookup_elem$/.test(acquire)) return 'bpf_sk_release()';
  // Kfuncs whose release is named after what they return, not after themselves.
  if (/^bpf_(?:xdp|skb)_ct_(?:lookup|alloc)$/.test(acquire)) return 'bpf_ct_release()';
  if (/^bpf_task_get_cgroup1$/.test(acquire)) return 'bpf_cgroup_release()';
  if (/^bpf_get_task_exe_file$/.test(acquire)) return 'bpf_put_file()';
  if (/^bpf_xfrm_get_state$/.test(acquire)) return 'bpf_xfrm_state_release()';
  if (/^bpf_lookup_(?:user|system)_key$/.test(acquire)) return 'bpf_key_put()';
  const iter = /^bpf_iter_(\w+)_new$/.exec(acquire)?.[1];
  if (iter) return `bpf_iter_${iter}_destroy()`;
  const kind = /^bpf_(task|cgroup|cpumask|obj|percpu_obj|rbtree|list|crypto_ctx)_/.exec(acquire)?.[1];
  if (kind === 'obj' || kind === 'percpu_obj') return `bpf_${kind}_drop()`;
  if (kind) return `bpf_${kind}_release()`;
  return undefined;
}

export function parseRange(s: string | undefined): [number, number] | undefined {
  const m = s && /(-?\d+), ?(-?\d+)/.exec(s);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** The start instruction of the subprogram containing `insn` (not the main program). */
export function enclosingSubprog(log: ProgramLog, insn: number): number | undefined {
  let best: number | undefined;
  for (const s of log.subprograms) if (s.index > 0 && s.insn <= insn && (best === undefined || s.insn > best)) best = s.insn;
  return best;
}

/** The most recent helper call that takes a callback (the one that made the verifier enter it). */
export function findCallbackCallSite(records: readonly HistoryRecord[], from: number) {
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
export const powerOfTwoMask = (name: string, n: number) =>
  n > 1 && (n & (n - 1)) === 0
    ? `\`& ${name}\` (${n}, a power of two) keeps 0 and ${n}, not 0..${n - 1}, so ${n} is possible, one past the end; a mask must be size - 1, \`& (${name} - 1)\`.`
    : undefined;

/** R1..R5 are arguments 1..5 of a call. */
export const helperArgIndex = (reg: number) => reg - 1;

/** The `__uint(map_flags, ... BPF_F_RDONLY_PROG ...)` line of the map declared at `line`, if it has one. */
export function flagsLine(sources: ReadonlyMap<string, string>, file: string, line: number): { file: string; line: number } | undefined {
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
export function inlinedReturn(
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

/** A related location in the program's words; it replaces the register origin at that line, which quotes an instruction. */
export function relateInWords(f: Finding, at: { file?: string; line?: number }, message: string): void {
  const origin = f.related.find((r) => r.line === at.line && r.file === at.file && /^R\d+ got (?:this|its) value here/.test(r.message));
  if (origin) origin.message = message;
  else f.related.push({ file: at.file, line: at.line, message });
}
