// vmlinux.h: every kernel type as C, generated from the target kernel's BTF so CO-RE programs can
// include one header instead of the kernel's. Local generation uses bpftool.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const KERNEL_BTF = '/sys/kernel/btf/vmlinux';

export async function dumpVmlinuxHeader(bpftoolPath = 'bpftool', btfPath = KERNEL_BTF): Promise<string> {
  try {
    await fs.access(btfPath);
  } catch {
    throw new Error(
      `${btfPath} does not exist: this kernel was built without BTF (CONFIG_DEBUG_INFO_BTF), so CO-RE and vmlinux.h are unavailable. Use a kernel with BTF (most distributions since 2020) or include linux/*.h headers instead.`,
    );
  }
  try {
    const { stdout } = await run(bpftoolPath, ['btf', 'dump', 'file', btfPath, 'format', 'c'], {
      maxBuffer: 512 * 1024 * 1024,
      timeout: 120000,
    });
    return stdout;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') {
      throw new Error(
        `bpftool was not found at '${bpftoolPath}': install it (Debian: 'sudo apt install bpftool', Ubuntu: 'sudo apt install linux-tools-common linux-tools-generic') or set 'ebpfWorkbench.bpftool.path'.`,
        { cause: e },
      );
    }
    throw new Error(`bpftool could not dump ${btfPath}: ${(err.stderr || err.message).trim()}`, { cause: e });
  }
}

/** Writes atomically so a build running at the same time never sees half a header. */
export async function writeVmlinuxHeader(folder: string, header: string): Promise<string> {
  const target = path.join(folder, 'vmlinux.h');
  const temp = `${target}.${process.pid}.tmp`;
  await fs.writeFile(temp, header);
  await fs.rename(temp, target);
  return target;
}
