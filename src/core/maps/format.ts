// Number and text formatting shared by the tree, its tooltips, the CodeLens, Count Map Elements and
// the log lines: pure functions of domain values (counts, sizes, durations, flags). They run for
// every map on every tick, so they avoid toLocaleString and allocations they do not need.
import type { CountEntry, ProgramRate } from './model';
import type { ProgramAttachment, RingbufResult } from '../../protocol/types';

export const RINGBUF_TYPES: ReadonlySet<string> = new Set(['ringbuf', 'user_ringbuf']);

/** One attachment as the tree shows it: `xdp eth0`, `sched_process_exec`, or the link type alone
 *  (`attached` when that would only repeat the program type). */
export function attachmentText(a: ProgramAttachment, progTypeName?: string): string {
  if (!a.target) return a.type === progTypeName ? 'attached' : a.type;
  return a.type === progTypeName ? a.target : `${a.type} ${a.target}`;
}

/** A program's attachments for its description: the first one, and how many more. */
export function attachmentsText(progTypeName: string, links: readonly ProgramAttachment[]): string {
  const first = attachmentText(links[0], progTypeName);
  return links.length > 1 ? `${first} +${links.length - 1}` : first;
}

/** A five-cell gauge: one low block alone read as an underscore in the tree's font. */
function fillGauge(fill: number): string {
  const cells = 5;
  const full = Math.min(cells, Math.max(0, Math.round(fill * cells)));
  return '█'.repeat(full) + '░'.repeat(cells - full);
}

export function mapDescription(typeName: string, maxEntries: number, c: CountEntry | undefined, rb?: RingbufResult): string {
  if (RINGBUF_TYPES.has(typeName))
    return rb ? `${formatBytes(rb.available)} / ${formatBytes(rb.size)} pending` : `${formatBytes(maxEntries)} ring`;
  if (!c) return `… / ${formatInt(maxEntries)}`;
  if ('error' in c) return `n/a / ${formatInt(maxEntries)}`;
  if (c.method === 'max_entries') return `${formatInt(c.count)} / ${formatInt(maxEntries)} (array)`;
  const fill = maxEntries ? c.count / maxEntries : 0;
  return `${formatInt(c.count)} / ${formatInt(maxEntries)} ${fillGauge(fill)} ${percent(c.count, maxEntries)}${c.exact ? '' : ' ~'}`;
}

export function methodText(method: string): string {
  switch (method) {
    case 'iterator':
      return 'one read of the map-count iterator (kfunc bpf_map_sum_elem_count)';
    case 'max_entries':
      return 'arrays always hold max_entries elements';
    case 'for_each':
      return 'bpf_for_each_map_elem in a test-run program';
    case 'batch':
      return 'BPF_MAP_LOOKUP_BATCH over the whole map';
    case 'walk':
      return 'BPF_MAP_GET_NEXT_KEY walk';
    default:
      return method;
  }
}

const MAP_FLAGS: Array<[number, string]> = [
  [1 << 0, 'NO_PREALLOC'],
  [1 << 1, 'NO_COMMON_LRU'],
  [1 << 2, 'NUMA_NODE'],
  [1 << 3, 'RDONLY'],
  [1 << 4, 'WRONLY'],
  [1 << 5, 'STACK_BUILD_ID'],
  [1 << 6, 'ZERO_SEED'],
  [1 << 7, 'RDONLY_PROG'],
  [1 << 8, 'WRONLY_PROG'],
  [1 << 9, 'CLONE'],
  [1 << 10, 'MMAPABLE'],
  [1 << 11, 'PRESERVE_ELEMS'],
  [1 << 12, 'INNER_MAP'],
];

export function flagsText(flags: number): string {
  if (!flags) return '0';
  const names = MAP_FLAGS.filter(([bit]) => flags & bit).map(([, n]) => `BPF_F_${n}`);
  const known = MAP_FLAGS.reduce((m, [bit]) => m | bit, 0);
  if (flags & ~known) names.push(`0x${(flags & ~known).toString(16)}`);
  return `0x${flags.toString(16)} (${names.join(', ')})`;
}

/** 16384 → "16,384" (toLocaleString is ten times slower, and this runs for every map every tick). */
export function formatInt(n: number): string {
  if (n >= 0 && n < 1000) return String(Math.round(n));
  const s = String(Math.round(Math.abs(n)));
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (i > 0 && (s.length - i) % 3 === 0) out += ',';
    out += s[i];
  }
  return n < 0 ? `-${out}` : out;
}

export function percent(n: number, of: number): string {
  if (!of) return '0%';
  const p = (n / of) * 100;
  if (p > 0 && p < 0.1) return '<0.1%';
  return `${p > 0 && p < 1 ? p.toFixed(1) : Math.round(p)}%`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${trim(n / 1024)} KiB`;
  if (n < 1024 ** 3) return `${trim(n / 1024 ** 2)} MiB`;
  return `${trim(n / 1024 ** 3)} GiB`;
}

export function formatMicros(us: number): string {
  return us < 1000 ? `${trim(us)} µs` : `${trim(us / 1000)} ms`;
}

export function formatDuration(ns: number): string {
  return ns < 1000 ? `${Math.round(ns)} ns` : formatMicros(ns / 1000);
}

export function formatRate(r: ProgramRate): string {
  return `${formatInt(Math.round(r.runsPerSecond))}/s · ${formatDuration(r.avgRunNs)} · ${r.cpuPercent.toFixed(r.cpuPercent < 1 ? 2 : 1)}% CPU`;
}

function trim(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

export function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/** Escapes text for a Markdown table cell. */
export function md(s: string): string {
  return s.replace(/[\\`*_{}[\]<>|]/g, (c) => `\\${c}`).replace(/\n/g, ' ');
}
