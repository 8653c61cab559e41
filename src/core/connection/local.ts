// Starting the helper on this machine: directly when we are root, else through `sudo -n`
// (never prompting), else pkexec when configured. The helper runs under the same Node that
// runs us (the extension host, the CLI or a test).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HelperClient, HelperClientError, HelperProcess, HelperTransport } from './client';

export type Elevation = 'auto' | 'none' | 'sudo' | 'pkexec';

export interface LocalOptions {
  /** Path of dist/helper.js; default: next to this bundle, or the repo's dist/ from source. */
  helperPath?: string;
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

/** The argv that starts the helper, for display and for sudoers rules. */
export function helperCommand(opts: LocalOptions = {}): { argv: string[]; env: NodeJS.ProcessEnv; how: string } {
  const node = opts.nodePath ?? process.execPath;
  const script = opts.helperPath ?? defaultHelperPath();
  const base = [node, ...(opts.nodeArgs ?? []), script];
  // Inside VS Code, process.execPath is Electron: it behaves as Node only with this variable.
  const electron = !!process.versions.electron;
  const env = { ...process.env, ...opts.env, ...(electron ? { ELECTRON_RUN_AS_NODE: '1' } : {}) };
  const root = process.getuid?.() === 0;
  const elevation = opts.elevation ?? 'auto';
  if (elevation === 'none' || (elevation === 'auto' && root))
    return { argv: base, env, how: root ? 'local (root)' : 'local (unprivileged)' };
  const viaEnv = electron ? ['env', 'ELECTRON_RUN_AS_NODE=1', ...base] : base;
  if (elevation === 'pkexec') return { argv: ['pkexec', ...viaEnv], env, how: 'local (pkexec)' };
  return { argv: ['sudo', '-n', '--', ...viaEnv], env, how: 'local (sudo -n)' };
}

export function localTransport(opts: LocalOptions = {}): HelperTransport {
  const cmd = helperCommand(opts);
  return {
    description: cmd.how,
    sharesFileSystem: true,
    async start(): Promise<HelperProcess> {
      if (!fs.existsSync(opts.helperPath ?? defaultHelperPath())) {
        throw new HelperClientError({
          code: 'HELPER_UNAVAILABLE',
          message: `the helper is missing: ${opts.helperPath ?? defaultHelperPath()}`,
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
      if (cmd.argv[0] === 'sudo' && /password is required|a terminal is required|no tty present/i.test(stderr)) {
        const user = os.userInfo().username;
        const rule = `${user} ALL=(root) NOPASSWD: ${cmd.argv.slice(3).join(' ')}`;
        return new HelperClientError({
          code: 'PERMISSION',
          message: 'the helper needs root, and sudo asks for a password (it is started with sudo -n, which never prompts)',
          fix: `allow it without a password: run "sudo visudo -f /etc/sudoers.d/ebpf-workbench" and add the line: ${rule} — or set the elevation to pkexec`,
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
