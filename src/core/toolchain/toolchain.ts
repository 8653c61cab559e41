// Finds and checks clang: present, new enough, and built with the BPF backend.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** CO-RE relocations and BTF-defined maps need clang 10; 12+ is what libbpf recommends. */
export const MIN_CLANG_MAJOR = 10;

export interface ClangInfo {
  path: string;
  version: string;
  major: number;
}

export class ToolchainError extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(`${message} ${fix}`);
    this.name = 'ToolchainError';
  }
}

const cache = new Map<string, Promise<ClangInfo>>();

export function checkClang(clangPath: string): Promise<ClangInfo> {
  let info = cache.get(clangPath);
  if (!info) {
    info = probe(clangPath);
    cache.set(clangPath, info);
    info.catch(() => cache.delete(clangPath)); // a later install should be noticed
  }
  return info;
}

async function probe(clangPath: string): Promise<ClangInfo> {
  let versionText: string;
  try {
    versionText = (await run(clangPath, ['--version'], { timeout: 15000 })).stdout;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT' || err.code === 'EACCES') {
      throw new ToolchainError(
        `clang was not found at '${clangPath}'.`,
        "Install it (Debian/Ubuntu: 'sudo apt install clang llvm') or set 'ebpfWorkbench.clang.path' in your user settings.",
      );
    }
    throw new ToolchainError(`'${clangPath} --version' failed: ${err.message}.`, "Check 'ebpfWorkbench.clang.path'.");
  }
  const m = /clang version (\d+)\.(\d+)\.(\d+)/.exec(versionText);
  if (!m) {
    throw new ToolchainError(
      `'${clangPath}' does not look like clang (its --version says: ${versionText.split('\n')[0]}).`,
      "Point 'ebpfWorkbench.clang.path' at clang.",
    );
  }
  const major = Number(m[1]);
  if (major < MIN_CLANG_MAJOR) {
    throw new ToolchainError(
      `clang ${m[1]}.${m[2]} is too old for BPF CO-RE and BTF maps (needs ${MIN_CLANG_MAJOR} or newer).`,
      "Install a newer clang (e.g. 'sudo apt install clang-16') and set 'ebpfWorkbench.clang.path'.",
    );
  }
  const targets = await run(clangPath, ['-print-targets'], { timeout: 15000 }).then(
    (r) => r.stdout,
    () => '',
  );
  if (targets && !/^\s*bpf\b/m.test(targets)) {
    throw new ToolchainError(
      `'${clangPath}' was built without the BPF backend.`,
      "Use a clang from your distribution ('sudo apt install clang llvm'), which includes it.",
    );
  }
  return { path: clangPath, version: `${m[1]}.${m[2]}.${m[3]}`, major };
}
