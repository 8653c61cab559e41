// The program context, by program type: which struct the context pointer (R1 at entry) is, the
// fields at each offset (the uapi layouts are ABI, offsets never change), and what each program
// type may do with them. Lets an explanation say "reads `data` of struct __sk_buff, which socket
// filters cannot read" instead of "invalid context access".

/** [offset, size, name] of the uapi context structs (from linux/bpf.h and linux/bpf_perf_event.h). */
const LAYOUTS: Record<string, [number, number, string][]> = {
  __sk_buff: [
    [0, 4, 'len'],
    [4, 4, 'pkt_type'],
    [8, 4, 'mark'],
    [12, 4, 'queue_mapping'],
    [16, 4, 'protocol'],
    [20, 4, 'vlan_present'],
    [24, 4, 'vlan_tci'],
    [28, 4, 'vlan_proto'],
    [32, 4, 'priority'],
    [36, 4, 'ingress_ifindex'],
    [40, 4, 'ifindex'],
    [44, 4, 'tc_index'],
    [48, 20, 'cb'],
    [68, 4, 'hash'],
    [72, 4, 'tc_classid'],
    [76, 4, 'data'],
    [80, 4, 'data_end'],
    [84, 4, 'napi_id'],
    [88, 4, 'family'],
    [92, 4, 'remote_ip4'],
    [96, 4, 'local_ip4'],
    [100, 16, 'remote_ip6'],
    [116, 16, 'local_ip6'],
    [132, 4, 'remote_port'],
    [136, 4, 'local_port'],
    [140, 4, 'data_meta'],
    [144, 8, 'flow_keys'],
    [152, 8, 'tstamp'],
    [160, 4, 'wire_len'],
    [164, 4, 'gso_segs'],
    [168, 8, 'sk'],
    [176, 4, 'gso_size'],
    [180, 1, 'tstamp_type'],
    [184, 8, 'hwtstamp'],
  ],
  xdp_md: [
    [0, 4, 'data'],
    [4, 4, 'data_end'],
    [8, 4, 'data_meta'],
    [12, 4, 'ingress_ifindex'],
    [16, 4, 'rx_queue_index'],
    [20, 4, 'egress_ifindex'],
  ],
  bpf_sockopt: [
    [0, 8, 'sk'],
    [8, 8, 'optval'],
    [16, 8, 'optval_end'],
    [24, 4, 'level'],
    [28, 4, 'optname'],
    [32, 4, 'optlen'],
    [36, 4, 'retval'],
  ],
  // x86-64 struct pt_regs inside it, field by field: the kernel reads each as a whole u64.
  bpf_perf_event_data: [
    ...'r15 r14 r13 r12 bp bx r11 r10 r9 r8 ax cx dx si di orig_ax ip cs flags sp ss'
      .split(' ')
      .map((r, i): [number, number, string] => [i * 8, 8, `regs.${r}`]),
    [168, 8, 'sample_period'],
    [176, 8, 'addr'],
  ],
  bpf_sock: [
    [0, 4, 'bound_dev_if'],
    [4, 4, 'family'],
    [8, 4, 'type'],
    [12, 4, 'protocol'],
    [16, 4, 'mark'],
    [20, 4, 'priority'],
    [24, 4, 'src_ip4'],
    [28, 16, 'src_ip6'],
    [44, 4, 'src_port'],
    [48, 2, 'dst_port'],
    [52, 4, 'dst_ip4'],
    [56, 16, 'dst_ip6'],
    [72, 4, 'state'],
    [76, 4, 'rx_queue_mapping'],
  ],
  bpf_sock_addr: [
    [0, 4, 'user_family'],
    [4, 4, 'user_ip4'],
    [8, 16, 'user_ip6'],
    [24, 4, 'user_port'],
    [28, 4, 'family'],
    [32, 4, 'type'],
    [36, 4, 'protocol'],
    [40, 4, 'msg_src_ip4'],
    [44, 16, 'msg_src_ip6'],
    [64, 8, 'sk'],
  ],
  bpf_sock_ops: [
    [0, 4, 'op'],
    [4, 16, 'args'],
    [20, 4, 'family'],
    [24, 4, 'remote_ip4'],
    [28, 4, 'local_ip4'],
    [32, 16, 'remote_ip6'],
    [48, 16, 'local_ip6'],
    [64, 4, 'remote_port'],
    [68, 4, 'local_port'],
    [72, 4, 'is_fullsock'],
    [76, 4, 'snd_cwnd'],
    [80, 4, 'srtt_us'],
    [84, 4, 'bpf_sock_ops_cb_flags'],
    [88, 4, 'state'],
    [184, 8, 'sk'],
    [192, 8, 'skb_data'],
    [200, 8, 'skb_data_end'],
    [208, 4, 'skb_len'],
    [212, 4, 'skb_tcp_flags'],
  ],
  bpf_sysctl: [
    [0, 4, 'write'],
    [4, 4, 'file_pos'],
  ],
  bpf_cgroup_dev_ctx: [
    [0, 4, 'access_type'],
    [4, 4, 'major'],
    [8, 4, 'minor'],
  ],
  bpf_sk_lookup: [
    [0, 8, 'sk'],
    [8, 4, 'family'],
    [12, 4, 'protocol'],
    [16, 4, 'remote_ip4'],
    [20, 16, 'remote_ip6'],
    [36, 2, 'remote_port'],
    [40, 4, 'local_ip4'],
    [44, 16, 'local_ip6'],
    [60, 4, 'local_port'],
    [64, 4, 'ingress_ifindex'],
  ],
  sk_msg_md: [
    [0, 8, 'data'],
    [8, 8, 'data_end'],
    [16, 4, 'family'],
    [20, 4, 'remote_ip4'],
    [24, 4, 'local_ip4'],
    [60, 4, 'remote_port'],
    [64, 4, 'local_port'],
    [68, 4, 'size'],
    [72, 8, 'sk'],
  ],
};

export interface ProgramKind {
  /** How people call it: "socket filter", "tc", "XDP", ... */
  name: string;
  /** The context struct, when it is one of the uapi structs above. */
  struct?: string;
  /** The pointer pair that bounds direct access to its data (`data`/`data_end`, `optval`/`optval_end`). */
  bounds?: [string, string];
}

/** The program type a SEC() name selects (libbpf's section names), with its context. */
export function programKind(section: string | undefined): ProgramKind | undefined {
  if (!section) return undefined;
  const s = section.replace(/^\.+/, '');
  const k = (name: string, struct?: string, bounds?: [string, string]): ProgramKind => ({ name, struct, bounds });
  if (/^socket\b/.test(s)) return k('socket filter', '__sk_buff');
  if (/^(?:tc|tcx|classifier|action)\b/.test(s)) return k('tc', '__sk_buff', ['data', 'data_end']);
  if (/^cgroup_skb\b|^cgroup\/skb\b/.test(s)) return k('cgroup skb', '__sk_buff', ['data', 'data_end']);
  if (/^sk_skb\b/.test(s)) return k('sk_skb', '__sk_buff', ['data', 'data_end']);
  if (/^flow_dissector\b/.test(s)) return k('flow dissector', '__sk_buff', ['data', 'data_end']);
  if (/^lwt_/.test(s)) return k('lwt', '__sk_buff', ['data', 'data_end']);
  if (/^xdp\b/.test(s)) return k('XDP', 'xdp_md', ['data', 'data_end']);
  if (/^cgroup\/[gs]etsockopt\b/.test(s)) return k('cgroup sockopt', 'bpf_sockopt', ['optval', 'optval_end']);
  if (/^cgroup\/(?:sock_create|sock_release|post_bind[46]|sock)$/.test(s)) return k('cgroup sock', 'bpf_sock');
  if (/^cgroup\/(?:bind|connect|sendmsg|recvmsg|getpeername|getsockname)\w*$/.test(s)) return k('cgroup sock_addr', 'bpf_sock_addr');
  if (/^sockops\b/.test(s)) return k('sock_ops', 'bpf_sock_ops', ['skb_data', 'skb_data_end']);
  if (/^cgroup\/sysctl\b/.test(s)) return k('cgroup sysctl', 'bpf_sysctl');
  if (/^sk_msg\b/.test(s)) return k('sk_msg', 'sk_msg_md', ['data', 'data_end']);
  if (/^sk_lookup\b/.test(s)) return k('sk_lookup', 'bpf_sk_lookup');
  if (/^cgroup\/dev\b/.test(s)) return k('cgroup device', 'bpf_cgroup_dev_ctx');
  if (/^perf_event\b/.test(s)) return k('perf_event', 'bpf_perf_event_data');
  if (/^(?:tp|tracepoint)\//.test(s)) return k('tracepoint');
  if (/^(?:raw_tp|raw_tracepoint)(?:\.w)?\//.test(s)) return k('raw tracepoint');
  if (/^(?:tp_btf|fentry|fexit|fmod_ret|lsm|iter)(?:\.s)?\//.test(s)) return k(s.split('/')[0]);
  if (/^k(?:ret)?probe|^u(?:ret)?probe|^ksyscall/.test(s)) return k(s.split(/[/.]/)[0]);
  return undefined;
}

/** The field of `struct` that covers byte `off`, with its own offset and size. */
export function contextField(struct: string | undefined, off: number): { name: string; off: number; size: number } | undefined {
  const layout = struct ? LAYOUTS[struct] : undefined;
  const f = layout?.find(([o, size]) => off >= o && off < o + size);
  return f ? { name: f[2], off: f[0], size: f[1] } : undefined;
}

/** Bytes of the uapi struct (its last field's end), for "past the end" statements. */
export function contextSize(struct: string | undefined): number | undefined {
  const layout = struct ? LAYOUTS[struct] : undefined;
  const last = layout?.[layout.length - 1];
  return last ? last[0] + last[1] : undefined;
}

/** The section string of a `SEC("...")` line. */
export function sectionName(line: string | undefined): string | undefined {
  return line ? /\b(?:SEC|__section|section)\s*\(\s*"([^"]+)"/.exec(line)?.[1] : undefined;
}

/**
 * Why this program type refuses this access to the context field, as far as the rules are fixed
 * (the kernel's *_is_valid_access per program type). Returns the sentence and the fix.
 */
export function contextAccessRule(
  kind: ProgramKind,
  field: { name: string; off: number; size: number },
  access: 'read' | 'write' | undefined,
  size: number,
): { why: string; fix: string } | undefined {
  const f = `\`${field.name}\``;
  const where = `${f} (offset ${field.off}) of struct ${kind.struct}`;
  const packet = /^(?:data|data_end|data_meta)$/.test(field.name);
  if (kind.name === 'socket filter' && packet)
    return {
      why: `This reads ${where}, but socket filters have no direct packet access: the kernel does not let them read ${f}.`,
      fix: 'Read the bytes you need with bpf_skb_load_bytes(skb, offset, &buf, sizeof(buf)) (or load_byte()/load_half() style helpers), or move the program to tc if it must use direct packet access.',
    };
  if (kind.name === 'flow dissector' && !/^(?:data|data_end|flow_keys)$/.test(field.name))
    return {
      why: `This reads ${where}, but a flow dissector may read only \`data\`, \`data_end\` and \`flow_keys\` of its struct __sk_buff: it runs before the skb is set up, so the other fields have no value yet.`,
      fix:
        field.name === 'protocol'
          ? 'Start from `skb->flow_keys->n_proto` (the protocol the dissector is asked about, network byte order) and parse the headers from `data`.'
          : 'Get what you need from the packet (`data`..`data_end`) or from `skb->flow_keys`.',
    };
  if (field.name === 'tc_classid' && kind.name !== 'tc')
    return {
      why: `This accesses ${where}, which only tc programs may use; a ${kind.name} program may not read it.`,
      fix: 'Drop the tc_classid check here, or do the classification in a tc program (SEC("tc")).',
    };
  if (access === 'write') {
    const readOnly =
      /^(?:XDP|perf_event|cgroup sock_addr|sk_msg|sock_ops|sk_lookup|cgroup device)$/.test(kind.name) || packet || field.name === 'len';
    return {
      why: `This writes ${where}. ${readOnly ? `For a ${kind.name} program this field is read-only` : `A ${kind.name} program may not write this field`}: the context is the kernel's data, exposed to the program for reading.`,
      fix:
        kind.name === 'perf_event'
          ? 'Keep state of your own in a map (or a global variable) instead; the sampling period is set when the perf event is opened (perf_event_attr.sample_period), not from the program.'
          : kind.name === 'sk_lookup'
            ? 'An sk_lookup program does not rewrite the lookup: it picks the socket that receives the connection with bpf_sk_assign(ctx, sk, 0) (a socket from a SOCKMAP / SOCKHASH), and returns SK_PASS.'
            : `Copy ${f} into a local variable and change the copy, or keep what you want to change in a map; change packets or sockets only through the helpers meant for it.`,
    };
  }
  if (kind.name === 'perf_event' && field.name.startsWith('regs.') && size !== 8)
    return {
      why: `This reads ${size} byte(s) of \`${field.name}\` (offset ${field.off}) of struct ${kind.struct}: the saved registers of a perf_event program may only be read as whole 8-byte words, and the compiler narrowed this load (a mask or a comparison of the low bits lets it read fewer bytes).`,
      fix: `Read the whole register into a u64 first and test that (\`u64 v = ctx->${field.name}; barrier_var(v); if ((v & 3) == 3) ...\`), so the compiler keeps the 8-byte load.`,
    };
  if (size < field.size && (packet || /^(?:sk|flow_keys|optval|optval_end|skb_data|skb_data_end)$/.test(field.name)))
    return {
      why: `This reads ${size} byte(s) of ${where}, a pointer field: pointer fields of the context must be read whole.`,
      fix: `Read ${f} with its full width, e.g. \`(void *)(long)ctx->${field.name}\`.`,
    };
  // 64-bit fields (timestamps, byte counters) are converted by the kernel as a whole.
  if (size < field.size && field.size === 8)
    return {
      why: `This reads ${size} byte(s) of ${where}, a 64-bit field: the kernel rewrites each context access into a read of its own data and allows this field only as a whole 8-byte read, not a part of it (a cast to a narrower pointer, or a compiler that narrowed the load).`,
      fix: `Read ${f} whole into a __u64 and take the part you need from that: \`__u64 v = ctx->${field.name}; __u32 low = (__u32)v;\`.`,
    };
  if (access === 'read' && /^(?:data|data_end)$/.test(field.name) && kind.name === 'cgroup sock')
    return {
      why: `This reads ${where}; cgroup sock programs get a socket, not a packet.`,
      fix: 'Use the socket fields (family, type, protocol, ...) instead.',
    };
  // Any other field the kernel refuses here: each program type sees only the fields that mean
  // something where it runs (sk_skb has no `mark`, cgroup sock programs no ports, ...).
  const whole = size === field.size;
  return {
    why: `This reads ${whole ? '' : `${size} byte(s) of `}${where}, which a ${kind.name} program may not read${whole ? '' : ' this way (with this width, or at all)'}: each program type sees only the context fields that have a meaning where it runs.`,
    fix: `Get the value another way where ${kind.name} programs run (a helper or a map filled by a program that sees it), or do this in a program type whose context has ${f}.`,
  };
}
