// Kernel lockdown and build options, in words a user can act on: which lockdown mode refuses
// fentry/fexit/lsm programs here and which kernel setting would allow them. Lockdown is read from
// securityfs (/sys/kernel/security/lockdown); the root helper mounts it when a load or attach is
// refused with EPERM and it is missing. Build options come from /proc/config.gz when the kernel has it.
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';

export const SECURITYFS = '/sys/kernel/security';
export const SECURITYFS_MAGIC = 0x73636673;

/** The kernel's build options, when it exposes them (CONFIG_IKCONFIG_PROC). */
export function kernelConfig(option: string): 'y' | 'm' | 'n' | undefined {
  let text: string;
  try {
    text = zlib.gunzipSync(fs.readFileSync('/proc/config.gz')).toString('utf8');
  } catch {
    return undefined;
  }
  if (new RegExp(`^# ${option} is not set$`, 'm').test(text)) return 'n';
  const m = new RegExp(`^${option}=(y|m)$`, 'm').exec(text);
  return m ? (m[1] as 'y' | 'm') : 'n';
}

/** The lockdown line of securityfs ("none [integrity] confidentiality"), if mounted. */
function readLockdown(): string | undefined {
  try {
    return fs.readFileSync(`${SECURITYFS}/lockdown`, 'utf8');
  } catch {
    return undefined;
  }
}

/** The active lockdown mode, if securityfs is mounted. */
export function lockdownMode(): string | undefined {
  return /\[(\w+)\]/.exec(readLockdown() ?? '')?.[1];
}

/** What to do about lockdown, when securityfs says it is on. */
export function lockdownFix(): string | undefined {
  const mode = lockdownMode();
  if (!mode || mode === 'none') return undefined;
  return lockdownText(mode);
}

export function lockdownText(mode: string): string {
  const forced = kernelConfig(`CONFIG_LOCK_DOWN_KERNEL_FORCE_${mode.toUpperCase()}`) === 'y';
  return (
    `kernel lockdown is in ${mode} mode${forced ? ` (forced by the kernel's build option CONFIG_LOCK_DOWN_KERNEL_FORCE_${mode.toUpperCase()}=y)` : ''}: it refuses fentry/fexit/fmod_ret/lsm programs. ` +
    (forced
      ? 'A kernel built without that option (CONFIG_LOCK_DOWN_KERNEL_FORCE_NONE=y) would allow them; on this one use tracepoints, tp_btf, XDP, tc or cgroup programs'
      : `Booting with lockdown=none (or without Secure Boot lockdown) would allow them; or use tracepoints, tp_btf, XDP, tc or cgroup programs`)
  );
}
