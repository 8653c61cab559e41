// The kernel reports pids (trace lines, bpf_get_current_pid_tgid) as the initial PID namespace
// numbers them. A test run in a PID namespace of its own (fresh-machine.sh's fresh root) knows its
// children by other numbers, so there a reported pid can only be checked for being a pid.
import * as fs from 'node:fs';

const INIT_PID_NS = 'pid:[4026531836]'; // PROC_PID_INIT_INO: the initial namespace's fixed inode

export const pidsAsKernelSees = fs.readlinkSync('/proc/self/ns/pid') === INIT_PID_NS;

/** Is `reported` (from the kernel) the pid of our process `ours`, as far as this namespace can tell? */
export function isKernelPidOf(reported: number, ours: number | undefined): boolean {
  return pidsAsKernelSees ? reported === ours : Number.isInteger(reported) && reported > 0;
}

/** A regular expression source for `ours` as the kernel prints it. */
export function kernelPidPattern(ours: number | undefined): string {
  return pidsAsKernelSees ? String(ours) : '\\d+';
}
