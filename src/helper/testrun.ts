// BPF_PROG_TEST_RUN of a loaded program: run it once (or `repeat` times) on given input.
import type { TestRunResult } from '../protocol/types';
import { progTypeName } from '../protocol/names';
import { HelperError } from './errors';
import * as L from './libbpf';

/** Program types whose test run takes a packet; they get a zeroed Ethernet-sized frame by default. */
const PACKET_TYPES = new Set([
  'socket_filter',
  'sched_cls',
  'sched_act',
  'xdp',
  'cgroup_skb',
  'lwt_in',
  'lwt_out',
  'lwt_xmit',
  'lwt_seg6local',
  'sk_skb',
  'flow_dissector',
]);
const DEFAULT_PACKET_BYTES = 64;
const MAX_DATA_OUT = 64 * 1024;

export function testRun(
  fd: number,
  info: L.ProgInfo,
  dataIn: Buffer | undefined,
  ctxIn: Buffer | undefined,
  repeat: number,
): TestRunResult {
  const type = progTypeName(info.type);
  const data = dataIn ?? (PACKET_TYPES.has(type) ? Buffer.alloc(DEFAULT_PACKET_BYTES) : null);
  try {
    const r = L.progTestRun(fd, info.type, data, ctxIn ?? null, repeat, data ? Math.min(MAX_DATA_OUT, data.length + 4096) : 0);
    return { retval: r.retval, durationNs: r.duration, dataOut: r.dataOut.toString('base64'), ctxOut: r.ctxOut.toString('base64') };
  } catch (e) {
    if (e instanceof HelperError && (e.errno === 524 || e.errno === 95)) {
      throw new HelperError('KERNEL', `program ${info.id} (${info.name}) is a ${type} program, which the kernel cannot test-run`, {
        errno: e.errno,
        fix: 'test runs work for socket filters, tc (sched_cls), XDP, cgroup_skb, raw tracepoints, syscall and a few other types',
      });
    }
    if (e instanceof HelperError && e.errno === 22) {
      throw new HelperError('KERNEL', `the kernel refused the test run of ${info.name} (${type}): EINVAL`, {
        errno: e.errno,
        fix: 'check dataIn/ctxIn: packet programs need at least a 14-byte Ethernet header; syscall programs take only ctxIn; ctxIn must match the context struct size',
      });
    }
    throw e;
  }
}
