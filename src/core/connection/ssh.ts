// The SSH transport: runs the helper on a remote Linux host through the system OpenSSH client.
// Three short ssh runs, each an argv array (never a local shell) whose remote command is a fixed
// script plus single-quoted, validated arguments:
//   1. probe  - uname, uid, node, libc, libbpf, and which helper versions the remote has cached;
//   2. upload - only when the cache lacks this bundle's hash: a tar stream into
//               ~/.cache/ebpf-workbench/helper-<hash>/, extracted beside it and renamed into place;
//   3. start  - `node helper.js` (root), else `sudo -n <node> <prefix>/helper-<hash>/helper.js`: the
//               root-owned install `ebpf-workbench --target X install-helper` made (installOnRemote),
//               checked against its MANIFEST and this version's hash before each start. The user's
//               cache is never run as root by a non-root login. Its stdio is the JSON-RPC pipe.
// A dropped connection ends the ssh process (TCP reset, or ServerAlive* for silent drops), the
// HelperClient then fails pending requests with HELPER_EXITED, and the next request reconnects.
// No vscode here: src/extension/sshTargets.ts, the CLI (cli/connect.ts) and tests all use it the same way.
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { HelperClient, HelperClientError, HelperProcess, HelperTransport } from './client';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_PREFIX, DEFAULT_SUDOERS, NODE_PLACEHOLDER, sudoersText, SudoersSubjects } from './install';
import { BundleError, collectBundle, findExtensionRoot, HelperBundle, tarBundle } from './ship';
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
  | 'not-installed'
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
  'not-installed',
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
  /** Where the root-owned helper installs are on the remote (default /usr/local/lib/ebpf-workbench). */
  installPrefix?: string;
  /** The sudoers drop-in installOnRemote writes (default /etc/sudoers.d/ebpf-workbench). */
  sudoersPath?: string;
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
  /** Versions installed root-owned under the install prefix. */
  installed: string[];
}

const READY = 'ebpfwb-ready';
const NOT_SHIPPED_EXIT = 98;
const NO_NODE_EXIT = 97;
const NOT_INSTALLED_EXIT = 95;
const MISMATCH_EXIT = 94;
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
  'echo "ebpfwb:installed=$(cd "$2" 2>/dev/null && ls -d helper-* 2>/dev/null | tr "\\n" " ")"',
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
// $1 hash, $2 node, $3 install prefix. Root runs its own cache; anyone else runs only the
// root-owned install of exactly this version, after `sha256sum -c` of its MANIFEST.
const START = [
  `if [ "$(id -u)" = 0 ]; then d="$HOME/.cache/ebpf-workbench/helper-$1"; [ -f "$d/helper.js" ] || { echo "ebpfwb: helper $1 is not on this host" >&2; exit ${NOT_SHIPPED_EXIT}; }; n=$(command -v "$2") || { echo "ebpfwb: $2 not found" >&2; exit ${NO_NODE_EXIT}; }; cd "$d" || exit 96; printf "${READY}\\n"; exec "$n" "$d/helper.js"; fi`,
  'd="$3/helper-$1"',
  `[ -f "$d/install.json" ] || { echo "ebpfwb: helper $1 is not installed in $3 (installed there: $(cd "$3" 2>/dev/null && ls -d helper-* 2>/dev/null | tr "\\n" " "))" >&2; exit ${NOT_INSTALLED_EXIT}; }`,
  'cd "$d" || exit 96',
  `{ sha256sum -c MANIFEST >/dev/null 2>&1 && [ "$(sha256sum MANIFEST | cut -c1-16)" = "$1" ]; } || { echo "ebpfwb: the helper installed in $d does not match version $1 (its files differ from MANIFEST)" >&2; exit ${MISMATCH_EXIT}; }`,
  'n=$(sed -n "s/^  \\"node\\": \\"\\(.*\\)\\",$/\\1/p" install.json)',
  `printf "${READY}\\n"`,
  'exec sudo -n -- "$n" "$d/helper.js"',
].join('; ');

// Run as root (through sudo when the login is not root) by installOnRemote. $1 hash, $2 the user's
// cache folder of that version (uploaded by the ship step), $3 node, $4 prefix, $5 sudoers path,
// $6 the drop-in in base64 (or empty). Copies what MANIFEST lists into a root-owned folder and
// checks the copy (the user can no longer change it), copies node too when it or a folder above
// it is not root's alone, and moves the drop-in in place only after visudo -cf accepted it.
const WEAK =
  'weak() { x="$1"; while :; do st=$(stat -c "%u %a" "$x") || { echo "$x is missing"; return 0; }; u=${st%% *}; m=${st##* }; ' +
  'if [ "$u" -ne 0 ]; then echo "$x is owned by uid $u"; return 0; fi; ' +
  'if [ -d "$x" ] && [ $((0$m & 01000)) -ne 0 ]; then :; elif [ $((0$m & 022)) -ne 0 ]; then [ -L "$x" ] || { echo "$x is writable by group or others (mode $m)"; return 0; }; fi; ' +
  '[ "$x" = / ] && return 1; x=$(dirname "$x"); done; }';
const INSTALL = [
  'set -e',
  'umask 022',
  'h="$1"; s="$2"; p="$4"; f="$5"; d="$p/helper-$h"; t="$p/.helper-$h.tmp.$$"',
  'n=$(command -v "$3") || { echo "ebpfwb: $3 not found" >&2; exit 97; }',
  'n=$(readlink -f "$n")',
  WEAK,
  'mkdir -p "$p"',
  'if w=$(weak "$p"); then echo "ebpfwb: $w: the install folder must be owned by root and writable by root only" >&2; exit 90; fi',
  'trap "rm -rf $t $f.tmp.$$" EXIT',
  'rm -rf "$t"; mkdir "$t"',
  'cp "$s/MANIFEST" "$t/MANIFEST"',
  '[ "$(sha256sum "$t/MANIFEST" | cut -c1-16)" = "$h" ] || { echo "ebpfwb: the uploaded MANIFEST is not version $h" >&2; exit 91; }',
  'while read -r sum name; do case "$name" in /*|..*|*/..*) echo "ebpfwb: bad MANIFEST entry" >&2; exit 92;; esac; mkdir -p "$t/$(dirname "$name")"; cp "$s/$name" "$t/$name"; done < "$t/MANIFEST"',
  '(cd "$t" && sha256sum -c MANIFEST >/dev/null) || { echo "ebpfwb: the copy does not match MANIFEST" >&2; exit 91; }',
  'chown -R 0:0 "$t"; chmod -R u=rwX,go=rX "$t"',
  'nn="$n"; if w=$(weak "$n"); then cp "$n" "$t/node"; chmod 755 "$t/node"; nn="$d/node"; echo "ebpfwb:nodeCopied=$w"; fi',
  'rm -rf "$d"; mv "$t" "$d"',
  'printf "{\\n  \\"dir\\": \\"%s\\",\\n  \\"hash\\": \\"%s\\",\\n  \\"node\\": \\"%s\\",\\n  \\"helper\\": \\"%s\\"\\n}\\n" "$d" "$h" "$nn" "$d/helper.js" > "$d/install.json"',
  'if [ -n "$6" ]; then echo "$6" | base64 -d | sed "s|@NODE@|$nn|g" > "$f.tmp.$$"; chmod 440 "$f.tmp.$$"; visudo -cf "$f.tmp.$$" >&2 || exit 93; mv "$f.tmp.$$" "$f"; echo "ebpfwb:sudoers=$f"; fi',
  'echo "ebpfwb:installed=$d"',
  'echo "ebpfwb:node=$nn"',
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

/** What a non-root login needs: the root-owned install, made once from this machine. */
export function installAdvice(where: string, user?: string): string {
  return `install the helper there once, from this machine: ebpf-workbench --target ${where} install-helper${user ? ` --user ${user}` : ''} (sudo on that host asks for the password; it copies the helper to a root-owned folder and allows exactly it), or log in as root`;
}

/** Classifies how the start step or the running helper ended. */
export function classifyExit(code: number | null, stderr: string, where: string, user?: string): SshTargetError | undefined {
  if (code === NOT_INSTALLED_EXIT || code === MISMATCH_EXIT) {
    const line = /ebpfwb: (.*)/.exec(stderr)?.[1] ?? 'the helper of this version is not installed';
    return new SshTargetError('not-installed', `on ${where}, ${line}`, installAdvice(where, user));
  }
  if (/a password is required|a terminal is required|no tty present|not in the sudoers|not allowed to execute/i.test(stderr)) {
    return new SshTargetError(
      'no-sudo',
      `the helper needs root on ${where}, and sudo -n was refused`,
      `the sudoers rule for the installed helper is missing or names another user: ${installAdvice(where, user)}`,
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

  private get sudoUser(): string | undefined {
    return this.remote && this.remote.uid !== 0 ? this.remote.user : undefined;
  }

  private get prefix(): string {
    return this.opts.installPrefix ?? DEFAULT_PREFIX;
  }

  private sshFailure(r: RunResult, step: string): SshTargetError {
    return (
      classifyExit(r.code, r.stderr, this.where, this.sudoUser) ??
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
    const r = await this.run(remoteShCommand(PROBE, [this.spec.nodePath, this.prefix]), this.opts.stepTimeoutMs ?? 30_000);
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
      installed: (kv.get('installed') ?? '')
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

  bundleFor(info: RemoteInfo): HelperBundle {
    try {
      return collectBundle(this.root, info.arch, info.libc);
    } catch (e) {
      if (e instanceof BundleError) throw new SshTargetError('no-koffi-build', e.message, e.fix);
      throw e;
    }
  }

  /** Step 2: makes sure the remote has this bundle in the login's cache; returns its hash. */
  async ship(info: RemoteInfo): Promise<string> {
    const bundle = this.bundleFor(info);
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
    const argv = sshArgs(this.spec.destination, this.opts, remoteShCommand(START, [hash, this.spec.nodePath, this.prefix]));
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
      const proc = await this.launch(await this.prepare(known));
      if (proc !== 'not-shipped') return proc;
      this.remote = undefined; // the cache went away: probe and upload again
    }
    const info = await this.probe();
    const proc = await this.launch(await this.prepare(info));
    if (proc === 'not-shipped')
      throw new SshTargetError(
        'ship-failed',
        `the helper uploaded to ${this.where} is not there`,
        'check ~/.cache/ebpf-workbench on the host',
      );
    return proc;
  }

  /** Root ships to its cache; anyone else starts the root-owned install (checked by START). */
  private async prepare(info: RemoteInfo): Promise<string> {
    if (info.uid === 0) return this.ship(info);
    const hash = this.bundleFor(info).hash;
    if (!info.installed.includes(hash)) {
      const other = info.installed.length
        ? `it has ${info.installed.join(', ')} installed, this extension ships ${hash}`
        : `no helper is installed in ${this.prefix}`;
      throw new SshTargetError(
        'not-installed',
        `the helper needs root on ${this.where} (logged in as ${info.user}), and ${other}`,
        installAdvice(this.where, info.user),
      );
    }
    return hash;
  }

  /**
   * install-helper --target: uploads this version to the login's cache, then (through sudo when the
   * login is not root, which may ask for a password on this terminal) copies it to the root-owned
   * prefix, checks the copy, and installs the sudoers drop-in for `who` (default: the login user).
   */
  async install(who: Partial<SudoersSubjects>, version: string): Promise<RemoteInstallResult> {
    const info = await this.probe();
    const hash = await this.ship(info);
    const users = [...(who.users ?? [])];
    const groups = [...(who.groups ?? [])];
    if (users.length + groups.length === 0 && info.uid !== 0) users.push(info.user);
    const dir = `${this.prefix}/helper-${hash}`;
    const sudoers = this.opts.sudoersPath ?? DEFAULT_SUDOERS;
    for (const p of [this.prefix, sudoers]) {
      if (!/^\/[A-Za-z0-9._/-]+$/.test(p) || (path.basename(p).includes('.') && p === sudoers))
        throw new SshTargetError(
          'ship-failed',
          `${p} cannot be used as an install path`,
          'use an absolute path of letters, digits, . _ - (and no dot in the sudoers file name)',
        );
    }
    const text =
      users.length + groups.length > 0
        ? sudoersText({ dir, hash, node: NODE_PLACEHOLDER, helper: `${dir}/helper.js` }, { users, groups }, version)
        : '';
    const script = remoteShCommand(INSTALL, [
      hash,
      `${info.home}/.cache/ebpf-workbench/helper-${hash}`,
      this.spec.nodePath,
      this.prefix,
      sudoers,
      Buffer.from(text).toString('base64'),
    ]);
    const argv = sshArgs(this.spec.destination, this.opts, info.uid === 0 ? script : `sudo -- ${script}`);
    // sudo on the host may ask for a password: give it this terminal when there is one.
    const tty = !!process.stdin.isTTY;
    if (tty) argv[argv.indexOf('-T')] = '-t';
    const r = await new Promise<RunResult>((resolve, reject) => {
      const child = spawn(this.opts.sshPath ?? 'ssh', argv, { stdio: [tty ? 'inherit' : 'ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
      child.stderr.on('data', (d: Buffer) => {
        err = (err + d.toString('utf8')).slice(-STDERR_KEEP);
        if (tty) process.stderr.write(d);
      });
      child.on('error', (e: NodeJS.ErrnoException) => reject(this.spawnError(e)));
      child.on('close', (code) => resolve({ code, stdout: out, stderr: err }));
    });
    const kv = new Map<string, string>();
    for (const line of r.stdout.split(/\r?\n/)) {
      const m = /^ebpfwb:(\w+)=(.*)$/.exec(line.trim());
      if (m) kv.set(m[1], m[2]);
    }
    if (r.code !== 0 || !kv.has('installed')) {
      if (/a terminal is required|a password is required/.test(r.stderr))
        throw new SshTargetError(
          'no-sudo',
          `sudo on ${this.where} needs a password and there is no terminal to type it`,
          `run the same command in a terminal, or log in as root: ebpf-workbench --target root@host install-helper --user ${info.user}`,
        );
      throw (
        classifyExit(r.code, r.stderr, this.where) ??
        new SshTargetError(
          'ship-failed',
          `installing the helper on ${this.where} failed (exit ${r.code})`,
          'see the message above',
          (r.stderr.trim().split('\n').pop() ?? '') + (r.stdout.includes('ebpfwb:') ? '' : (r.stdout.trim().split('\n').pop() ?? '')),
        )
      );
    }
    return {
      hash,
      dir: kv.get('installed')!,
      node: kv.get('node') ?? '',
      nodeCopied: kv.get('nodeCopied'),
      sudoers: kv.get('sudoers'),
      allowed: [...users, ...groups.map((g) => `%${g}`)],
    };
  }

  explainStartFailure(stderr: string, code: number | null): HelperClientError | undefined {
    return classifyExit(code, stderr, this.where, this.sudoUser);
  }
}

export interface RemoteInstallResult {
  hash: string;
  dir: string;
  node: string;
  /** Why node was copied into the folder, when it was. */
  nodeCopied?: string;
  sudoers?: string;
  allowed: string[];
}

/** `ebpf-workbench --target X install-helper`: see SshTransport.install. */
export function installOnRemote(
  spec: SshTargetSpec,
  opts: SshTransportOptions,
  who: Partial<SudoersSubjects>,
): Promise<RemoteInstallResult> {
  const t = new SshTransport(spec, opts);
  let version = 'unknown';
  try {
    version = (JSON.parse(fs.readFileSync(path.join(findExtensionRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    /* unknown */
  }
  return t.install(who, version);
}

/** A HelperClient for one SSH target (connects on the first request). */
export function sshHelperClient(spec: SshTargetSpec, opts: SshTransportOptions = {}): HelperClient {
  return new HelperClient(new SshTransport(spec, opts));
}
