// Attaching loaded programs, through libbpf where libbpf can (bpf_program__attach and its typed
// variants, chosen by the program's section as libbpf skeletons do: core/attach/sections.ts), and
// BPF_LINK_CREATE directly for what libbpf 1.1 cannot express (XDP modes, tcx, netfilter).
//
// Runs wherever the bpf_object lives (the object host): it takes the object and a program, and
// returns kernel links that the caller keeps; destroying them detaches, unless the user pinned them.
// Failures say what to do: the function is not in this kernel (closest names from /proc/kallsyms),
// the kernel has no kprobes, the interface does not exist or is down, the XDP mode is not supported
// (auto falls back to generic mode and says so), the attach type is not allowed, lockdown.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AttachedLink, AttachTarget } from '../protocol/types';
import { attachPlan, NEED_TEXT, type AttachNeed, type AttachPlan } from '../core/attach/sections';
import { closestNames } from '../core/attach/closest';
import { HelperError } from './errors';
import * as L from './libbpf';
import { cgroup2Roots, CGROUP2_MAGIC } from './cgroups';
import { describeLinkFd } from './links';
import { ensureTracefs } from './mounts';
import { kernelConfig, lockdownFix } from './lockdown';

/** A link this process holds: closing it detaches the program unless the link is pinned. */
export interface HeldLink {
  info: AttachedLink;
  fd: number;
  destroy(): void;
}

const XDP_FLAGS = { generic: 1 << 1, driver: 1 << 2, offload: 1 << 3 } as const;
const BPF_XDP = 37;
const BPF_TCX_INGRESS = 46;
const BPF_TCX_EGRESS = 47;
const BPF_NETFILTER = 45;
const NF_FAMILY = { ipv4: 2, ipv6: 10 } as const;
const NF_HOOK = { prerouting: 0, input: 1, forward: 2, output: 3, postrouting: 4 } as const;
const MAP_SOCKMAP = 15;
const MAP_SOCKHASH = 18;
const MAP_STRUCT_OPS = 26;

function needError(program: string, plan: AttachPlan, missing: AttachNeed[]): HelperError {
  return new HelperError(
    'INVALID_PARAMS',
    `program ${program} (${plan.kind}) needs ${missing.map((n) => NEED_TEXT[n]).join(' and ')} to attach`,
    {
      fix:
        plan.kind === 'xdp' || plan.kind === 'tc'
          ? `give the interface (interfaces here: ${interfaces().join(', ') || 'none'})`
          : plan.kind === 'cgroup'
            ? `give a cgroup2 directory, e.g. ${cgroup2Roots()[0] ?? '/sys/fs/cgroup'} itself (every process)`
            : 'give it, or name it in the section (e.g. SEC("kprobe/do_unlinkat"), SEC("uprobe//usr/bin/bash:readline"))',
    },
  );
}

function interfaces(): string[] {
  try {
    return fs.readdirSync('/sys/class/net').sort();
  } catch {
    return [];
  }
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Does this kernel have kprobes? (the perf kprobe PMU, or kprobe_events in tracefs) */
export function kprobesAvailable(): boolean {
  if (fs.existsSync('/sys/bus/event_source/devices/kprobe')) return true;
  return ['/sys/kernel/tracing/kprobe_events', '/sys/kernel/debug/tracing/kprobe_events'].some((f) => fs.existsSync(f));
}

export function noKprobesError(kind: string, fn: string): HelperError {
  const config = kernelConfig('CONFIG_KPROBES');
  return new HelperError(
    'KERNEL',
    `cannot attach ${kind} to ${fn}: this kernel (${os.release()}) has no kprobes — it was built without CONFIG_KPROBES` +
      `${config === 'n' ? ' ("# CONFIG_KPROBES is not set" in /proc/config.gz)' : ' (no kprobe PMU in /sys/bus/event_source/devices, no kprobe_events in tracefs)'}`,
    {
      fix: `a kernel built with CONFIG_KPROBES=y (and CONFIG_KPROBE_EVENTS=y) would allow it; on this kernel trace ${fn} with a tracepoint (SEC("tp/...")) or tp_btf program if one fires there, or an fentry program where lockdown allows`,
    },
  );
}

/** Function symbols of the kernel (text symbols of /proc/kallsyms). */
function kernelFunctions(): string[] {
  const text = readText('/proc/kallsyms') ?? '';
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const [, type, name] = line.split(' ');
    if ((type === 't' || type === 'T') && name && !name.startsWith('__pfx_')) out.push(name.replace(/\t.*$/, ''));
  }
  return out;
}

function missingFunctionError(kind: string, fn: string, errno: number | undefined, libbpfLog: string): HelperError {
  const all = kernelFunctions();
  const present = all.includes(fn);
  const near = present ? [] : closestNames(fn, all);
  const why = present
    ? `${fn} exists but cannot be probed (it is marked notrace, or on the kprobe blacklist: /sys/kernel/debug/kprobes/blacklist)`
    : `there is no function ${fn} in this kernel (not in /proc/kallsyms: misspelt, inlined into its callers, or not built in)`;
  return new HelperError('KERNEL', `cannot attach ${kind} to ${fn}: ${why}`, {
    errno,
    fix: near.length
      ? `closest names in /proc/kallsyms: ${near.join(', ')}`
      : 'look for the function in /proc/kallsyms, or probe one of its callers',
    details: { libbpfLog },
  });
}

function tracepointNames(): Map<string, string[]> {
  const byCategory = new Map<string, string[]>();
  for (const root of ['/sys/kernel/tracing/events', '/sys/kernel/debug/tracing/events']) {
    let cats: string[];
    try {
      cats = fs.readdirSync(root);
    } catch {
      continue;
    }
    for (const c of cats) {
      try {
        byCategory.set(
          c,
          fs
            .readdirSync(`${root}/${c}`, { withFileTypes: true })
            .filter((e) => e.isDirectory())
            .map((e) => e.name),
        );
      } catch {
        /* a file, not a category */
      }
    }
    break;
  }
  return byCategory;
}

function missingTracepointError(what: string, libbpfLog: string, errno?: number): HelperError {
  const all = [...tracepointNames()].flatMap(([c, names]) => names.map((n) => `${c}:${n}`));
  const name = what.includes(':') ? what : undefined;
  const near = closestNames(name ?? what, name ? all : all.map((x) => x.split(':')[1]));
  return new HelperError('KERNEL', `there is no tracepoint ${what} in this kernel`, {
    errno,
    fix: near.length ? `closest tracepoints: ${near.join(', ')}` : 'list them with: ls /sys/kernel/tracing/events/*/',
    details: { libbpfLog },
  });
}

/** ifindex of an interface in this network namespace, or an error that lists the ones there are. */
function ifindexOf(iface: string): { ifindex: number; up: boolean } {
  if (!/^[^/\s]{1,15}$/.test(iface) || iface === '.' || iface === '..')
    throw new HelperError('INVALID_PARAMS', `"${iface}" is not an interface name`);
  const text = readText(`/sys/class/net/${iface}/ifindex`);
  if (!text) {
    const all = interfaces();
    const near = closestNames(iface, all, 3);
    throw new HelperError('INVALID_PARAMS', `there is no network interface ${iface} here`, {
      fix: `${near.length ? `did you mean ${near.join(' or ')}? ` : ''}interfaces: ${all.join(', ') || 'none'}`,
    });
  }
  const flags = Number(readText(`/sys/class/net/${iface}/flags`)?.trim() ?? '0');
  return { ifindex: Number(text.trim()), up: (flags & 1) !== 0 /* IFF_UP */ };
}

function validCgroup(dir: string): string {
  const p = path.posix.normalize(dir);
  const roots = cgroup2Roots();
  const example = roots[0] ?? '/sys/fs/cgroup';
  if (!path.posix.isAbsolute(p)) throw new HelperError('INVALID_PARAMS', `cgroup must be an absolute path, got "${dir}"`);
  let real: string;
  try {
    real = fs.realpathSync(p);
  } catch {
    throw new HelperError('INVALID_PARAMS', `there is no cgroup ${p}`, {
      fix: `create it (mkdir ${p}) or pick a directory below ${example}`,
    });
  }
  if (fs.statfsSync(real).type !== CGROUP2_MAGIC || !roots.some((r) => real === r || real.startsWith(r + '/'))) {
    throw new HelperError('INVALID_PARAMS', `${real} is not a cgroup2 directory`, {
      fix: roots.length
        ? `BPF cgroup programs attach to cgroup v2: pick a directory below ${roots.join(' or ')}`
        : 'BPF cgroup programs attach to cgroup v2, which is not mounted: mount -t cgroup2 none /sys/fs/cgroup/unified',
    });
  }
  return real;
}

/** Online CPUs from /sys/devices/system/cpu/online ("0-3,5"). */
function onlineCpus(): number[] {
  const text = readText('/sys/devices/system/cpu/online')?.trim() ?? `0-${os.cpus().length - 1}`;
  return text.split(',').flatMap((r) => {
    const [a, b] = r.split('-').map(Number);
    return b === undefined ? [a] : Array.from({ length: b - a + 1 }, (_, i) => a + i);
  });
}

export interface AttachContext {
  obj: L.BpfObject;
  /** struct_ops maps this process attached already (one link each). */
  attachedStructOps: Set<string>;
}

/** Attaches `prog` as its section and `target` say; the links are the caller's to keep. */
export function attachProgram(ctx: AttachContext, prog: L.BpfProgram, target: AttachTarget): { links: HeldLink[]; notes: string[] } {
  const name = L.program.name(prog);
  const section = L.program.section(prog);
  const plan = attachPlan(section);
  const progFd = L.program.fd(prog);
  if (progFd < 0) throw new HelperError('INVALID_PARAMS', `program ${name} was not loaded (autoload is off)`);
  const programId = L.progInfo(progFd).id;
  const notes: string[] = [];

  const held = (fd: number, destroy: () => void, targetText: string): HeldLink => {
    const k = describeLinkFd(fd);
    return { fd, destroy, info: { programId, program: name, linkId: k.linkId, type: k.type, target: targetText } };
  };
  const fromLibbpf = (make: () => L.BpfLink, targetText: string, explain?: (e: HelperError, log: string) => HelperError): HeldLink => {
    const r = L.collectLibbpfOutput(make);
    if (r.error || !r.value) {
      const e = r.error as HelperError;
      throw explain ? explain(e, r.output) : attachError(e, name, plan, targetText, r.output);
    }
    const l = r.value;
    return held(L.link.fd(l), () => L.link.destroy(l), targetText);
  };
  const missing = (needs: AttachNeed[]) => needs.filter((n) => !has(n));
  const has = (n: AttachNeed): boolean =>
    n === 'function'
      ? !!(target.function ?? plan.function)
      : n === 'binary'
        ? !!(target.binary ?? plan.binary)
        : n === 'usdt'
          ? !!(target.usdt ?? plan.usdt)
          : n === 'tracepoint'
            ? !!(target.tracepoint ?? plan.tracepoint)
            : n === 'iface'
              ? !!target.iface
              : n === 'direction'
                ? true // ingress by default
                : n === 'cgroup'
                  ? !!target.cgroup
                  : !!target.netfilter;
  const lacking = missing(plan.needs);
  if (lacking.length) throw needError(name, plan, lacking);

  switch (plan.kind) {
    case 'none':
      throw new HelperError('INVALID_PARAMS', `program ${name} (section ${section}) is not attached from here: ${plan.why}`);
    case 'kprobe':
    case 'kretprobe':
    case 'ksyscall':
    case 'kretsyscall': {
      const fn = (target.function ?? plan.function)!;
      if (!kprobesAvailable()) throw noKprobesError(plan.kind, fn);
      const ret = plan.kind === 'kretprobe' || plan.kind === 'kretsyscall';
      const explain = (e: HelperError, log: string) =>
        e.errno === 2 || e.errno === 22
          ? missingFunctionError(plan.kind, fn.replace(/\+.*$/, ''), e.errno, log)
          : attachError(e, name, plan, fn, log);
      const link =
        plan.kind === 'ksyscall' || plan.kind === 'kretsyscall'
          ? fromLibbpf(() => L.attach.ksyscall(prog, fn, ret), `syscall ${fn}`, explain)
          : fromLibbpf(() => (target.function ? L.attach.kprobe(prog, ret, fn) : L.attach.auto(prog)), `${plan.kind} ${fn}`, explain);
      return { links: [link], notes };
    }
    case 'kprobe_multi':
    case 'kretprobe_multi': {
      const pattern = (target.function ?? plan.function)!;
      if (!kprobesAvailable()) throw noKprobesError(plan.kind.replace('_', '.'), pattern);
      return {
        links: [fromLibbpf(() => L.attach.kprobeMulti(prog, pattern, plan.kind === 'kretprobe_multi'), `${pattern} (kprobe.multi)`)],
        notes,
      };
    }
    case 'uprobe':
    case 'uretprobe': {
      const binary = (target.binary ?? plan.binary)!;
      const fn = (target.function ?? plan.function)!;
      if (target.binary) checkBinary(binary);
      const pid = target.pid ?? -1;
      const offset = /^0x[0-9a-f]+$/i.test(fn) ? parseInt(fn, 16) : 0;
      const where = `${plan.kind} ${binary}:${fn}${pid > 0 ? ` (pid ${pid})` : ''}`;
      const link = fromLibbpf(
        () =>
          target.binary || target.function || target.pid
            ? L.attach.uprobe(prog, pid, binary, offset, offset ? null : fn, plan.kind === 'uretprobe')
            : L.attach.auto(prog),
        where,
        (e, log) =>
          /failed to find symbol|not found|no such symbol/i.test(log) || e.errno === 2 || e.errno === 3
            ? new HelperError(
                'INVALID_PARAMS',
                `cannot attach ${plan.kind}: ${/failed to find (ELF )?symbol/i.test(log) ? `no function ${fn} in ${binary}` : e.message}`,
                {
                  errno: e.errno,
                  fix: `list the binary's functions with nm -D ${binary} (or nm for a non-stripped executable); a stripped function needs its offset (0x...)`,
                  details: { libbpfLog: log },
                },
              )
            : attachError(e, name, plan, where, log),
      );
      return { links: [link], notes };
    }
    case 'usdt': {
      const binary = (target.binary ?? plan.binary)!;
      const [provider, probe] = (target.usdt ?? plan.usdt)!.split(':');
      if (target.binary) checkBinary(binary);
      return {
        links: [fromLibbpf(() => L.attach.usdt(prog, target.pid ?? -1, binary, provider, probe), `usdt ${provider}:${probe} in ${binary}`)],
        notes,
      };
    }
    case 'tracepoint': {
      const tp = (target.tracepoint ?? plan.tracepoint)!;
      const [category, event] = tp.split(/[:/]/);
      if (!event) throw new HelperError('INVALID_PARAMS', `tracepoint "${tp}" must be category:name, e.g. sched:sched_process_exec`);
      // libbpf finds the tracepoint's id in tracefs, which a fresh machine has not mounted.
      ensureTracefs((m) => notes.push(m));
      const link = fromLibbpf(
        () => (target.tracepoint ? L.attach.tracepoint(prog, category, event) : L.attach.auto(prog)),
        `tracepoint ${category}:${event}`,
        (e, log) => (e.errno === 2 ? missingTracepointError(`${category}:${event}`, log, e.errno) : attachError(e, name, plan, tp, log)),
      );
      return { links: [link], notes };
    }
    case 'raw_tracepoint': {
      const tp = (target.tracepoint ?? plan.tracepoint)!;
      const link = fromLibbpf(
        () => (target.tracepoint ? L.attach.rawTracepoint(prog, tp) : L.attach.auto(prog)),
        `raw tracepoint ${tp}`,
        (e, log) => (e.errno === 2 ? missingTracepointError(tp, log, e.errno) : attachError(e, name, plan, tp, log)),
      );
      return { links: [link], notes };
    }
    case 'tracing':
    case 'lsm':
      return { links: [fromLibbpf(() => L.attach.auto(prog), `${section.split('/')[0]} ${plan.function ?? ''}`.trim())], notes };
    case 'iter':
      return { links: [fromLibbpf(() => L.program.attachIter(prog), `iterator ${plan.function ?? ''}`.trim())], notes };
    case 'xdp':
      return attachXdp(prog, progFd, target, held, notes);
    case 'tc': {
      const { ifindex, up } = ifindexOf(target.iface!);
      const dir = target.direction ?? plan.direction ?? 'ingress';
      if (!up) notes.push(`${target.iface} is down: no packets reach the program until "ip link set ${target.iface} up"`);
      let fd: number;
      try {
        fd = L.linkCreateRaw(progFd, ifindex, dir === 'ingress' ? BPF_TCX_INGRESS : BPF_TCX_EGRESS, 0);
      } catch (e) {
        const he = e as HelperError;
        if (he.errno === 22 && !atLeast(6, 6))
          throw new HelperError('KERNEL', `tc programs attach as tcx links from Linux 6.6; this kernel is ${os.release()}`, {
            errno: he.errno,
            fix: `attach it with tc: tc qdisc add dev ${target.iface} clsact; tc filter add dev ${target.iface} ${dir} bpf da obj FILE sec ${section}`,
          });
        throw attachError(he, name, plan, `${target.iface} ${dir}`, '');
      }
      return { links: [held(fd, () => L.closeFd(fd), `${target.iface} (tcx ${dir})`)], notes };
    }
    case 'cgroup': {
      const dir = validCgroup(target.cgroup!);
      const cfd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
      try {
        return {
          links: [fromLibbpf(() => L.attach.cgroup(prog, cfd), `cgroup ${dir} (${plan.cgroupAttach?.replace(/^cgroup_/, '')})`)],
          notes,
        };
      } finally {
        fs.closeSync(cfd);
      }
    }
    case 'netfilter': {
      const nf = target.netfilter!;
      const family = NF_FAMILY[nf.family];
      const hook = NF_HOOK[nf.hook];
      if (family === undefined || hook === undefined)
        throw new HelperError('INVALID_PARAMS', 'netfilter needs family ipv4|ipv6 and hook prerouting|input|forward|output|postrouting');
      const extra = Buffer.alloc(16);
      extra.writeUInt32LE(family, 0);
      extra.writeUInt32LE(hook, 4);
      extra.writeInt32LE(nf.priority, 8);
      let fd: number;
      try {
        fd = L.linkCreateRaw(progFd, 0, BPF_NETFILTER, 0, extra);
      } catch (e) {
        throw attachError(e as HelperError, name, plan, `netfilter ${nf.family} ${nf.hook}`, '');
      }
      return { links: [held(fd, () => L.closeFd(fd), `netfilter ${nf.family} ${nf.hook} priority ${nf.priority}`)], notes };
    }
    case 'netns': {
      const nfd = fs.openSync('/proc/self/ns/net', fs.constants.O_RDONLY);
      try {
        return { links: [fromLibbpf(() => L.attach.netns(prog, nfd), "the helper's network namespace")], notes };
      } finally {
        fs.closeSync(nfd);
      }
    }
    case 'sockmap': {
      const maps = L.objectMaps(ctx.obj).filter((m) => {
        const fd = L.map.fd(m);
        const t = fd >= 0 ? L.mapInfo(fd).type : -1;
        return t === MAP_SOCKMAP || t === MAP_SOCKHASH;
      });
      if (maps.length !== 1)
        throw new HelperError(
          'INVALID_PARAMS',
          `program ${name} attaches to a sockmap or sockhash of its object, which has ${maps.length}`,
          {
            fix: 'define exactly one sockmap/sockhash in the object, or attach it with your own loader',
          },
        );
      let fd: number;
      try {
        fd = L.linkCreateRaw(progFd, L.map.fd(maps[0]), L.expectedAttachType(prog), 0);
      } catch (e) {
        const he = e as HelperError;
        if (he.errno === 22 && !atLeast(6, 10))
          throw new HelperError('KERNEL', `sockmap programs attach as links from Linux 6.10; this kernel is ${os.release()}`, {
            errno: he.errno,
          });
        throw attachError(he, name, plan, `sockmap ${L.map.name(maps[0])}`, '');
      }
      return { links: [held(fd, () => L.closeFd(fd), `sockmap ${L.map.name(maps[0])}`)], notes };
    }
    case 'perf_event': {
      const freq = target.frequency ?? 99;
      const links: HeldLink[] = [];
      try {
        for (const cpu of onlineCpus()) {
          const pfd = L.perfEventOpenCpuClock(cpu, freq);
          try {
            links.push(fromLibbpf(() => L.attach.perfEvent(prog, pfd), `CPU ${cpu} clock at ${freq} Hz`));
          } catch (e) {
            L.closeFd(pfd);
            throw e;
          }
        }
      } catch (e) {
        links.forEach((l) => l.destroy());
        throw e;
      }
      return { links, notes };
    }
    case 'struct_ops': {
      const links: HeldLink[] = [];
      for (const m of L.objectMaps(ctx.obj)) {
        const fd = L.map.fd(m);
        if (fd < 0 || L.mapInfo(fd).type !== MAP_STRUCT_OPS || ctx.attachedStructOps.has(L.map.name(m))) continue;
        links.push(fromLibbpf(() => L.attach.structOps(m), `struct_ops ${L.map.name(m)}`));
        ctx.attachedStructOps.add(L.map.name(m));
      }
      if (!links.length) notes.push("the object's struct_ops maps are attached already");
      return { links, notes };
    }
  }
}

function atLeast(major: number, minor: number): boolean {
  const [a, b] = os
    .release()
    .split('.')
    .map((x) => parseInt(x, 10));
  return a > major || (a === major && b >= minor);
}

function checkBinary(binary: string): void {
  if (!path.posix.isAbsolute(binary)) throw new HelperError('INVALID_PARAMS', `binary must be an absolute path, got "${binary}"`);
  let st: fs.Stats;
  try {
    st = fs.statSync(binary);
  } catch {
    throw new HelperError('INVALID_PARAMS', `there is no file ${binary} on this machine`, {
      fix: 'give the path of the executable or library to probe, on the target',
    });
  }
  if (!st.isFile()) throw new HelperError('INVALID_PARAMS', `${binary} is not a regular file`);
}

function attachXdp(
  prog: L.BpfProgram,
  progFd: number,
  target: AttachTarget,
  held: (fd: number, destroy: () => void, t: string) => HeldLink,
  notes: string[],
): { links: HeldLink[]; notes: string[] } {
  const iface = target.iface!;
  const { ifindex, up } = ifindexOf(iface);
  if (!up) notes.push(`${iface} is down: no packets reach the program until "ip link set ${iface} up"`);
  const mode = target.xdpMode ?? 'auto';
  const tryMode = (m: 'driver' | 'generic' | 'offload') => L.linkCreateRaw(progFd, ifindex, BPF_XDP, XDP_FLAGS[m]);
  const busy = (e: HelperError) =>
    new HelperError('BUSY', `${iface} already has an XDP program attached`, {
      errno: e.errno,
      fix: `see it with "bpftool net show dev ${iface}"; detach it (its link, or "ip link set dev ${iface} xdp off" for one attached without a link) and try again`,
    });
  let fd: number;
  let used: 'driver' | 'generic' | 'offload';
  if (mode === 'auto') {
    try {
      fd = tryMode('driver');
      used = 'driver';
    } catch (e) {
      const he = e as HelperError;
      if (he.errno === 16 /* EBUSY */ || he.errno === 17 /* EEXIST */) throw busy(he);
      if (he.errno !== 95 /* EOPNOTSUPP */ && he.errno !== 22 && he.errno !== 524)
        throw attachError(he, L.program.name(prog), attachPlan('xdp'), iface, '');
      try {
        fd = tryMode('generic');
      } catch (e2) {
        const he2 = e2 as HelperError;
        if (he2.errno === 16 /* EBUSY */ || he2.errno === 17 /* EEXIST */) throw busy(he2);
        throw attachError(he2, L.program.name(prog), attachPlan('xdp'), iface, '');
      }
      used = 'generic';
      notes.push(
        `${iface} has no native XDP support (driver mode): attached in generic mode, which runs after the kernel has built an skb — correct but slower; use a driver with XDP support for full speed`,
      );
    }
  } else {
    try {
      fd = tryMode(mode);
      used = mode;
    } catch (e) {
      const he = e as HelperError;
      if (he.errno === 16 || he.errno === 17) throw busy(he);
      if (he.errno === 95 || he.errno === 22 || he.errno === 524) {
        throw new HelperError('KERNEL', `${iface} does not support XDP ${mode} mode`, {
          errno: he.errno,
          fix:
            mode === 'offload'
              ? 'offload needs a NIC that runs BPF itself (e.g. Netronome) and a program loaded for that device; use driver or generic mode'
              : mode === 'driver'
                ? `the ${iface} driver has no native XDP: use generic mode (or auto, which falls back to it)`
                : 'generic mode works on every interface: check that the program is an XDP program',
        });
      }
      throw attachError(he, L.program.name(prog), attachPlan('xdp'), iface, '');
    }
  }
  return { links: [held(fd, () => L.closeFd(fd), `${iface} (${used} mode)`)], notes };
}

/** A failed attach in words: permission and lockdown, attach type not allowed, and the rest. */
export function attachError(e: HelperError, program: string, plan: AttachPlan, where: string, libbpfLog: string): HelperError {
  const errno = e.errno;
  const details = libbpfLog ? { libbpfLog } : undefined;
  if (errno === 1 || errno === 13) {
    return new HelperError(
      'PERMISSION',
      `the kernel refused to attach ${program} (${plan.kind}) to ${where}: ${e.message.replace(/^.*?: /, '')}`,
      {
        errno,
        fix: lockdownFix() ?? 'the helper needs CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN (root)',
        details,
      },
    );
  }
  if (errno === 22 || errno === 95 || errno === 524) {
    return new HelperError(
      'KERNEL',
      `${program} cannot attach as ${plan.kind} to ${where}: the kernel does not allow this attach type for the program (${e.message.replace(/^.*?: /, '')})`,
      {
        errno,
        fix: "check the program's section (it decides the program type and attach type) and that this kernel supports the hook",
        details,
      },
    );
  }
  return new HelperError(e.code ?? 'KERNEL', `attaching ${program} to ${where} failed: ${e.message}`, { errno, fix: e.fix, details });
}

/** The links of one object, kept by the process that holds the object (its object host). */
export class ObjectLinks {
  private readonly links = new Map<number, HeldLink>();
  private readonly ctx: AttachContext;

  constructor(obj: L.BpfObject) {
    this.ctx = { obj, attachedStructOps: new Set() };
  }

  private program(id: number): L.BpfProgram {
    for (const p of L.objectPrograms(this.ctx.obj)) {
      const fd = L.program.fd(p);
      if (fd >= 0 && L.progInfo(fd).id === id) return p;
    }
    throw new HelperError('NO_SUCH_PROGRAM', `program ${id} is not in this object`);
  }

  /** Attaches program `id`; with `pin`, pins the link (every link, suffixed by CPU, for perf_event). */
  attach(id: number, target: AttachTarget, pin?: string): { links: AttachedLink[]; notes: string[] } {
    const { links, notes } = attachProgram(this.ctx, this.program(id), target);
    try {
      if (pin) links.forEach((l, i) => this.pinOne(l, links.length > 1 ? `${pin}_${i}` : pin));
    } catch (e) {
      links.forEach((l) => l.destroy());
      throw e;
    }
    for (const l of links) this.links.set(l.info.linkId, l);
    return { links: links.map((l) => l.info), notes };
  }

  private pinOne(l: HeldLink, p: string): void {
    L.objPin(l.fd, p);
    l.info.pinned = p;
  }

  pin(linkId: number, p: string): AttachedLink {
    const l = this.get(linkId);
    this.pinOne(l, p);
    return l.info;
  }

  /** Destroys the link: the program stops running there (a pinned link stays until its pin is removed). */
  detach(linkId: number): void {
    const l = this.get(linkId);
    this.links.delete(linkId);
    l.destroy();
  }

  list(): AttachedLink[] {
    return [...this.links.values()].map((l) => l.info);
  }

  destroyAll(): void {
    for (const l of this.links.values()) l.destroy();
    this.links.clear();
  }

  private get(linkId: number): HeldLink {
    const l = this.links.get(linkId);
    if (!l)
      throw new HelperError('INVALID_PARAMS', `link ${linkId} is not one this object's host made`, { fix: 'refresh the program list' });
    return l;
  }
}
