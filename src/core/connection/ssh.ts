// The SSH transport: runs the helper on a remote Linux host through the system OpenSSH client.
// Three short ssh runs, each an argv array (never a local shell) whose remote command is a fixed
// script plus single-quoted, validated arguments:
//   1. probe  - uname, uid, node, libc, libbpf, and which helper versions the remote has cached;
//   2. upload - only when the cache lacks this bundle's hash: a tar stream into
//               ~/.cache/ebpf-workbench/helper-<hash>/, extracted beside it and renamed into place;
//   3. start  - `node helper.js` (root) or `sudo -n node helper.js`; its stdio is the JSON-RPC pipe.
// A dropped connection ends the ssh process (TCP reset, or ServerAlive* for silent drops), the
// HelperClient then fails pending requests with HELPER_EXITED, and the next request reconnects.
// No vscode here: src/extension/sshTargets.ts, the CLI (cli/connect.ts) and tests all use it the same way.
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { HelperClient, HelperClientError, HelperProcess, HelperTransport } from './client';
import { BundleError, collectBundle, findExtensionRoot, tarBundle } from './ship';
import { formatDestination, remoteShCommand, SshOptions, sshArgs, SshTargetSpec } from './sshTarget';

export type SshFailure =
  | 'ssh-missing'
  | 'host-key-unknown'
  | 'host-key-changed'
  | 'auth-failed'
  | 'unresolved'
  | 'unreachable'
  | 'dropped'
  | 'timeout'
  | 'not-linux'
  | 'no-node'
  | 'old-node'
  | 'no-libbpf'
  | 'no-sudo'
  | 'no-koffi-build'
  | 'ship-failed'
  | 'ssh-failed';

/** Failures a user has to fix first; the others may go away by themselves (retry with backoff). */
const NEEDS_USER: ReadonlySet<SshFailure> = new Set([
  'ssh-missing',
  'host-key-unknown',
  'host-key-changed',
  'auth-failed',
  'not-linux',
  'no-node',
  'old-node',
  'no-libbpf',
  'no-sudo',
  'no-koffi-build',
]);

/** A HelperClientError (so HelperClient passes it on unchanged) that says which SSH step failed. */
export class SshTargetError extends HelperClientError {
  constructor(
    readonly reason: SshFailure,
    message: string,
    fix: string,
    detail?: string,
  ) {
    super({
      code: reason === 'dropped' ? 'HELPER_EXITED' : 'HELPER_UNAVAILABLE',
      message: detail ? `${message}: ${detail}` : message,
      fix,
      retryable: !NEEDS_USER.has(reason),
      details: { reason },
    });
    this.name = 'SshTargetError';
  }
  /** Worth retrying without the user doing anything (ErrorData.retryable, which the supervisor reads). */
  get retryable(): boolean {
    return this.data.retryable !== false;
  }
}

export interface SshTransportOptions extends SshOptions {
  /** Where dist/ and node_modules/ are; default: found from this file. */
  extensionRoot?: string;
  /** Bound for probe and start (ssh's ConnectTimeout bounds only the TCP connect). */
  stepTimeoutMs?: number;
  uploadTimeoutMs?: number;
  /** Progress lines for an output channel ("uploading helper 1.4 MB ..."). */
  log?: (line: string) => void;
}

/** What the probe learnt about the remote. */
export interface RemoteInfo {
  os: string;
  arch: string;
  kernel: string;
  uid: number;
  user: string;
  home: string;
  path: string;
  node: string;
  nodeVersion: string;
  libc: 'glibc' | 'musl';
  btf: boolean;
  libbpf: 'yes' | 'no' | 'unknown';
  cached: string[];
}

const READY = 'ebpfwb-ready';
const NOT_SHIPPED_EXIT = 98;
const NO_NODE_EXIT = 97;
const MIN_NODE_MAJOR = 18;
const STDERR_KEEP = 8192;

// Remote scripts: one line, no '!' and no single quotes (csh/tcsh/fish login shells accept the
// quoted `sh -c` wrapper around them); values arrive as $1, $2 only.
const PROBE = [
  'echo "ebpfwb:os=$(uname -s)"',
  'echo "ebpfwb:arch=$(uname -m)"',
  'echo "ebpfwb:kernel=$(uname -r)"',
  'echo "ebpfwb:uid=$(id -u)"',
  'echo "ebpfwb:user=$(id -un)"',
  'echo "ebpfwb:home=$HOME"',
  'echo "ebpfwb:path=$PATH"',
  'n=$(command -v "$1" 2>/dev/null)',
  'echo "ebpfwb:node=$n"',
  'if [ -n "$n" ]; then echo "ebpfwb:nodeVersion=$("$n" -v 2>/dev/null)"; fi',
  'if ls /lib/ld-musl-* >/dev/null 2>&1; then echo ebpfwb:libc=musl; else echo ebpfwb:libc=glibc; fi',
  'if [ -r /sys/kernel/btf/vmlinux ]; then echo ebpfwb:btf=yes; else echo ebpfwb:btf=no; fi',
  'l=unknown; for c in ldconfig /sbin/ldconfig /usr/sbin/ldconfig; do if command -v $c >/dev/null 2>&1; then if $c -p 2>/dev/null | grep -q "libbpf\\.so\\.1 "; then l=yes; else l=no; fi; break; fi; done; echo "ebpfwb:libbpf=$l"',
  'echo "ebpfwb:cached=$(cd "$HOME/.cache/ebpf-workbench" 2>/dev/null && ls -d helper-* 2>/dev/null | tr "\\n" " ")"',
].join('; ');

// Extract beside the final folder and rename: a half-finished upload never looks shipped.
const UPLOAD = [
  'set -e',
  'b="$HOME/.cache/ebpf-workbench"',
  'd="$b/helper-$1"',
  't="$d.tmp.$$"',
  'mkdir -p "$b"',
  'rm -rf "$t"',
  'mkdir "$t"',
  'tar -xf - -C "$t"',
  '[ -d "$d" ] || mv "$t" "$d"',
  'rm -rf "$t"',
  'echo ebpfwb:shipped',
].join('; ');

// The marker line tells us the helper is about to start (and lets us skip anything a shell rc
// file printed). sudo -n never prompts: it fails with "a password is required" instead.
const START = [
  'd="$HOME/.cache/ebpf-workbench/helper-$1"',
  `[ -f "$d/helper.js" ] || { echo "ebpfwb: helper $1 is not on this host" >&2; exit ${NOT_SHIPPED_EXIT}; }`,
  `n=$(command -v "$2") || { echo "ebpfwb: $2 not found" >&2; exit ${NO_NODE_EXIT}; }`,
  'cd "$d" || exit 96',
  `printf "${READY}\\n"`,
  'if [ "$(id -u)" = 0 ]; then exec "$n" "$d/helper.js"; fi',
  'exec sudo -n -- "$n" "$d/helper.js"',
].join('; ');

/** Turns ssh's own complaints (exit 255) into errors with a fix; undefined when none matched. */
export function classifySshStderr(stderr: string, where: string): SshTargetError | undefined {
  const first =
    stderr
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l && !l.startsWith('Warning: Permanently added')) ?? '';
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/i.test(stderr)) {
    return new SshTargetError(
      'host-key-changed',
      `the host key of ${where} has changed`,
      'if the host was reinstalled, remove the old key with ssh-keygen -R <host> and connect once with ssh in a terminal; otherwise do not connect',
    );
  }
  if (/Host key verification failed|No \S+ host key is known/i.test(stderr)) {
    return new SshTargetError(
      'host-key-unknown',
      `the host key of ${where} is not known`,
      'connect once with ssh in a terminal (ssh <target>) and accept the key after checking its fingerprint; the extension never accepts keys itself',
    );
  }
  if (/Permission denied \(|Too many authentication failures|no more authentication methods/i.test(stderr)) {
    return new SshTargetError(
      'auth-failed',
      `ssh could not log in to ${where}`,
      'set up key authentication (ssh-copy-id <target>) and load the key into ssh-agent; passwords cannot be typed here (BatchMode)',
      first,
    );
  }
  if (/Could not resolve hostname|Name or service not known|nodename nor servname/i.test(stderr)) {
    return new SshTargetError(
      'unresolved',
      `cannot resolve the host name of ${where}`,
      'check the target for typos, or add a Host entry to your ssh config',
      first,
    );
  }
  // An established session that broke (checked before the connect-time failures below: "Read from
  // remote host: Connection reset by peer" or "... timed out" is a drop, not a refused connection).
  if (
    /Timeout, server .* not responding|Broken pipe|Connection to .* closed|client_loop: send disconnect|packet_write_wait|Read from remote host/i.test(
      stderr,
    )
  ) {
    return new SshTargetError(
      'dropped',
      `the connection to ${where} dropped`,
      'programs and maps the helper had loaded there are gone unless pinned; reconnecting',
      first,
    );
  }
  if (/Connection timed out|Operation timed out|timed out during banner/i.test(stderr)) {
    return new SshTargetError(
      'timeout',
      `timed out connecting to ${where}`,
      'check that the host is up and reachable (VPN, firewall); retrying',
      first,
    );
  }
  if (/Connection refused|No route to host|Network is unreachable|Connection reset by peer|kex_exchange_identification/i.test(stderr)) {
    return new SshTargetError(
      'unreachable',
      `cannot connect to ${where}`,
      'check that the host is up and sshd is running on that port; retrying',
      first,
    );
  }
  if (/Connection closed by/i.test(stderr)) {
    return new SshTargetError(
      'unreachable',
      `${where} closed the connection during login`,
      'the server may limit connections (MaxStartups) or refuse this client; retrying',
      first,
    );
  }
  return undefined;
}

/** The sudoers line that lets `user` start any shipped helper version with this node. */
export function sudoersRule(info: Pick<RemoteInfo, 'user' | 'node' | 'home'>): string {
  return `${info.user} ALL=(root) NOPASSWD: ${info.node} ${info.home}/.cache/ebpf-workbench/helper-*/helper.js`;
}

/** Classifies how the start step or the running helper ended. */
export function classifyExit(code: number | null, stderr: string, where: string, sudoRule?: string): SshTargetError | undefined {
  if (/a password is required|a terminal is required|no tty present|not in the sudoers|not allowed to execute/i.test(stderr)) {
    const fix = sudoRule
      ? `log in as root, or on that host run "sudo visudo -f /etc/sudoers.d/ebpf-workbench" and add the line: ${sudoRule} (whoever can write that folder can then run code as root; that is what the helper needs)`
      : 'log in as root, or give the user passwordless sudo for node (a sudoers rule with NOPASSWD)';
    return new SshTargetError(
      'no-sudo',
      `the helper needs root on ${where}, and sudo -n was refused`,
      fix,
      stderr.trim().split('\n').pop(),
    );
  }
  if (/sudo: (command )?not found|sudo: No such file/i.test(stderr)) {
    return new SshTargetError(
      'no-sudo',
      `sudo is not installed on ${where} and the login is not root`,
      'log in as root, or install sudo and allow node without a password',
    );
  }
  if (code === NO_NODE_EXIT) {
    return new SshTargetError(
      'no-node',
      `node was not found on ${where}`,
      `install Node.js ${MIN_NODE_MAJOR}+ there (apt install nodejs), or set "nodePath" for this target to an absolute path`,
    );
  }
  if (code === 255 || code === null) return classifySshStderr(stderr, where);
  return undefined;
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class SshTransport implements HelperTransport {
  readonly description: string;
  /** Objects are sent over the connection: nothing of this machine is on the remote. */
  readonly sharesFileSystem = false;
  private readonly root: string;
  /** The last probe, for status displays (kernel, arch, node). */
  remote?: RemoteInfo;

  constructor(
    readonly spec: SshTargetSpec,
    private readonly opts: SshTransportOptions = {},
  ) {
    this.description = `ssh ${formatDestination(spec.destination)}`;
    this.root = opts.extensionRoot ?? findExtensionRoot();
  }

  private get where(): string {
    return this.spec.label;
  }

  /** Runs one ssh with a remote command, collecting output; bounded in time. */
  private run(remoteCommand: string, timeoutMs: number, input?: Buffer): Promise<RunResult> {
    const argv = sshArgs(this.spec.destination, this.opts, remoteCommand);
    return new Promise((resolve, reject) => {
      const child = spawn(this.opts.sshPath ?? 'ssh', argv, { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      let err = '';
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => (err = (err + d.toString('utf8')).slice(-STDERR_KEEP)));
      child.stdin.on('error', () => {
        /* ssh exited early; its exit status says why */
      });
      child.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(this.spawnError(e));
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        if (timedOut)
          reject(
            new SshTargetError(
              'timeout',
              `ssh to ${this.where} did not finish within ${Math.round(timeoutMs / 1000)} s`,
              'check the connection; retrying',
            ),
          );
        else resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: err });
      });
      child.stdin.end(input);
    });
  }

  private spawnError(e: NodeJS.ErrnoException): Error {
    if (e.code === 'ENOENT')
      return new SshTargetError(
        'ssh-missing',
        `the ssh client "${this.opts.sshPath ?? 'ssh'}" was not found`,
        'install OpenSSH (apt install openssh-client)',
      );
    return new SshTargetError('ssh-failed', `cannot run ssh: ${e.message}`, 'check the ssh installation');
  }

  private get sudoRule(): string | undefined {
    return this.remote && this.remote.uid !== 0 ? sudoersRule(this.remote) : undefined;
  }

  private sshFailure(r: RunResult, step: string): SshTargetError {
    return (
      classifyExit(r.code, r.stderr, this.where, this.sudoRule) ??
      new SshTargetError(
        'ssh-failed',
        `${step} on ${this.where} failed (exit ${r.code})`,
        'see the message; run the same with ssh in a terminal to investigate',
        r.stderr.trim().split('\n').slice(-3).join(' | '),
      )
    );
  }

  /** Step 1: what is the remote, and what does it lack? */
  async probe(): Promise<RemoteInfo> {
    const r = await this.run(remoteShCommand(PROBE, [this.spec.nodePath]), this.opts.stepTimeoutMs ?? 30_000);
    if (r.code !== 0) throw this.sshFailure(r, 'probing the host');
    const kv = new Map<string, string>();
    for (const line of r.stdout.split('\n')) {
      const m = /^ebpfwb:(\w+)=(.*)$/.exec(line.trim());
      if (m) kv.set(m[1], m[2].trim());
    }
    const info: RemoteInfo = {
      os: kv.get('os') ?? '',
      arch: kv.get('arch') ?? '',
      kernel: kv.get('kernel') ?? '',
      uid: Number(kv.get('uid') ?? -1),
      user: kv.get('user') ?? '',
      home: kv.get('home') ?? '',
      path: kv.get('path') ?? '',
      node: kv.get('node') ?? '',
      nodeVersion: kv.get('nodeVersion') ?? '',
      libc: kv.get('libc') === 'musl' ? 'musl' : 'glibc',
      btf: kv.get('btf') === 'yes',
      libbpf: (kv.get('libbpf') as RemoteInfo['libbpf']) ?? 'unknown',
      cached: (kv.get('cached') ?? '')
        .split(/\s+/)
        .filter((s) => s.startsWith('helper-'))
        .map((s) => s.slice('helper-'.length)),
    };
    if (info.os !== 'Linux')
      throw new SshTargetError('not-linux', `${this.where} runs ${info.os || 'an unknown system'}, not Linux`, 'eBPF needs a Linux host');
    if (!info.node) {
      throw new SshTargetError(
        'no-node',
        `"${this.spec.nodePath}" was not found on ${this.where} (PATH for ssh commands there: ${info.path})`,
        `install Node.js ${MIN_NODE_MAJOR}+ there (apt install nodejs), or set "nodePath" for this target to an absolute path (nvm installs are not on that PATH)`,
      );
    }
    const major = Number(/^v(\d+)\./.exec(info.nodeVersion)?.[1] ?? 0);
    if (major < MIN_NODE_MAJOR) {
      throw new SshTargetError(
        'old-node',
        `${info.node} on ${this.where} is ${info.nodeVersion || 'not a working node'}; the helper needs Node.js ${MIN_NODE_MAJOR}+`,
        `install a newer Node.js there, or set "nodePath" for this target to one`,
      );
    }
    if (info.libbpf === 'no')
      throw new SshTargetError(
        'no-libbpf',
        `libbpf.so.1 is not installed on ${this.where}`,
        'install it there: apt install libbpf1 (Fedora: dnf install libbpf)',
      );
    this.remote = info;
    return info;
  }

  /** Step 2: makes sure the remote has this bundle; returns its hash. */
  async ship(info: RemoteInfo): Promise<string> {
    let bundle;
    try {
      bundle = collectBundle(this.root, info.arch, info.libc);
    } catch (e) {
      if (e instanceof BundleError) throw new SshTargetError('no-koffi-build', e.message, e.fix);
      throw e;
    }
    if (info.cached.includes(bundle.hash)) return bundle.hash;
    const tar = tarBundle(bundle.files);
    this.opts.log?.(
      `uploading the helper to ${this.where} (${(tar.length / 1e6).toFixed(1)} MB, ${bundle.koffiPackage}, version ${bundle.hash})`,
    );
    const r = await this.run(remoteShCommand(UPLOAD, [bundle.hash]), this.opts.uploadTimeoutMs ?? 120_000, tar);
    if (r.code !== 0 || !r.stdout.includes('ebpfwb:shipped')) {
      throw (
        classifyExit(r.code, r.stderr, this.where) ??
        new SshTargetError(
          'ship-failed',
          `could not copy the helper to ~/.cache/ebpf-workbench on ${this.where}`,
          'check free space and that tar is installed there',
          r.stderr.trim().split('\n').slice(-2).join(' | '),
        )
      );
    }
    info.cached.push(bundle.hash);
    return bundle.hash;
  }

  /** Step 3: starts the helper; resolves once the remote side is about to exec it. */
  private launch(hash: string): Promise<HelperProcess | 'not-shipped'> {
    const argv = sshArgs(this.spec.destination, this.opts, remoteShCommand(START, [hash, this.spec.nodePath]));
    const child = spawn(this.opts.sshPath ?? 'ssh', argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let errText = '';
    child.stderr.on('data', (d: Buffer) => (errText = (errText + d.toString('utf8')).slice(-STDERR_KEEP)));
    child.stderr.pipe(stderr, { end: false });
    child.stdin.on('error', () => {
      /* reported through the exit */
    });
    let ready = false;
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
      child.on('close', (code, signal) => {
        // HelperClient reports the last stderr lines: make the last one say what happened.
        if (ready && code === 255) {
          const why =
            classifySshStderr(errText, this.where) ??
            new SshTargetError('dropped', `the connection to ${this.where} was lost`, 'reconnecting');
          stderr.write(`ebpf-workbench: ${why.data.message} (${why.data.fix})\n`);
        }
        stderr.end();
        resolve({ code, signal });
      });
    });
    const kill = (signal: NodeJS.Signals = 'SIGTERM') => void child.kill(signal);

    return new Promise((resolve, reject) => {
      let pending = Buffer.alloc(0);
      const timer = setTimeout(() => {
        if (ready) return;
        kill();
        reject(
          new SshTargetError(
            'timeout',
            `the helper on ${this.where} did not start within ${Math.round((this.opts.stepTimeoutMs ?? 30_000) / 1000)} s`,
            'check the connection; retrying',
          ),
        );
      }, this.opts.stepTimeoutMs ?? 30_000);
      const onData = (d: Buffer) => {
        pending = Buffer.concat([pending, d]);
        const at = pending.indexOf(`${READY}\n`);
        if (at < 0) {
          if (pending.length > 65536) pending = pending.subarray(-1024); // rc-file chatter
          return;
        }
        ready = true;
        clearTimeout(timer);
        child.stdout.off('data', onData);
        stdout.write(pending.subarray(at + READY.length + 1));
        child.stdout.pipe(stdout);
        resolve({ stdin: child.stdin, stdout, stderr, exited, kill });
      };
      child.stdout.on('data', onData);
      child.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(this.spawnError(e));
      });
      void exited.then(({ code }) => {
        if (ready) return;
        clearTimeout(timer);
        if (code === NOT_SHIPPED_EXIT) resolve('not-shipped');
        else reject(this.sshFailure({ code, stdout: '', stderr: errText }, 'starting the helper'));
      });
    });
  }

  /**
   * HelperTransport.start: probe, ship if needed, start. After the first success the probe is
   * skipped (each ssh login costs a handshake): a reconnect is one ssh run while the remote still
   * has this bundle. Throws SshTargetError with a fix.
   */
  async start(): Promise<HelperProcess> {
    if (this.remote) {
      const known = this.remote;
      const hash = await this.ship(known);
      const proc = await this.launch(hash);
      if (proc !== 'not-shipped') return proc;
      this.remote = undefined; // the cache went away: probe and upload again
    }
    const info = await this.probe();
    const hash = await this.ship(info);
    const proc = await this.launch(hash);
    if (proc === 'not-shipped')
      throw new SshTargetError(
        'ship-failed',
        `the helper uploaded to ${this.where} is not there`,
        'check ~/.cache/ebpf-workbench on the host',
      );
    return proc;
  }

  explainStartFailure(stderr: string, code: number | null): HelperClientError | undefined {
    return classifyExit(code, stderr, this.where, this.sudoRule);
  }
}

/** A HelperClient for one SSH target (connects on the first request). */
export function sshHelperClient(spec: SshTargetSpec, opts: SshTransportOptions = {}): HelperClient {
  return new HelperClient(new SshTransport(spec, opts));
}
