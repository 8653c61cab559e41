// Starting the helper on this machine: directly when we are root (under the same Node that runs
// us: the extension host, the CLI or a test), else through `sudo -n` (never prompting) or pkexec,
// and then only the root-owned install of this version that `sudo ebpf-workbench install-helper`
// made (install.ts), under the node its sudoers rule names. A helper file the user can write is
// never what sudo runs: that would be root for any process of the user.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REFUSAL_PREFIX, UNTRUSTED_EXIT } from '../../helper/trust';
import { HelperClient, HelperClientError, HelperProcess, HelperTransport } from './client';
import { findInstalled, installCommand, installPrefix, localBundle } from './install';

export type Elevation = 'auto' | 'none' | 'sudo' | 'pkexec';

export interface LocalOptions {
  /**
   * Path of dist/helper.js; default: next to this bundle, or the repo's dist/ from source, when
   * root; the installed copy of this version otherwise. Given explicitly, it is used as is (the
   * helper itself refuses to run as root from files others can change).
   */
  helperPath?: string;
  /** Where install-helper put the root-owned copies (default /usr/local/lib/ebpf-workbench). */
  installPrefix?: string;
  /** auto: root → direct, else sudo -n. pkexec must be chosen explicitly (it shows a dialog). */
  elevation?: Elevation;
  /** Node executable; default process.execPath (under Electron run as Node). */
  nodePath?: string;
  /** Extra arguments before the helper script (tests use ['--import', 'tsx'] to run the source). */
  nodeArgs?: string[];
  env?: NodeJS.ProcessEnv;
}

export function defaultHelperPath(): string {
  const candidates = [path.join(__dirname, 'helper.js'), path.join(__dirname, '..', '..', 'dist', 'helper.js')];
  return candidates.find((p) => fs.existsSync(p)) ?? candidates[0];
}

export interface HelperCommand {
  argv: string[];
  env: NodeJS.ProcessEnv;
  how: string;
  /** Elevation is needed and the install of this version is missing: start() fails with this. */
  missing?: HelperClientError;
}

/** The argv that starts the helper (for display too). */
export function helperCommand(opts: LocalOptions = {}): HelperCommand {
  // Inside VS Code, process.execPath is Electron: it behaves as Node only with this variable.
  const electron = !!process.versions.electron;
  const env = { ...process.env, ...opts.env, ...(electron ? { ELECTRON_RUN_AS_NODE: '1' } : {}) };
  const root = process.getuid?.() === 0;
  const elevation = opts.elevation ?? 'auto';
  if (elevation === 'none' || (elevation === 'auto' && root)) {
    const base = [opts.nodePath ?? process.execPath, ...(opts.nodeArgs ?? []), opts.helperPath ?? defaultHelperPath()];
    return { argv: base, env, how: root ? 'local (root)' : 'local (unprivileged)' };
  }
  const wrap = (base: string[], how: string, missing?: HelperClientError): HelperCommand =>
    elevation === 'pkexec'
      ? { argv: ['pkexec', ...base], env, how: `local (pkexec${how})`, missing }
      : { argv: ['sudo', '-n', '--', ...base], env, how: `local (sudo -n${how})`, missing };
  if (opts.helperPath) return wrap([opts.nodePath ?? process.execPath, ...(opts.nodeArgs ?? []), opts.helperPath], '');
  const prefix = opts.installPrefix ?? installPrefix(opts.env ?? process.env);
  let hash: string;
  try {
    hash = localBundle().hash;
  } catch (e) {
    const m = e instanceof Error ? e.message : String(e);
    return wrap(
      [],
      '',
      new HelperClientError({
        code: 'HELPER_UNAVAILABLE',
        message: `the helper bundle is incomplete: ${m}`,
        fix: 'build it with npm run build, or reinstall the extension',
      }),
    );
  }
  const inst = findInstalled(prefix, hash);
  if (inst) return wrap([inst.node, inst.helper], `, installed ${hash}`);
  return wrap(
    [],
    '',
    new HelperClientError({
      code: 'PERMISSION',
      message: `the helper needs root, and its root-owned install of this version (${prefix}/helper-${hash}) is missing`,
      fix: `install it once: ${installCommand()} (copies the helper to a root-owned folder and allows exactly it in sudoers) — or run as root`,
    }),
  );
}

export function localTransport(opts: LocalOptions = {}): HelperTransport {
  // Looked up again at each start: install-helper may have run since.
  let cmd = helperCommand(opts);
  return {
    get description() {
      return cmd.how;
    },
    sharesFileSystem: true,
    async start(): Promise<HelperProcess> {
      cmd = helperCommand(opts);
      if (cmd.missing) throw cmd.missing;
      const script = cmd.argv[cmd.argv.length - 1];
      if (!fs.existsSync(script)) {
        throw new HelperClientError({
          code: 'HELPER_UNAVAILABLE',
          message: `the helper is missing: ${script}`,
          fix: 'build it with npm run build',
        });
      }
      const child = spawn(cmd.argv[0], cmd.argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: cmd.env });
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
        child.on('exit', (code, signal) => resolve({ code, signal }));
        child.on('error', () => resolve({ code: -1, signal: null }));
      });
      return { stdin: child.stdin, stdout: child.stdout, stderr: child.stderr, exited, kill: (signal) => child.kill(signal) };
    },
    explainStartFailure(stderr: string, code: number | null) {
      const refusal = stderr.split('\n').find((l) => l.startsWith(REFUSAL_PREFIX));
      if (refusal || code === UNTRUSTED_EXIT) {
        const [what, fix] = (refusal ?? stderr.trim()).split(' Fix: ');
        return new HelperClientError({
          code: 'PERMISSION',
          message: what.replace(/^ebpf-workbench: /, 'the helper is ').replace(/\.$/, ''),
          fix: fix ?? `run ${installCommand()}`,
        });
      }
      if (cmd.argv[0] === 'sudo' && /password is required|a terminal is required|no tty present/i.test(stderr) && opts.helperPath) {
        // A helper chosen by path (tests, a packaged install): a rule for exactly it, if it is root's.
        const rule = `${os.userInfo().username} ALL=(root) NOPASSWD: ${cmd.argv.slice(3).join(' ')}`;
        return new HelperClientError({
          code: 'PERMISSION',
          message: 'the helper needs root, and sudo asks for a password (it is started with sudo -n, which never prompts)',
          fix: `if that helper and every folder above it are root's and not writable by others (else the helper refuses), run "sudo visudo -f /etc/sudoers.d/ebpf-workbench" and add the line: ${rule} — or use ${installCommand()}`,
        });
      }
      if (cmd.argv[0] === 'sudo' && /password is required|a terminal is required|no tty present/i.test(stderr)) {
        return new HelperClientError({
          code: 'PERMISSION',
          message: `the helper needs root, and sudo asks for a password to run ${cmd.argv.slice(3).join(' ')} (sudo -n never prompts)`,
          fix: `allow exactly the root-owned helper of this version: ${installCommand(os.userInfo().username)} — or set the elevation to pkexec`,
        });
      }
      if (cmd.argv[0] === 'sudo' && /not in the sudoers|not allowed to execute/i.test(stderr)) {
        return new HelperClientError({
          code: 'PERMISSION',
          message: `sudo refused to start the helper: ${stderr.trim()}`,
          fix: 'ask an administrator for a sudoers rule, or run as root',
        });
      }
      if (cmd.argv[0] === 'pkexec' && (code === 126 || code === 127)) {
        return new HelperClientError({
          code: 'PERMISSION',
          message: 'pkexec authorization was refused or dismissed',
          fix: 'authenticate in the dialog, or configure sudo instead',
        });
      }
      if (code === -1 && cmd.argv[0] === 'sudo') {
        return new HelperClientError({
          code: 'PERMISSION',
          message: 'the helper needs root (CAP_BPF), and sudo is not installed to start it',
          fix: 'run as root, or install sudo and allow the helper without a password',
        });
      }
      if (code === -1) {
        return new HelperClientError({
          code: 'HELPER_UNAVAILABLE',
          message: `cannot run ${cmd.argv[0]}`,
          fix: `check that ${cmd.argv[0]} is installed`,
        });
      }
      return undefined;
    },
  };
}

/** A client of a helper started on this machine. */
export function startLocalHelper(opts: LocalOptions = {}): HelperClient {
  return new HelperClient(localTransport(opts));
}
