// Kernel tests need root and a BPF-capable kernel. Where those are missing they skip,
// except under CI (CI=true), where a missing requirement is a failure, not a skip.
import { accessSync, constants } from 'node:fs';

export function kernelTestsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not running as root';
  try {
    accessSync('/sys/kernel/btf/vmlinux', constants.R_OK);
  } catch {
    return 'no /sys/kernel/btf/vmlinux (kernel without BTF)';
  }
  return undefined;
}

/** Call in a `before` hook: skips the suite, or throws under CI. */
export function requireKernel(ctx: Mocha.Context): void {
  const why = kernelTestsUnavailable();
  if (!why) return;
  if (process.env.CI === 'true') throw new Error(`kernel tests cannot run in CI: ${why}`);
  ctx.skip();
}
