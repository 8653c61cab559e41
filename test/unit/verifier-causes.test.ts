// Root causes made away from the refused line (issue #9), on logs this kernel printed for broken
// programs of the tune half (test/fixtures/verifier-others, logs in test/fixtures/verifier/logs):
// the check the compiler folded into an inlined helper, a number compared with a number, a clamp
// that keeps the array's length, an index bounded by the wrong constant.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { analyzeLog } from '../../src/core/verifier';
import { sourcesOf } from '../kernel/verifier-load';

const LOGS = path.join(__dirname, '../fixtures/verifier/logs');
const sources = sourcesOf(path.join(__dirname, '../fixtures/verifier-others'));
const first = (name: string) => analyzeLog(readFileSync(path.join(LOGS, `${name}.log`), 'utf8'), { sources }).findings[0];
const relatedLines = (f: ReturnType<typeof first>) => f.related.map((r) => r.line);

describe('verifier: root causes away from the refused line', () => {
  it('finds the data_end check inside the inlined bounds helper, and the size it leaves out', () => {
    const f = first('aya-style-xdp-ptr-at-helper-drops-header-len');
    assert.equal(f.line, 43);
    assert.ok(relatedLines(f).includes(29), JSON.stringify(f.related));
    assert.match(f.explanation, /`ptr_at\(\)` takes `len`/);
    assert.match(f.fix, /start \+ offset \+ len > end/);
  });

  it('skips a comparison of two numbers when it looks for the data_end check', () => {
    const f = first('cilium-style-tc-l4-ports-check-before-ihl-advance');
    assert.ok(relatedLines(f).includes(53), JSON.stringify(f.related));
    assert.ok(!relatedLines(f).includes(61) || f.related.find((r) => r.line === 61)?.message !== undefined);
  });

  it('names a clamp that keeps the length, and an index bounded by another constant', () => {
    const clamp = first('bcc-style-runqlat-hist-slot-clamp-off-by-one');
    assert.ok(relatedLines(clamp).includes(75), JSON.stringify(clamp.related));
    assert.match(clamp.fix, /slot >= MAX_SLOTS\) slot = MAX_SLOTS - 1/);
    const other = first('tc-qos-class-counters-dscp-checked-against-dscp-max');
    assert.ok(relatedLines(other).includes(66), JSON.stringify(other.related));
    assert.match(other.explanation, /bounds `cls` by DSCP_MAX \(63\), not by the NR_CLASSES \(8\) entries of `pkts`/);
  });

  it('puts a budget exhausted inside a loop on the loop, and names a counter too narrow for its bound', () => {
    // The log's middle (thousands of passes) is cut, as a pasted log would be.
    const f = first('tc-egress-dscp-remap-table-scan-u8-index-never-reaches-256');
    assert.equal(f.line, 52);
    assert.ok(relatedLines(f).includes(45), JSON.stringify(f.related));
    assert.match(f.explanation, /`slot` is a `__u8`, whose largest value is 255/);
    assert.match(f.fix, /__u32 slot;/);
  });

  it("puts a combined stack size on the largest local of the stacked frames, with the other frame's", () => {
    const f = first('tc-tls-sni-logger-noinline-extension-buffer');
    assert.equal(f.line, 44);
    assert.ok(relatedLines(f).includes(73), JSON.stringify(f.related));
    assert.match(f.fix, /Move `ext` \(320 bytes\)/);
  });

  it('finds where the returned variable got the constant out of range, under the label the paths jump to', () => {
    const f = first('cgroup-dev-gpu-allowlist-shared-deny-label-returns-eperm');
    assert.equal(f.line, 62);
    assert.ok(relatedLines(f).includes(58), JSON.stringify(f.related));
    assert.match(f.explanation, /`ret` gets `-EPERM` at line 58, under the `deny:` label/);
    assert.match(f.explanation, /the 32-bit -1 zero-extended/);
  });

  it('follows a pointer reloaded from a stack buffer to the helper that copied it in', () => {
    const f = first('pixie-style-sendto-fd-table-probe-read-into-u64');
    assert.equal(f.line, 59);
    assert.ok(relatedLines(f).includes(57), JSON.stringify(f.related));
    assert.match(f.explanation, /stack buffer bpf_probe_read_kernel\(\) copied it into/);
  });

  it('names a bounding macro that keeps more values than the array has, and the size a region was really made with', () => {
    const macro = first('scx-style-wakeup-sample-record-cpu-slot-clamped-to-max-cpus');
    assert.ok(relatedLines(macro).includes(18), JSON.stringify(macro.related));
    assert.match(macro.explanation, /bounded by CPU_CLAMP\(\).*up to 511 \(MAX_CPUS - 1\), not the SAMPLE_CPUS \(64\) entries of `cpus`/);
    // mem_size=8 here is an 8-byte buffer, not sizeof(pointer): the explanation must not claim it is.
    const region = first('tc-dynptr-vlan-stack-slice-indexed-by-config-depth');
    assert.doesNotMatch(`${region.title} ${region.explanation}`, /sizeof\(a pointer\)|size of a pointer/);
    assert.match(region.explanation, /was given `sizeof\(buf\)`/);
    assert.ok(relatedLines(region).includes(74));
  });

  it("explains a global function declared for another program type's context", () => {
    const f = first('xdp-shared-lib-global-parser-declared-for-sk-buff');
    assert.equal(f.catalogId, 'func-arg-mismatch');
    assert.match(f.title, /struct __sk_buff context; this XDP program's context is struct xdp_md/);
    assert.match(f.fix, /`struct xdp_md \*skb`/);
  });

  it('names the data_end check that tests another pointer than the one the line reads through', () => {
    const f = first('xdp-tutorial-style-ipv6-hop-by-hop-skip-checks-ip6h-again');
    assert.equal(f.line, 53);
    assert.ok(
      f.related.some((r) => r.line === 50 && /tests `ip6h`, not `hop`/.test(r.message)),
      JSON.stringify(f.related),
    );
    assert.match(f.fix, /\(hop \+ 1\) > data_end/);
  });

  it('names the function that computes an index and the range its mask keeps', () => {
    const f = first('tcpstates-tp-btf-per-state-time-index-from-oldstate-nibble');
    assert.equal(f.line, 67);
    assert.match(f.explanation, /in `state_slot\(\)`, which keeps 0\.\.15/);
  });

  it('tells a sizeof in bytes from the number of elements in an index check', () => {
    const f = first('libbpf-bootstrap-style-exit-code-hist-bound-by-sizeof-bytes');
    assert.ok(f.related.some((r) => r.line === 46 && /size in bytes, not the number of elements/.test(r.message)));
    assert.match(f.fix, /sizeof\(st->codes\) \/ sizeof\(st->codes\[0\]\)/);
  });

  it("says a pointer just past a header reads bytes the header's own check does not prove (TCP options)", () => {
    const f = first('pping-style-tc-tcp-tsval-read-past-tcphdr-check');
    assert.equal(f.line, 64);
    assert.match(f.explanation, /just past the struct tcphdr at `tcp`.*`tcp->doff \* 4`/);
  });

  it("points clang's pass-by-value error at the callee that takes the struct", () => {
    const f = first('cilium-style-tc-flow-hash-global-takes-tuple-by-value');
    assert.equal(f.line, 75);
    assert.ok(f.related.some((r) => r.line === 40 && /struct tuple4 by value/.test(r.message)));
  });

  it("says a parser's ignored result is why the header it checks is read unproven", () => {
    const f = first('xdp-tools-style-icmp6-echo-parse-result-ignored');
    assert.equal(f.line, 82);
    assert.ok(
      f.related.some((r) => r.line === 81 && /result of parse_icmp6hdr\(\) is ignored/.test(r.message)),
      JSON.stringify(f.related),
    );
    assert.match(f.explanation, /`icmp6->icmp6_type`/);
    assert.match(f.fix, /if \(parse_icmp6hdr\(&nh, data_end, &icmp6\) < 0\)/);
  });

  it('points a loop bounded at run time at where its bound is set (from the packet)', () => {
    const f = first('tc-ipv6-hbh-options-loop-count-from-packet');
    assert.equal(f.line, 58);
    assert.ok(
      f.related.some((r) => r.line === 55 && /`opt_end` gets its value here .*payload_len/.test(r.message)),
      JSON.stringify(f.related),
    );
  });

  it("finds the last check of a helper's size argument, quoting it", () => {
    const f = first('tp-sys-enter-syscall-args-ringbuf-record-copies-eight');
    assert.ok(
      f.related.some((r) => r.line === 59 && /comparison of `n` .*MAX_ARGS_CFG/.test(r.message)),
      JSON.stringify(f.related),
    );
  });

  it('names what a for_each callback parameter receives when the callback leaves out the map', () => {
    const f = first('conntrack-gc-for-each-callback-declared-without-map-param');
    assert.ok(f.related.some((r) => r.line === 52 && /`flow`, parameter 2 of `gc_flow_cb\(\)`, receives the key/.test(r.message)));
    assert.match(f.explanation, /declares 3 parameters where bpf_for_each_map_elem\(\) passes 4/);
    assert.match(f.explanation, /`flow->bytes` therefore reads the key/);
  });

  it('finds the char a negative offset was sign-extended from', () => {
    const f = first('tc-tenant-qos-policy-tlv-walk-signed-char-len');
    assert.ok(
      f.related.some((r) => r.line === 45 && /`tlv_len` is declared `char`, a signed type/.test(r.message)),
      JSON.stringify(f.related),
    );
    assert.match(f.fix, /`unsigned char tlv_len;`/);
  });

  it("names a subprogram's parameter and what its call site passed (the address of a ctx field)", () => {
    const f = first('cgroup-connect4-egress-policy-noinline-port-reader-gets-ctx-field-address');
    assert.ok(
      f.related.some((r) => r.line === 32 && /`user_port`, parameter 1 of `port_is_denied\(\)`, is `&ctx->user_port`/.test(r.message)),
    );
    assert.match(f.fix, /Read `ctx->user_port` in the caller/);
  });

  it('says a packet check compared with an end computed from a length is not a data_end check', () => {
    const f = first('tc-wireguard-handshake-counter-bounds-checked-against-skb-len');
    assert.ok(f.related.some((r) => r.line === 54 && /compares `msg_type` with `pkt_end`, not with data_end/.test(r.message)));
    assert.match(f.fix, /msg_type \+ 4\) > data_end/);
  });

  it('points a reference leaked through a goto at the goto that skips the release', () => {
    const f = first('tc-ingress-srtt-shed-tcp-sock-miss-goto-out-skips-release');
    assert.equal(f.line, 61);
    assert.ok(
      f.related.some((r) => r.line === 56 && /`goto out` leaves with `sk` still held: the bpf_sk_release\(\) at line 59/.test(r.message)),
    );
  });

  it('says which return leaves a section open, the condition that takes it, and the call it skips', () => {
    const f = first('tp-btf-sched-switch-cgroup-cpu-time-rcu-unlock-skipped-for-kthreads');
    assert.equal(f.line, 50);
    assert.match(f.explanation, /taken when `prev->flags & PF_KTHREAD`\) leaves the program after bpf_rcu_read_lock\(\) at line 48/);
    assert.match(f.fix, /^Call bpf_rcu_read_unlock\(\) before `return 0;` at line 50/);
  });

  it("names a global function's parameter that may be NULL (a header with __attribute__((noinline)))", () => {
    const f = first('tc-lb4-global-ct-lookup-tuple-arg-unchecked');
    assert.match(f.explanation, /`tuple` is a parameter of `lb4_ct_lookup\(\)`, a global/);
    assert.match(f.fix, /`if \(!tuple\) return \.\.\.;` at the top of `lb4_ct_lookup\(\)`/);
  });

  it('bounds a stack array read by its length, and fixes the loop header that runs one past it', () => {
    const f = first('exec-comm-denylist-lowercase-loop-runs-past-comm');
    assert.match(f.explanation, /`name` has 16 entries \(TASK_COMM_LEN\)/);
    assert.ok(!f.related.some((r) => /declared signed/.test(r.message)), 'a loop counter from 0 is not negative');
    assert.equal(f.fix, "Bound the loop by the array's length: `for (i = 0; i < TASK_COMM_LEN; i++)`.");
  });

  it("names the callback a program's context was passed on to as a callback context", () => {
    const f = first('xdp-mss-audit-tcp-option-walk-bpf-loop-gets-xdp-ctx');
    assert.match(f.explanation, /A ctx pointer is not accepted there/);
    assert.match(f.explanation, /bpf_loop\(\) passes `ctx` on to `parse_tcp_opt\(\)`/);
    assert.match(f.fix, /bpf_loop\(\.\.\., parse_tcp_opt, &st, 0\)/);
  });

  it('says a pointer moved by a run-time offset after the check needs a check of its own (a sizeof in the check is not a check of it)', () => {
    const f = first('cilium-style-tc-l4-ports-check-before-ihl-advance');
    assert.match(f.explanation, /`tcp` is `\(void \*\)iph \+ hlen` \(line 63\), and `hlen` is set at line 60 \(`hlen = iph->ihl \* 4;`\)/);
    assert.match(f.fix, /^After line 63, check `if \(\(void \*\)\(tcp \+ 1\) > data_end\)/);
    const g = first('tc-geneve-tenant-opt-walk-checks-total-opt-len');
    assert.match(g.explanation, /That check adds `opt_bytes` \(`opt_bytes = gnv->opt_len \* 4;`/);
  });

  it("follows an index bounded by a variable to that variable's mask, larger than the stack array", () => {
    const f = first('xdp-dns-qname-lowercase-index-masked-to-label-max');
    assert.ok(
      f.related.some((r) => r.line === 60 && /`len` can be as large as LABEL_MASK \(63\) here, and `label` has 16 entries/.test(r.message)),
    );
    assert.match(f.explanation, /`i` can reach 62, past the QNAME_BUF \(16\) entries of `label`/);
  });

  it('finds the comparison inside the function a bounds check calls', () => {
    const f = first('tc-dynptr-vlan-stack-slice-indexed-by-config-depth');
    assert.ok(
      f.related.some((r) => r.line === 52 && /`vlan_depth_ok\(\)` makes that check here: `return depth < VLAN_MAX_DEPTH;`/.test(r.message)),
    );
  });

  it('tells a double release of a kfunc reference from a global function argument', () => {
    const f = first('tp-btf-fork-bomb-guard-releases-leader-then-goto-out-releases-again');
    assert.equal(f.title, '`leader` is released twice');
    assert.ok(f.related.some((r) => r.line === 43 && /bpf_task_release\(\) gives the object back here/.test(r.message)));
    assert.doesNotMatch(f.explanation, /struct with/);
  });

  it("names a BTF-typed program's argument that the kernel marks as possibly NULL", () => {
    const f = first('tp-btf-pi-boost-tracker-reads-pi-task-prio-on-deboost');
    assert.match(f.explanation, /R2 is `pi_task`, an argument of the program \(`SEC\("tp_btf\/sched_pi_setprio"\)`\)/);
    assert.match(f.fix, /if \(!pi_task\) return 0;/);
  });

  it('explains bpf_res_spin_unlock after a bpf_res_spin_lock whose result is not tested', () => {
    const f = first('tc-tenant-byte-quota-res-spin-lock-result-ignored');
    assert.equal(f.catalogId, 'spin-lock-misuse');
    assert.ok(f.related.some((r) => r.line === 46 && /its result is not tested/.test(r.message)));
  });

  it('says a checked pointer cast to a larger header proves only the smaller one', () => {
    const f = first('tc-ipv6-frag-drop-exthdr-loop-reads-frag-off-past-opt-hdr-check');
    assert.ok(
      f.related.some(
        (r) => r.line === 53 && /struct ipv6_opt_hdr at `oh`; `fh` reads the same address as a struct frag_hdr/.test(r.message),
      ),
    );
    assert.match(f.fix, /\(fh \+ 1\) > data_end/);
  });

  it('points a reference leaked through a break out of do { } while (0) at the break that skips the release', () => {
    const f = first('xdp-synproxy-listener-probe-do-while-break-skips-release');
    assert.equal(f.line, 59);
    assert.ok(
      f.related.some((r) => r.line === 55 && /`break` leaves with `sk` still held: the bpf_sk_release\(\) at line 56/.test(r.message)),
    );
  });

  it("says a helper's size taken from a struct member is not the variable the check clamps", () => {
    const f = first('tp-sendmsg-first-iov-capture-sized-by-user-iov-len');
    assert.ok(f.related.some((r) => r.line === 58 && /bounds `cap`, not `iov.iov_len`/.test(r.message)));
  });

  it('finds a stack buffer declared at the end of an inline union and the type the size measures', () => {
    const f = first('xdp-dual-stack-acl-dynptr-slice-ipv6-into-v4-sized-buffer');
    assert.ok(f.related.some((r) => r.line === 44 && /`hdrbuf` is declared here/.test(r.message)));
    assert.match(f.explanation, /`sizeof\(\*ip6h\)` \(the size of a struct ipv6hdr, 40 bytes\)/);
  });

  it("tells raw_tp/sys_enter's pt_regs (kernel memory) from a user address", () => {
    const log = [
      '0: R1=ctx() R10=fp0',
      '; struct pt_regs *regs = (struct pt_regs *)ctx->args[0]; @ raw-sys-enter-regs-dereferenced.bpf.c:11',
      '0: (79) r1 = *(u64 *)(r1 +0)         ; R1=scalar()',
      '; if (regs->di > 4096) @ raw-sys-enter-regs-dereferenced.bpf.c:12',
      '1: (79) r1 = *(u64 *)(r1 +112)',
      "R1 invalid mem access 'scalar'",
    ].join('\n');
    const own = sourcesOf(path.join(__dirname, '../fixtures/verifier'));
    const f = analyzeLog(`libbpf: prog 'ent': BPF program load failed: Permission denied\nlibbpf: failed to load program 'ent'\n${log}`, {
      sources: own,
    }).findings[0];
    assert.doesNotMatch(f.explanation, /calling process's memory/);
    assert.match(f.explanation, /the task's struct pt_regs, kernel memory/);
  });

  it('says a format string global without const is in .data, and a key passed by value needs its address', () => {
    const own = sourcesOf(path.join(__dirname, '../fixtures/verifier'));
    const fmt = analyzeLog(
      "libbpf: prog 'ex': BPF program load failed: Permission denied\n; bpf_snprintf(out, sizeof(out), fmt, args, sizeof(args)); /* EXPECT: primary */ @ format-string-global-not-const.bpf.c:14\n9: (18) r3 = 0xffffc900018b0000      ; R3=map_value(map=format_s.data,ks=4,vs=8)\n11: (85) call bpf_snprintf#165\nR3 does not point to a readonly map'",
      { sources: own },
    ).findings[0];
    assert.ok(
      fmt.related.some((r) => r.line === 8 && /`fmt` is declared here without const/.test(r.message)),
      JSON.stringify(fmt.related),
    );
    assert.match(fmt.fix, /`const char fmt\[\] = "pid %d\\n";`/);
    const key = analyzeLog(
      '; u64 *v = bpf_map_lookup_elem(&seen, (void *)(long)pid); /* EXPECT: primary cause */ @ map-key-passed-by-value.bpf.c:11\n4: (bf) r2 = r0                       ; R0=scalar() R2=scalar()\n5: (85) call bpf_map_lookup_elem#1\nR2 type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_',
      { sources: own },
    ).findings[0];
    assert.equal(key.fix, 'Pass its address: `&pid` (the variable stays on the stack, where the helper reads it).');
  });

  it('says a helper writes more bytes into a struct member than the member has', () => {
    const f = first('tetragon-style-exec-creds-event-copies-three-cap-sets-into-two');
    assert.ok(f.related.some((r) => r.line === 25 && /`caps` is declared here: 16 bytes/.test(r.message)));
    assert.match(f.fix, /sizeof\(e->caps\)/);
  });

  it('names the nearest NULL check of another pointer before the use', () => {
    const f = first('tracee-style-exec-lineage-parent-storage-null-check-on-child');
    assert.ok(f.related.some((r) => r.line === 56 && /checks `pinfo` for NULL, not `ppinfo`/.test(r.message)));
  });

  it('points a read at a cursor that a parse helper advanced at the call that moved it', () => {
    const f = first('tc-mqtt-connect-audit-pull-helper-advances-past-proven-header');
    assert.ok(f.related.some((r) => r.line === 64 && /pull\(\) proves the bytes at `cur` and then moves `cur` past them/.test(r.message)));
  });

  it('reads a NULL check of two pointers that tests one of them twice', () => {
    const f = first('tc-top-talkers-pair-null-check-repeats-src-pointer');
    assert.ok(f.related.some((r) => r.line === 51 && /checks `src_bytes` for NULL, not `dst_bytes`/.test(r.message)));
  });
});

// Round 15: mechanisms found on the tune half of sets 29-35.
describe('verifier: root causes on programs of sets 29-35 (tune half)', () => {
  const has = (f: ReturnType<typeof first>, line: number, re: RegExp) =>
    assert.ok(
      f.related.some((r) => r.line === line && re.test(r.message)),
      JSON.stringify(f.related),
    );

  it('names the member a helper writes past, and where an unchecked size gets its value', () => {
    const host = first('tp-btf-exec-hostname-tag-copies-sizeof-new-utsname');
    assert.match(host.explanation, /writes 390 bytes \(`sizeof\(struct new_utsname\)`\) into `e->host`.*65 bytes/);
    assert.match(host.fix, /sizeof\(e->host\)/);
    const len = first('tp-connect-logger-copies-addrlen-bytes-of-sockaddr');
    has(len, 44, /`len` gets its value here \(`__u32 len = ctx->addrlen;`\)/);
    assert.match(len.fix, /if \(len > sizeof\(e->addr\)\) len = sizeof\(e->addr\);/);
    // Past the clamp to a constant, the value that may be 0; and a count times sizeof().
    has(first('tc-geneve-collect-md-tenant-opt-fetch-len-global-may-be-zero'), 35, /opt_fetch_len.*may be 0/);
    const lbr = first('perf-event-lbr-hot-branch-sampler-depth-option-signed-clamp');
    assert.match(lbr.explanation, /argument 3 of bpf_read_branch_records: `depth \* sizeof\(struct perf_branch_entry\)`/);
    has(lbr, 58, /bounds `depth` from above only/);
  });

  it('puts an unchecked lookup returned by an inlined helper on its return, and names an array length built from a macro', () => {
    const ret = first('tp-rw-syscall-stats-helper-returns-member-of-unchecked-lookup');
    has(ret, 44, /`dir_stats\(\)` returns `write \? &s->writes : &s->reads` here without checking `s`/);
    assert.match(ret.fix, /if \(!s\) return NULL;/);
    const icmp = first('xdp-icmp-type-stats-indexes-value-by-packet-type');
    assert.match(icmp.explanation, /`NR_TYPES` is `\(NR_ICMP_TYPES \+ 1\)` = 19/);
    assert.match(icmp.fix, />= NR_TYPES \(19\)/);
  });

  it('names the release of a conntrack entry, a call that is handed the socket, and the break that leaves with a record', () => {
    assert.match(
      first('xdp-ct-kfunc-seen-reply-fastpath-returns-without-ct-release').fix,
      /^Call bpf_ct_release\(ct\) before `return XDP_PASS;`/,
    );
    const assign = first('tc-tproxy-sk-assign-success-path-keeps-listener-reference');
    has(assign, 76, /`bpf_sk_assign\(\)` is given `sk` here and does not release it/);
    const brk = first('execsnoop-per-arg-ringbuf-records-break-on-fault-keeps-arg-record');
    has(brk, 53, /this `break` leaves with `arg` still held/);
  });

  it('says a data_end read before the packet changed is stale, and names a packet change made inside a subprogram', () => {
    const stale = first('tc-vlan-strip-reparse-bounds-with-data-end-from-before-vlan-pop');
    has(stale, 47, /data_end is read here, before bpf_skb_vlan_pop\(\)/);
    assert.match(stale.fix, /`data_end = \(void \*\)\(long\)skb->data_end;`/);
    const sub = first('xdp-l4lb-noinline-ipip-encap-caller-rewrites-macs-through-old-eth');
    has(sub, 81, /`encap_ipip\(\)` is called here: it calls bpf_xdp_adjust_head\(\)/);
    assert.match(sub.explanation, /`eth` was a packet pointer taken before bpf_xdp_adjust_head\(\) inside `encap_ipip\(\)`/);
  });

  it('reads data_end checks made in a macro, in a parse function that returns another pointer, and of another pointer to the same address', () => {
    const macro = first('sk-reuseport-quic-lb-server-id-ensure-macro-sized-for-flags-byte');
    has(macro, 57, /proves `sizeof\(q->flags\)` bytes/);
    assert.equal(macro.fix.split(':')[0], 'Check the whole header');
    const helper = first('lwt-in-snmp-v2c-filter-payload-helper-measures-from-ip-header');
    has(helper, 35, /`snmp_payload\(\)` checks `data \+ need` against the end here, but returns/);
    const alias = first('cgroup-getsockopt-tcp-info-emulated-rtt-checks-first-word-only');
    assert.match(alias.explanation, /checks `word` against ctx->optval_end, not `ti`: both point at `ctx->optval`/);
    assert.match(first('flow-dissector-qinq-tag-checked-at-frame-start-read-at-nhoff').fix, /if \(\(void \*\)\(vlan \+ 1\) > data_end\)/);
  });

  it('reads locks, callbacks and returns: both locks of a wrong unlock, a void callback, a timer parameter that gets nothing, a sockops reply', () => {
    const unlock = first('tc-flow-exporter-bidir-counters-unlocks-reverse-entry-lock');
    assert.match(unlock.explanation, /The lock taken at line 73 is `&fwd->lock`, and this line unlocks `&rev->lock`/);
    assert.match(
      first('sockops-bbr-trial-quota-setsockopt-inside-spin-lock').explanation,
      /The lock is taken at line 47 \(`bpf_spin_lock\(&slot->lock\);`\)/,
    );
    const cb = first('runqslower-top-n-bpf-loop-min-scan-callback-declared-void');
    assert.equal(cb.catalogId, 'callback-return-range');
    assert.match(cb.fix, /`static long find_min_slot\(u32 i, struct scan_ctx \*sc\)`/);
    const timer = first('tc-conntrack-idle-timer-callback-declared-with-for-each-ctx-arg');
    has(timer, 48, /`ctx`, parameter 4 of `ct_idle_expire\(\)`, receives nothing/);
    const reply = first('sockops-dc-syn-rto-tuner-returns-reply-value');
    has(reply, 40, /`rv` gets its value here \(`rv = \*rto;`\)/);
    assert.equal(reply.fix, 'Keep `skops->reply = rv;` and `return 1;`.');
    has(first('sk-reuseport-migrate-rolling-restart-null-check-on-md-sk'), 35, /this checks `md->sk` for NULL, not `migrating`/);
  });
});
