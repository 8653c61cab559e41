// How a BPF program attaches, decided by its ELF section the way libbpf (and its skeletons) decide:
// SEC("tp/sched/sched_process_exec") says everything, SEC("xdp") needs an interface, SEC("kprobe")
// needs a function, SEC("uprobe") a binary and a function. Pure: the helper uses it to pick the
// libbpf attach call, the extension and the CLI to ask only for what is missing.

export type AttachKind =
  | 'kprobe'
  | 'kretprobe'
  | 'ksyscall'
  | 'kretsyscall'
  | 'kprobe_multi'
  | 'kretprobe_multi'
  | 'uprobe'
  | 'uretprobe'
  | 'usdt'
  | 'tracepoint'
  | 'raw_tracepoint'
  | 'tracing' // fentry, fexit, fmod_ret, tp_btf, freplace: the target is in BTF
  | 'lsm'
  | 'iter'
  | 'xdp'
  | 'tc'
  | 'cgroup'
  | 'netfilter'
  | 'netns' // sk_lookup, flow_dissector
  | 'sockmap' // sk_skb, sk_msg: attached to a sockmap/sockhash of the object
  | 'perf_event'
  | 'struct_ops'
  | 'none'; // socket filters, syscall programs, ...: nothing to attach to here

/** What an attach needs that the section may lack. */
export type AttachNeed = 'function' | 'binary' | 'usdt' | 'tracepoint' | 'iface' | 'direction' | 'cgroup' | 'netfilter';

export interface AttachPlan {
  kind: AttachKind;
  /** What the section already says (function, binary, tracepoint "cat:name", direction, cgroup attach type...). */
  function?: string;
  binary?: string;
  usdt?: string;
  tracepoint?: string;
  direction?: 'ingress' | 'egress';
  /** Kernel attach type name for cgroup programs (cgroup_inet_ingress, cgroup_inet4_connect, ...). */
  cgroupAttach?: string;
  /** What must come from the user before it can attach. */
  needs: AttachNeed[];
  /** Why it cannot attach from here at all (kind 'none'). */
  why?: string;
  sleepable?: boolean;
}

/** cgroup sections and the attach types libbpf gives them (uapi enum bpf_attach_type names). */
const CGROUP_SECTIONS: Record<string, string> = {
  'cgroup_skb/ingress': 'cgroup_inet_ingress',
  'cgroup_skb/egress': 'cgroup_inet_egress',
  'cgroup/skb': 'cgroup_inet_ingress',
  'cgroup/sock_create': 'cgroup_inet_sock_create',
  'cgroup/sock_release': 'cgroup_inet_sock_release',
  'cgroup/sock': 'cgroup_inet_sock_create',
  'cgroup/post_bind4': 'cgroup_inet4_post_bind',
  'cgroup/post_bind6': 'cgroup_inet6_post_bind',
  'cgroup/dev': 'cgroup_device',
  'cgroup/bind4': 'cgroup_inet4_bind',
  'cgroup/bind6': 'cgroup_inet6_bind',
  'cgroup/connect4': 'cgroup_inet4_connect',
  'cgroup/connect6': 'cgroup_inet6_connect',
  'cgroup/connect_unix': 'cgroup_unix_connect',
  'cgroup/sendmsg4': 'cgroup_udp4_sendmsg',
  'cgroup/sendmsg6': 'cgroup_udp6_sendmsg',
  'cgroup/sendmsg_unix': 'cgroup_unix_sendmsg',
  'cgroup/recvmsg4': 'cgroup_udp4_recvmsg',
  'cgroup/recvmsg6': 'cgroup_udp6_recvmsg',
  'cgroup/recvmsg_unix': 'cgroup_unix_recvmsg',
  'cgroup/getpeername4': 'cgroup_inet4_getpeername',
  'cgroup/getpeername6': 'cgroup_inet6_getpeername',
  'cgroup/getsockname4': 'cgroup_inet4_getsockname',
  'cgroup/getsockname6': 'cgroup_inet6_getsockname',
  'cgroup/sysctl': 'cgroup_sysctl',
  'cgroup/getsockopt': 'cgroup_getsockopt',
  'cgroup/setsockopt': 'cgroup_setsockopt',
  sockops: 'cgroup_sock_ops',
};

const NONE: Record<string, string> = {
  socket: 'a socket filter attaches to a socket of your own program (setsockopt SO_ATTACH_BPF); run it here with Test Run',
  syscall: 'a syscall program is not attached: run it with Test Run (BPF_PROG_TEST_RUN)',
  sk_reuseport: 'an SO_REUSEPORT program attaches to a socket group of your own program (SO_ATTACH_REUSEPORT_EBPF)',
  lwt_in: 'lightweight tunnel programs attach to a route: ip route add ... encap bpf in obj FILE section lwt_in',
  lwt_out: 'lightweight tunnel programs attach to a route: ip route add ... encap bpf out obj FILE section lwt_out',
  lwt_xmit: 'lightweight tunnel programs attach to a route: ip route add ... encap bpf xmit obj FILE section lwt_xmit',
  lwt_seg6local: 'seg6local programs attach to a route: ip -6 route add ... encap seg6local action End.BPF endpoint obj FILE',
  action: 'a tc action program attaches through tc filter ... action bpf obj FILE',
  lirc_mode2: 'an IR decoder attaches to a /dev/lirc device of your own',
  freplace: 'freplace programs replace a function of another loaded program; give its program with libbpf at load time',
  'xdp/devmap': 'a devmap program runs when packets are redirected into a devmap entry that names it',
  'xdp/cpumap': 'a cpumap program runs when packets are redirected into a cpumap entry that names it',
};

function after(section: string, prefix: string): string | undefined {
  if (section === prefix) return undefined;
  if (!section.startsWith(prefix + '/')) return undefined;
  const rest = section.slice(prefix.length + 1);
  return rest === '' ? undefined : rest;
}

/** Strips the flavours that do not change how a program attaches (".s" sleepable, ".frags", ".w"). */
function baseOf(section: string): { base: string; sleepable: boolean } {
  const [head, ...rest] = section.split('/');
  const sleepable = /\.s$/.test(head);
  const base = head.replace(/\.(s|frags|w)$/, '');
  return { base: [base, ...rest].join('/'), sleepable };
}

/** The attach plan of a program from its section name. */
export function attachPlan(section: string): AttachPlan {
  const { base: s, sleepable } = baseOf(section.trim());
  const head = s.split('/')[0];
  const plan = (p: Omit<AttachPlan, 'needs'> & { needs?: AttachNeed[] }): AttachPlan => ({
    needs: [],
    ...p,
    ...(sleepable ? { sleepable } : {}),
  });

  if (NONE[s] || NONE[head]) return plan({ kind: 'none', why: NONE[s] ?? NONE[head] });
  switch (head) {
    case 'kprobe':
    case 'kretprobe':
    case 'ksyscall':
    case 'kretsyscall': {
      const fn = after(s, head);
      // kprobe/func+0x10: an offset into the function; libbpf parses it the same way.
      return plan({ kind: head, ...(fn ? { function: fn } : {}), needs: fn ? [] : ['function'] });
    }
    case 'kprobe.multi':
    case 'kretprobe.multi': {
      const pattern = after(s, head);
      return plan({
        kind: head === 'kprobe.multi' ? 'kprobe_multi' : 'kretprobe_multi',
        ...(pattern ? { function: pattern } : {}),
        needs: pattern ? [] : ['function'],
      });
    }
    case 'uprobe':
    case 'uretprobe': {
      // uprobe/PATH:FUNCTION[+OFFSET]
      const spec = after(s, head);
      const m = spec ? /^(.+):([^:]+)$/.exec(spec) : null;
      const kind = head;
      if (m) return plan({ kind, binary: m[1], function: m[2] });
      return plan({ kind, needs: ['binary', 'function'] });
    }
    case 'uprobe.multi':
    case 'uretprobe.multi':
      return plan({ kind: 'none', why: 'uprobe.multi programs need libbpf 1.3 or newer (this helper uses the system libbpf)' });
    case 'usdt': {
      // usdt/PATH:PROVIDER:NAME
      const spec = after(s, 'usdt');
      const m = spec ? /^(.+):([^:]+):([^:]+)$/.exec(spec) : null;
      if (m) return plan({ kind: 'usdt', binary: m[1], usdt: `${m[2]}:${m[3]}` });
      return plan({ kind: 'usdt', needs: ['binary', 'usdt'] });
    }
    case 'tracepoint':
    case 'tp': {
      const rest = after(s, head);
      const m = rest ? /^([^/]+)\/([^/]+)$/.exec(rest) : null;
      if (m) return plan({ kind: 'tracepoint', tracepoint: `${m[1]}:${m[2]}` });
      return plan({ kind: 'tracepoint', needs: ['tracepoint'] });
    }
    case 'raw_tracepoint':
    case 'raw_tp': {
      const name = after(s, head);
      return plan({ kind: 'raw_tracepoint', ...(name ? { tracepoint: name } : {}), needs: name ? [] : ['tracepoint'] });
    }
    case 'tp_btf':
    case 'fentry':
    case 'fexit':
    case 'fmod_ret':
      return plan({ kind: 'tracing', ...(after(s, head) ? { function: after(s, head) } : {}) });
    case 'lsm':
    case 'lsm_cgroup':
      return plan({ kind: 'lsm', ...(after(s, head) ? { function: after(s, head) } : {}) });
    case 'iter':
      return plan({ kind: 'iter', ...(after(s, 'iter') ? { function: after(s, 'iter') } : {}) });
    case 'xdp':
      return plan({ kind: 'xdp', needs: ['iface'] });
    case 'tc':
    case 'tcx':
    case 'classifier': {
      const dir = after(s, head);
      if (dir === 'ingress' || dir === 'egress') return plan({ kind: 'tc', direction: dir, needs: ['iface'] });
      return plan({ kind: 'tc', needs: ['iface', 'direction'] });
    }
    case 'netkit':
      return plan({ kind: 'none', why: 'netkit programs attach to a netkit device when it is created (ip link add ... type netkit)' });
    case 'netfilter':
      return plan({ kind: 'netfilter', needs: ['netfilter'] });
    case 'sk_lookup':
    case 'flow_dissector':
      return plan({ kind: 'netns' });
    case 'sk_skb':
    case 'sk_msg':
      return plan({ kind: 'sockmap' });
    case 'perf_event':
      return plan({ kind: 'perf_event' });
    case 'struct_ops':
      return plan({ kind: 'struct_ops' });
    default:
      break;
  }
  const cg = CGROUP_SECTIONS[s] ?? (head === 'sockops' ? CGROUP_SECTIONS.sockops : undefined);
  if (cg) return plan({ kind: 'cgroup', cgroupAttach: cg, needs: ['cgroup'] });
  if (head === 'cgroup' || head === 'cgroup_skb')
    return plan({ kind: 'none', why: `libbpf does not know the cgroup attach point of section "${section}"` });
  return plan({ kind: 'none', why: `section "${section}" is not one libbpf knows how to attach` });
}

/** Words for a need, for prompts and errors ("an interface", "a cgroup"). */
export const NEED_TEXT: Record<AttachNeed, string> = {
  function: 'a function name',
  binary: 'a binary (absolute path of an executable or library)',
  usdt: 'a USDT probe (provider:name)',
  tracepoint: 'a tracepoint (category:name)',
  iface: 'a network interface',
  direction: 'a direction (ingress or egress)',
  cgroup: 'a cgroup (a directory of the cgroup2 hierarchy, e.g. /sys/fs/cgroup/system.slice)',
  netfilter: 'a netfilter hook (family, hook and priority)',
};
