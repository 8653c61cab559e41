// Compiles a broken fixture with real clang and loads it into the real kernel through the
// project's root helper, returning the text a user would see: libbpf's messages and the
// verifier log produced in this run. One function, so the loading path can be switched.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { LoadFailureDetails } from '../../src/protocol/types';
import { HelperClient, HelperClientError } from '../../src/core/connection/client';
import { startLocalHelper } from '../../src/core/connection/local';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');

export const CLANG_ARGS = ['-g', '-O2', '-target', 'bpf', '-D__TARGET_ARCH_x86', '-I/usr/include/x86_64-linux-gnu'];

export class FixtureLoader {
  private readonly client: HelperClient = startLocalHelper({
    helperPath: path.join(ROOT, 'src/helper/main.ts'),
    nodeArgs: ['--import', 'tsx'],
  });
  private readonly dir = mkdtempSync(path.join(tmpdir(), 'verifier-fixtures-'));

  /** A vmlinux.h for this kernel (bpftool from its BTF), for fixtures that use kernel types. */
  async vmlinuxHeader(): Promise<void> {
    const { stdout } = await run('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'c'], { maxBuffer: 256 << 20 });
    writeFileSync(path.join(this.dir, 'vmlinux.h'), stdout);
  }

  /** clang's stderr when compilation fails (the test then analyzes that instead). */
  async compile(source: string, extraArgs: string[] = []): Promise<{ object?: string; stderr: string }> {
    source = path.resolve(source);
    const tag = extraArgs.length ? `-${extraArgs.join('').replace(/\W+/g, '_')}` : '';
    const object = path.join(this.dir, path.basename(source).replace(/\.c$/, `${tag}.o`));
    try {
      const { stderr } = await run('clang', [...CLANG_ARGS, ...extraArgs, '-I', this.dir, '-c', source, '-o', object], {
        cwd: path.dirname(source),
      });
      return { object, stderr };
    } catch (e) {
      return { stderr: String((e as { stderr?: string }).stderr ?? e) };
    }
  }

  /**
   * Loads the object; on rejection returns libbpf's log followed by the verifier log.
   * A program that loads is unloaded at once and reported as `loaded`.
   */
  async load(object: string, logLevel = 1): Promise<{ loaded: boolean; text: string }> {
    try {
      const res = await this.client.loadObject({ path: object, logLevel });
      await this.client.unloadObject(res.handle);
      return { loaded: true, text: [res.libbpfLog, ...res.programs.map((p) => p.log ?? '')].join('\n') };
    } catch (e) {
      if (!(e instanceof HelperClientError)) throw e;
      const d = e.data.details as LoadFailureDetails | undefined;
      return { loaded: false, text: d ? `${d.libbpfLog}\n${d.verifierLog}` : e.message };
    }
  }

  async close(): Promise<void> {
    await this.client.dispose();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
