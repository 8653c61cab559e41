// SSH target strings: parsing, validation and the ssh argv built from them. Pure (no I/O, no
// vscode) so it is unit-tested. Everything that reaches ssh's argv or the remote shell passes
// through here first: a target string must never be able to smuggle an ssh option
// (`-oProxyCommand=...`) or shell syntax, so only a small alphabet is accepted.

/** Where ssh connects (OpenSSH's "destination"), parsed from a target string. */
export interface SshDestination {
  /** Login name; undefined: ssh's default (ssh config `User`, else the local user). */
  user?: string;
  /** Host name, IPv4/IPv6 address (without brackets) or an alias from the ssh config. */
  host: string;
  port?: number;
  /** ProxyJump hops, each canonical `[user@]host[:port]`; ssh tries them in order. */
  jump?: string[];
}

/** Per-target settings next to the address (from `ebpfWorkbench.sshTargets`). */
export interface SshTargetSpec {
  destination: SshDestination;
  /** Node on the remote: a name on the remote's PATH or an absolute path. */
  nodePath: string;
  /** The string the user wrote, canonicalised: the target's display name and identity. */
  label: string;
}

export class TargetSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetSyntaxError';
  }
}

// Login names: POSIX portable user names (no leading '-', so never an option).
const USER = /^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,63}$/;
// Host names and ssh-config aliases: letters, digits, '.', '_', '-', not starting with '-' or '.'.
const HOST = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,252}$/;
// IPv6 literal (brackets stripped), optionally with a zone id: hex, ':' and dotted IPv4 tail.
const IPV6 = /^(?=[0-9A-Fa-f:.]*:)[0-9A-Fa-f:.]{2,45}(?:%[A-Za-z0-9_.-]{1,32})?$/;
const PORT = /^[0-9]{1,5}$/;
// Node executable on the remote: a PATH name or an absolute path of safe characters.
const NODE_PATH = /^(?:[A-Za-z0-9_.+][A-Za-z0-9_.+-]*|\/[A-Za-z0-9_.+/-]+)$/;

const MAX_TARGET_LENGTH = 300;

function describe(s: string): string {
  return JSON.stringify(s.length > 60 ? s.slice(0, 60) + '...' : s);
}

function parsePort(text: string, whole: string): number {
  if (!PORT.test(text)) throw new TargetSyntaxError(`port in ${describe(whole)} must be a number from 1 to 65535`);
  const port = Number(text);
  if (port < 1 || port > 65535) throw new TargetSyntaxError(`port ${port} in ${describe(whole)} is outside 1..65535`);
  return port;
}

/** Parses one `[user@]host[:port]`, `[user@][v6addr][:port]` or alias. Throws TargetSyntaxError. */
export function parseHostSpec(input: string): Omit<SshDestination, 'jump'> {
  if (typeof input !== 'string') throw new TargetSyntaxError('a target must be a string');
  const s = input;
  if (s.length === 0) throw new TargetSyntaxError('the target is empty');
  if (s.length > MAX_TARGET_LENGTH) throw new TargetSyntaxError(`the target is longer than ${MAX_TARGET_LENGTH} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\s\x00-\x1f\x7f]/.test(s)) throw new TargetSyntaxError(`${describe(s)} contains spaces or control characters`);
  if (s.startsWith('-')) throw new TargetSyntaxError(`${describe(s)} starts with '-': a target cannot be an ssh option`);

  let rest = s;
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (!USER.test(user)) {
      throw new TargetSyntaxError(`user name ${describe(user)} may only hold letters, digits, '.', '_' and '-' (not first)`);
    }
  }

  let host: string;
  let port: number | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw new TargetSyntaxError(`${describe(s)} has '[' without ']'`);
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (!IPV6.test(host)) throw new TargetSyntaxError(`${describe(host)} between [ ] is not an IPv6 address`);
    if (after !== '') {
      if (!after.startsWith(':')) throw new TargetSyntaxError(`unexpected ${describe(after)} after ']'`);
      port = parsePort(after.slice(1), s);
    }
  } else {
    const colons = rest.split(':').length - 1;
    if (colons > 1) throw new TargetSyntaxError(`write an IPv6 address in brackets: [${rest}] or [${rest}]:port`);
    if (colons === 1) {
      const c = rest.indexOf(':');
      port = parsePort(rest.slice(c + 1), s);
      rest = rest.slice(0, c);
    }
    host = rest;
    if (!HOST.test(host)) {
      throw new TargetSyntaxError(`host ${describe(host)} may only hold letters, digits, '.', '_' and '-' (not first)`);
    }
  }
  return { user, host, port };
}

/** Parses a target and its optional jump hosts (comma-separated, like ssh -J). */
export function parseTarget(input: string, jump?: string): SshDestination {
  const t: SshDestination = parseHostSpec(input.trim());
  if (jump !== undefined && jump.trim() !== '') {
    t.jump = jump
      .trim()
      .split(',')
      .map((hop) => formatHostSpec(parseHostSpec(hop.trim())));
  }
  return t;
}

/** Canonical `user@host:port` (brackets around IPv6), the form parseHostSpec reads back. */
export function formatHostSpec(t: Omit<SshDestination, 'jump'>): string {
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  return `${t.user ? `${t.user}@` : ''}${host}${t.port ? `:${t.port}` : ''}`;
}

export function formatDestination(t: SshDestination): string {
  return formatHostSpec(t) + (t.jump?.length ? ` via ${t.jump.join(',')}` : '');
}

export function validateNodePath(p: string): string {
  if (!NODE_PATH.test(p)) {
    throw new TargetSyntaxError(
      `node path ${describe(p)} must be a command name or an absolute path of letters, digits, '.', '_', '+', '-' and '/'`,
    );
  }
  return p;
}

/** One `ebpfWorkbench.sshTargets` entry: "user@host:port" or { target, jump?, nodePath? }. */
export type SshTargetSetting = string | { target: string; jump?: string; nodePath?: string };

export function specFromSetting(entry: SshTargetSetting): SshTargetSpec {
  const o = typeof entry === 'string' ? { target: entry } : entry;
  if (typeof o !== 'object' || o === null || typeof o.target !== 'string') {
    throw new TargetSyntaxError('an SSH target entry must be a string or an object with a "target" string');
  }
  const destination = parseTarget(o.target, o.jump);
  const nodePath = validateNodePath(o.nodePath?.trim() || 'node');
  return { destination, nodePath, label: formatDestination(destination) };
}

export interface SshOptions {
  /** The ssh executable (default: `ssh` on PATH). */
  sshPath?: string;
  /** Passed as `ssh -F FILE`. */
  configFile?: string;
  connectTimeoutSeconds?: number;
  /** Keepalives through the encrypted channel: a silent drop is noticed after interval*count. */
  serverAliveIntervalSeconds?: number;
  serverAliveCountMax?: number;
}

/**
 * The argv (after the ssh executable) that runs `remoteCommand` on the target. The destination is
 * the last argument after `--`, the user goes through `-l`, so no part of a target is ever parsed
 * by ssh as an option. `remoteCommand` must already be safe for the remote shell (see shellQuote).
 */
export function sshArgs(t: SshDestination, opts: SshOptions, remoteCommand: string): string[] {
  const intOpt = (v: number | undefined, d: number) => String(Math.max(1, Math.floor(v ?? d)));
  const args = [
    '-T', // no pty: stdio is a clean byte stream for JSON-RPC
    '-e',
    'none',
    '-o',
    'BatchMode=yes', // never prompt: failures become errors we can explain
    '-o',
    `ConnectTimeout=${intOpt(opts.connectTimeoutSeconds, 10)}`,
    '-o',
    `ServerAliveInterval=${intOpt(opts.serverAliveIntervalSeconds, 10)}`,
    '-o',
    `ServerAliveCountMax=${intOpt(opts.serverAliveCountMax, 3)}`,
    // A root helper needs none of these; the user's config may turn them on for interactive use.
    '-o',
    'ForwardAgent=no',
    '-o',
    'ForwardX11=no',
    '-o',
    'ClearAllForwardings=yes',
  ];
  if (opts.configFile) {
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
    if (opts.configFile.startsWith('-') || /[\x00-\x1f]/.test(opts.configFile)) {
      throw new TargetSyntaxError(`ssh config file ${describe(opts.configFile)} is not a usable path`);
    }
    args.push('-F', opts.configFile);
  }
  if (t.port) args.push('-p', String(t.port));
  if (t.user) args.push('-l', t.user);
  if (t.jump?.length) args.push('-J', t.jump.join(','));
  args.push('--', t.host, remoteCommand);
  return args;
}

/** Single-quotes one word for a POSIX shell: the only safe way to pass a value to the remote. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** `sh -c '<script>' sh 'arg1' ...`: the remote login shell (bash, zsh, fish, csh) only sees quoted words. */
export function remoteShCommand(script: string, args: string[] = []): string {
  if (/[\n\r!]/.test(script)) throw new Error('remote scripts are single-line and free of "!" so csh/tcsh accept them too');
  return ['sh', '-c', shellQuote(script), 'sh', ...args.map(shellQuote)].join(' ');
}
