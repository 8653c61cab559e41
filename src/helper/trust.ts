// The root helper's first act: refuse to run as root when any file it runs or loads (node, its own
// script, koffi's JavaScript and native module, its BPF objects), or any folder above them, can be
// changed by a user other than root. Such a helper is root for whoever can write there (a sudoers
// rule naming a file in a user's home is exactly that). `ebpf-workbench install-helper` makes a
// root-owned copy that passes. Runs before koffi or libbpf is loaded, so nothing native from an
// untrusted folder runs first.
//
// Trusted: owned by uid 0 and not writable by group or others. A folder writable by others is
// fine only when it is root's and sticky (/tmp): nobody else can then rename or replace root's
// entries in it. Both the path as given (its symlinks and the folders holding them) and the
// resolved path are checked, so a symlink cannot be swapped to point elsewhere.
import * as fs from 'node:fs';
import * as path from 'node:path';

export const ALLOW_UNTRUSTED_ENV = 'EBPF_WORKBENCH_ALLOW_UNTRUSTED_HELPER';
/** The stderr line that starts a refusal; the transports recognise it. */
export const REFUSAL_PREFIX = 'ebpf-workbench: refusing to run as root';
/** Exit status of a refusal (EX_NOPERM of sysexits.h). */
export const UNTRUSTED_EXIT = 77;
/** Processes that grant root to someone else: the escape is never honoured under them. */
const ELEVATORS = new Set(['sudo', 'sudo-rs', 'pkexec', 'doas', 'su', 'run0', 'systemd-run']);

export interface Untrusted {
  path: string;
  reason: string;
}

/** Why `st` could be changed by someone other than root, or undefined when it cannot. */
function weakness(st: fs.Stats): string | undefined {
  if (st.uid !== 0) return `owned by uid ${st.uid}, not root`;
  if (st.isSymbolicLink()) return undefined; // a symlink's own mode means nothing
  const writable = st.mode & 0o022;
  if (!writable) return undefined;
  if (st.isDirectory() && st.mode & 0o1000) return undefined; // root's sticky folder (/tmp): others cannot replace root's entries
  const by = [st.mode & 0o020 ? 'its group' : '', st.mode & 0o002 ? 'others' : ''].filter(Boolean).join(' and ');
  return `writable by ${by} (mode ${(st.mode & 0o7777).toString(8)})`;
}

/** `p` and every folder above it, as given (lstat, symlinks not followed). */
function checkChain(p: string): Untrusted | undefined {
  let cur = path.resolve(p);
  for (;;) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(cur);
    } catch {
      return { path: cur, reason: 'cannot be examined' };
    }
    const why = weakness(st);
    if (why) return { path: cur, reason: why };
    const up = path.dirname(cur);
    if (up === cur) return undefined;
    cur = up;
  }
}

/** The first of these files (or a folder above one, or a symlink on the way) that is not root's alone. */
export function findUntrusted(files: readonly string[]): Untrusted | undefined {
  const seen = new Set<string>();
  for (const f of files) {
    for (const p of [path.resolve(f), safeRealpath(f)]) {
      if (!p || seen.has(p)) continue;
      seen.add(p);
      const bad = checkChain(p);
      if (bad) return { path: bad.path === p ? f : bad.path, reason: bad.path === p ? bad.reason : `${bad.reason}; it holds ${f}` };
    }
  }
  return undefined;
}

function safeRealpath(p: string): string | undefined {
  try {
    return fs.realpathSync(p);
  } catch {
    return undefined;
  }
}

/** Every file of a folder tree (koffi's package: its loader picks a native module at run time). */
function treeFiles(dir: string, out: string[], depth = 0): void {
  if (depth > 8) return;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) treeFiles(p, out, depth + 1);
    else out.push(p);
  }
}

/** The folder `require(name)` from `from` would load: node_modules/<name> of the nearest folder above. */
function packageDir(name: string, from: string): string | undefined {
  for (let d = path.resolve(from); ; d = path.dirname(d)) {
    const p = path.join(d, 'node_modules', name);
    if (fs.existsSync(path.join(p, 'package.json'))) return p;
    if (path.dirname(d) === d) return undefined;
  }
}

/**
 * What a helper started as `node script` runs or loads: node, the script, the modules already
 * loaded, koffi's package and its native packages, the helper's BPF objects.
 */
export function helperFiles(script: string, here = __dirname): string[] {
  const files = [process.execPath, script, ...Object.keys(require.cache).filter((k) => path.isAbsolute(k))];
  const koffi = packageDir('koffi', here);
  if (koffi) {
    treeFiles(koffi, files);
    const scope = path.join(path.dirname(koffi), '@koromix');
    if (fs.existsSync(scope)) {
      files.push(scope);
      for (const d of fs.readdirSync(scope)) if (d.startsWith('koffi-')) treeFiles(path.join(scope, d), files);
    }
  }
  for (const d of [process.env.EBPF_WORKBENCH_BPF_DIR, path.join(here, 'bpf'), path.join(here, '..', '..', 'dist', 'bpf')]) {
    if (!d || !fs.existsSync(d)) continue;
    files.push(d);
    for (const f of fs.readdirSync(d)) if (f.endsWith('.bpf.o')) files.push(path.join(d, f));
  }
  return files;
}

function readProc(pid: number, file: string): string {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return '';
  }
}

/**
 * Whether the development escape applies: the variable is set, we are root, and so is our
 * parent, which is not sudo/pkexec/doas/su. Whoever starts a root process with its environment
 * under a root parent is root already; a user who may run the helper through sudo gets sudo as
 * the parent (and sudo's env_reset drops the variable anyway), and pkexec and doas replace the
 * user's own process, so the parent is not root.
 */
export function escapeHonoured(env: NodeJS.ProcessEnv = process.env, ppid = process.ppid): { ok: boolean; why: string } {
  if (env[ALLOW_UNTRUSTED_ENV] !== '1') return { ok: false, why: `${ALLOW_UNTRUSTED_ENV} is not 1` };
  if (process.getuid?.() !== 0) return { ok: false, why: 'not root' };
  const status = readProc(ppid, 'status');
  const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
  if (uid !== '0') return { ok: false, why: `the parent process ${ppid} is not root` };
  const comm = readProc(ppid, 'comm').trim();
  if (ELEVATORS.has(comm)) return { ok: false, why: `started through ${comm}` };
  return { ok: true, why: `${ALLOW_UNTRUSTED_ENV}=1 from root process ${ppid} (${comm})` };
}

export function refusalMessage(bad: Untrusted): string {
  return (
    `${REFUSAL_PREFIX}: ${bad.path} is ${bad.reason}, so a non-root user could change what runs as root. ` +
    'Fix: install the helper once with "sudo ebpf-workbench install-helper --user <you>" (a root-owned copy and a sudoers rule ' +
    `naming exactly it), or make the files and every folder above them root's and not group/other-writable. ` +
    `Developing as root: ${ALLOW_UNTRUSTED_ENV}=1 (honoured only when a root process, not sudo, starts the helper)`
  );
}

/**
 * Exits with UNTRUSTED_EXIT when running as root from files a non-root user can change (unless the
 * escape applies, which is then said on stderr). Not root: nothing to protect.
 */
export function ensureTrustedOrExit(script = process.argv[1]): void {
  if (process.getuid?.() !== 0 || !script) return;
  const bad = findUntrusted(helperFiles(script));
  if (!bad) return;
  const escape = escapeHonoured();
  if (escape.ok) {
    process.stderr.write(`ebpf-workbench: running as root from files others can change (${bad.path}: ${bad.reason}); ${escape.why}\n`);
    return;
  }
  const ignored = process.env[ALLOW_UNTRUSTED_ENV] ? ` (${ALLOW_UNTRUSTED_ENV} ignored: ${escape.why})` : '';
  process.stderr.write(`${refusalMessage(bad)}${ignored}\n`);
  process.exit(UNTRUSTED_EXIT);
}
