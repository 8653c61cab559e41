// Where programs are attached and where objects are pinned, for everything on the host.
// Attachments come from the kernel's BPF links (attachments made without a link — netlink XDP/tc,
// legacy cgroup BPF_PROG_ATTACH — have none and are not reported). Pins come from a bounded walk of
// /sys/fs/bpf. Every fd opened here is closed before returning.
import * as fs from 'node:fs';
import type { ProgramAttachment } from '../protocol/types';
import * as L from './libbpf';
import { BPF_FS_MAGIC, BPFFS_ROOT } from './validate';

const LINK_TYPES = [
  'unspec',
  'raw_tracepoint',
  'tracing',
  'cgroup',
  'iter',
  'netns',
  'xdp',
  'perf_event',
  'kprobe_multi',
  'struct_ops',
  'netfilter',
  'tcx',
  'uprobe_multi',
  'netkit',
  'sockmap',
];
const RAW_TRACEPOINT = 1,
  TRACING = 2,
  CGROUP = 3,
  ITER = 4,
  NETNS = 5,
  XDP = 6,
  PERF_EVENT = 7,
  KPROBE_MULTI = 8,
  STRUCT_OPS = 9,
  NETFILTER = 10,
  TCX = 11,
  UPROBE_MULTI = 12,
  NETKIT = 13,
  SOCKMAP = 14;
/** enum bpf_perf_event_type: what a perf_event link is attached to (kernel 6.6+ fills it). */
const PERF_KINDS = ['perf_event', 'uprobe', 'uretprobe', 'kprobe', 'kretprobe', 'tracepoint', 'perf_event'];
const PERF_TRACEPOINT = 5,
  PERF_EVENT_KIND = 6;
/** The few enum bpf_attach_type values a target names (directions and hooks). */
const ATTACH_TYPES: Record<number, string> = {
  24: 'fentry',
  25: 'fexit',
  26: 'fmod_ret',
  27: 'lsm',
  46: 'ingress',
  47: 'egress',
  54: 'primary',
  55: 'peer',
};
const NF_FAMILIES: Record<number, string> = { 2: 'ipv4', 10: 'ipv6' };

/** Where a link type takes a string buffer: [pointer offset, length offset] in struct bpf_link_info. */
function nameAt(type: number, raw: Buffer): [number, number] | undefined {
  if (type === RAW_TRACEPOINT || type === ITER) return [16, 24];
  if (type === UPROBE_MULTI) return [16, 48];
  if (type === PERF_EVENT) {
    const kind = raw.readUInt32LE(16);
    return kind >= 1 && kind <= PERF_TRACEPOINT ? [24, 32] : undefined;
  }
  return undefined;
}

interface Lookups {
  ifname(index: number): string;
  tracepoint(name: string): string;
}

function lookups(): Lookups {
  let ifnames: Map<number, string> | undefined;
  return {
    ifname(index) {
      ifnames ??= interfaceNames();
      return ifnames.get(index) ?? `ifindex ${index}`;
    },
    tracepoint(name) {
      const cat = tracepointCategories().get(name);
      return cat ? `${cat}/${name}` : name;
    },
  };
}

/** ifindex → name in the helper's network namespace, from /sys/class/net/<name>/ifindex. */
function interfaceNames(): Map<number, string> {
  const out = new Map<number, string>();
  let names: string[];
  try {
    names = fs.readdirSync('/sys/class/net');
  } catch {
    return out;
  }
  for (const n of names) {
    try {
      out.set(Number(fs.readFileSync(`/sys/class/net/${n}/ifindex`, 'utf8').trim()), n);
    } catch {
      /* vanished */
    }
  }
  return out;
}

// The kernel reports a tracepoint by name only; tracefs (when mounted) knows its category.
let tpCache: { at: number; byName: Map<string, string> } | undefined;
const TP_CACHE_MS = 60_000;
function tracepointCategories(): Map<string, string> {
  if (tpCache && Date.now() - tpCache.at < TP_CACHE_MS) return tpCache.byName;
  const byName = new Map<string, string>();
  for (const root of ['/sys/kernel/tracing/events', '/sys/kernel/debug/tracing/events']) {
    let cats: fs.Dirent[];
    try {
      cats = fs.readdirSync(root, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const c of cats) {
      if (!c.isDirectory()) continue;
      try {
        for (const e of fs.readdirSync(`${root}/${c.name}`, { withFileTypes: true })) if (e.isDirectory()) byName.set(e.name, c.name);
      } catch {
        /* unreadable category */
      }
    }
    break;
  }
  tpCache = { at: Date.now(), byName };
  return byName;
}

/** Decodes one link into an attachment; the target is left out when the kernel gives none. */
export function describeLink(info: L.LinkInfo, look: Lookups): ProgramAttachment {
  const r = info.raw;
  const u32 = (off: number) => r.readUInt32LE(off);
  const a: ProgramAttachment = { linkId: info.id, type: LINK_TYPES[info.type] ?? `link type ${info.type}` };
  const set = (target: string | undefined) => {
    if (target) a.target = target;
  };
  switch (info.type) {
    case RAW_TRACEPOINT:
    case ITER:
      set(info.name);
      break;
    case TRACING:
      set(ATTACH_TYPES[u32(16)]);
      break;
    case CGROUP:
      set(`cgroup ${r.readBigUInt64LE(16)}`);
      break;
    case NETNS:
      set(`netns ${u32(16)}`);
      break;
    case XDP:
      set(look.ifname(u32(16)));
      break;
    case TCX:
    case NETKIT:
      set([look.ifname(u32(16)), ATTACH_TYPES[u32(20)]].filter(Boolean).join(' '));
      break;
    case STRUCT_OPS:
    case SOCKMAP:
      set(u32(16) ? `map ${u32(16)}` : undefined);
      break;
    case NETFILTER:
      set(`${NF_FAMILIES[u32(16)] ?? `pf ${u32(16)}`} hook ${u32(20)} priority ${r.readInt32LE(24)}`);
      break;
    case KPROBE_MULTI:
      set(`${u32(24)} functions`);
      break;
    case UPROBE_MULTI:
      set([info.name, `${u32(52)} probes`].filter(Boolean).join(' '));
      break;
    case PERF_EVENT: {
      const kind = u32(16);
      a.type = PERF_KINDS[kind] ?? 'perf_event';
      if (kind === PERF_TRACEPOINT) set(info.name && look.tracepoint(info.name));
      else if (kind >= 1 && kind <= 4) set(info.name && (u32(36) ? `${info.name}+0x${u32(36).toString(16)}` : info.name));
      else if (kind === PERF_EVENT_KIND) set(`type ${u32(32)} config ${r.readBigUInt64LE(24)}`);
      break;
    }
  }
  return a;
}

/** The kernel's id, type and target of one link fd (for links the helper just made). */
export function describeLinkFd(fd: number): ProgramAttachment {
  return describeLink(L.linkInfo(fd, nameAt), lookups());
}

/** Every BPF link on the host, grouped by the program it attaches. */
export function attachmentsByProgram(linkPins: ReadonlyMap<number, string[]> = new Map()): Map<number, ProgramAttachment[]> {
  const out = new Map<number, ProgramAttachment[]>();
  const look = lookups();
  for (let id = L.linkNextId(0); id !== undefined; id = L.linkNextId(id)) {
    let fd: number;
    try {
      fd = L.linkFdById(id);
    } catch {
      continue; // detached since we listed it
    }
    try {
      const info = L.linkInfo(fd, nameAt);
      const a = describeLink(info, look);
      const pins = linkPins.get(info.id);
      if (pins) a.pinned = pins;
      out.set(info.progId, [...(out.get(info.progId) ?? []), a]);
    } catch {
      /* a link we cannot read is left out, not fatal for the list */
    } finally {
      L.closeFd(fd);
    }
  }
  return out;
}

// ---------- pins ----------

export interface PinIndex {
  maps: Map<number, string[]>;
  progs: Map<number, string[]>;
  links: Map<number, string[]>;
}

const PIN_MAX_DEPTH = 6;
const PIN_MAX_ENTRIES = 10_000;
/** bpf_preload's iterators: kernel-owned, pinned in every bpffs root. */
const SKIP = new Set(['maps.debug', 'progs.debug']);
const PIN_CACHE_MS = 1000;
let pinCache: { at: number; index: PinIndex } | undefined;

/** Which kind and id a pinned fd is, from its fdinfo (links also carry prog_id, so link first). */
function pinnedIdentity(fd: number): { kind: keyof PinIndex; id: number } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
  } catch {
    return undefined;
  }
  for (const [kind, key] of [
    ['links', 'link_id'],
    ['maps', 'map_id'],
    ['progs', 'prog_id'],
  ] as const) {
    const m = new RegExp(`^${key}:\\s*(\\d+)`, 'm').exec(text);
    if (m) return { kind, id: Number(m[1]) };
  }
  return undefined;
}

/** Pinned paths of every map, program and link below /sys/fs/bpf; walked at most once a second. */
export function pinIndex(): PinIndex {
  if (pinCache && Date.now() - pinCache.at < PIN_CACHE_MS) return pinCache.index;
  const index: PinIndex = { maps: new Map(), progs: new Map(), links: new Map() };
  let entries = 0;
  const walk = (dir: string, depth: number) => {
    try {
      if (fs.statfsSync(dir).type !== BPF_FS_MAGIC) return; // a foreign mount below the root
    } catch {
      return;
    }
    let list: fs.Dirent[];
    try {
      list = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of list) {
      if (++entries > PIN_MAX_ENTRIES) return;
      if (depth === 0 && SKIP.has(e.name)) continue;
      const p = `${dir}/${e.name}`;
      if (e.isDirectory()) {
        if (depth < PIN_MAX_DEPTH) walk(p, depth + 1);
      } else if (e.isFile()) {
        // Symlinks and anything else that is not a regular bpffs object are not followed.
        let fd: number;
        try {
          fd = L.objGet(p);
        } catch {
          continue;
        }
        try {
          const who = pinnedIdentity(fd);
          if (who) index[who.kind].set(who.id, [...(index[who.kind].get(who.id) ?? []), p]);
        } finally {
          L.closeFd(fd);
        }
      }
    }
  };
  walk(BPFFS_ROOT, 0);
  pinCache = { at: Date.now(), index };
  return index;
}

/** After pin/unpin the next list must see the change at once. */
export function forgetPins(): void {
  pinCache = undefined;
}
