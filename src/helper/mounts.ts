// File systems the helper needs that a freshly booted machine may not have mounted: bpffs on
// /sys/fs/bpf for pins (bpftool mounts it the same way when it pins) and tracefs for trace output.
// Each is mounted once, on the first request that needs it, and the helper says so in its log.
import * as fs from 'node:fs';
import { HelperError } from './errors';
import * as L from './libbpf';

import { BPF_FS_MAGIC, BPFFS_ROOT } from './validate';

export const TRACEFS_MAGIC = 0x74726163;

export type Say = (message: string) => void;

export function isMounted(dir: string, magic: number): boolean {
  try {
    return fs.statfsSync(dir).type === magic;
  } catch {
    return false;
  }
}

/**
 * Makes sure `dir` is a mount of `fstype`, mounting it when the directory exists and holds
 * something else (the empty mount point of sysfs). Throws with the command that would fix it.
 */
export function ensureMounted(dir: string, fstype: 'bpf' | 'tracefs' | 'securityfs', magic: number, say: Say): void {
  if (isMounted(dir, magic)) return;
  if (!fs.existsSync(dir)) {
    throw new HelperError('KERNEL', `${dir} does not exist, so ${fstype} cannot be mounted there`, {
      fix: `mount sysfs on /sys, or create ${dir} and run: mount -t ${fstype} ${fstype} ${dir}`,
    });
  }
  try {
    // mode=0700 as systemd and bpftool mount it: pins are root's.
    L.mountFs(fstype, dir, fstype, fstype === 'bpf' ? 'mode=0700' : '');
  } catch (e) {
    const he = e as HelperError;
    throw new HelperError(he.code ?? 'KERNEL', `${dir} is not mounted and the helper could not mount it: ${he.message}`, {
      errno: he.errno,
      fix: `mount it yourself: mount -t ${fstype} ${fstype} ${dir} (in a container, mount it on the host and bind it in)`,
    });
  }
  say(`mounted ${fstype} on ${dir}: it was not mounted (a freshly booted machine has none)`);
}

export function bpffsMounted(): boolean {
  return isMounted(BPFFS_ROOT, BPF_FS_MAGIC);
}

export function ensureBpffs(say: Say): void {
  ensureMounted(BPFFS_ROOT, 'bpf', BPF_FS_MAGIC, say);
}

/** securityfs, to read the kernel's lockdown mode (/sys/kernel/security/lockdown). */
export function ensureSecurityfs(say: Say): void {
  ensureMounted('/sys/kernel/security', 'securityfs', 0x73636673, say);
}

/** tracefs, where libbpf reads a tracepoint's id (older setups reach it through debugfs instead). */
export function ensureTracefs(say: Say): void {
  if (fs.existsSync('/sys/kernel/debug/tracing/events')) return;
  ensureMounted('/sys/kernel/tracing', 'tracefs', TRACEFS_MAGIC, say);
}
