// The root-owned helper install that lets a non-root user run the helper as root without making
// root anyone's who can write a file: `sudo ebpf-workbench install-helper` (src/cli/installHelper.ts)
// copies the helper bundle (ship.ts: helper.js, its BPF objects, koffi and its native module,
// MANIFEST) to <prefix>/helper-<hash>/, all root's and 0755/0644, with a node that is root's too
// (the one in use, or a copy of it in the folder), and a sudoers drop-in naming exactly that node
// and that helper.js. The local transport (local.ts) looks the install up by this version's hash.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findUntrusted } from '../../helper/trust';
import { BundleError, collectBundle, findExtensionRoot, hashOfManifest, HelperBundle, MANIFEST, parseManifest, sha256Hex } from './ship';

export const DEFAULT_PREFIX = '/usr/local/lib/ebpf-workbench';
export const DEFAULT_SUDOERS = '/etc/sudoers.d/ebpf-workbench';
/** Written last into an install folder: what the sudoers rule names. Not part of the hash. */
export const INSTALL_RECORD = 'install.json';
const MIN_NODE_MAJOR = 18;
/** In a drop-in made for an SSH target before its node is known; the remote script fills it in. */
export const NODE_PLACEHOLDER = '@NODE@';

export interface InstalledHelper {
  dir: string;
  hash: string;
  /** The node the sudoers rule names (root's; maybe a copy in `dir`). */
  node: string;
  helper: string;
}

export class InstallError extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
    this.name = 'InstallError';
  }
}

export function installPrefix(env: NodeJS.ProcessEnv = process.env): string {
  return env.EBPF_WORKBENCH_HELPER_PREFIX || DEFAULT_PREFIX;
}

function hostLibc(): 'glibc' | 'musl' {
  try {
    return fs.readdirSync('/lib').some((f) => f.startsWith('ld-musl-')) ? 'musl' : 'glibc';
  } catch {
    return 'glibc';
  }
}

/** This machine's bundle of the helper of this extension (or repository) version. */
export function localBundle(root = findExtensionRoot()): HelperBundle {
  return collectBundle(root, os.machine(), hostLibc());
}

/** The install of version `hash` under `prefix`, when its record and files are there. */
export function findInstalled(prefix: string, hash: string): InstalledHelper | undefined {
  const dir = path.join(prefix, `helper-${hash}`);
  try {
    const rec = JSON.parse(fs.readFileSync(path.join(dir, INSTALL_RECORD), 'utf8')) as Partial<InstalledHelper>;
    const helper = path.join(dir, 'helper.js');
    if (rec.hash !== hash || rec.helper !== helper || typeof rec.node !== 'string' || !fs.existsSync(rec.node) || !fs.existsSync(helper))
      return undefined;
    return { dir, hash, node: rec.node, helper };
  } catch {
    return undefined;
  }
}

/** Differences between a folder and its MANIFEST (empty: every file is there with its sha256). */
export function verifyFolder(dir: string, expectedHash?: string): string[] {
  let manifest: Buffer;
  try {
    manifest = fs.readFileSync(path.join(dir, MANIFEST));
  } catch {
    return [`${MANIFEST} is missing`];
  }
  const problems: string[] = [];
  const version = hashOfManifest(manifest);
  if (expectedHash && version !== expectedHash) problems.push(`${MANIFEST} is of version ${version}, not ${expectedHash}`);
  for (const f of parseManifest(manifest.toString('utf8'))) {
    let data: Buffer;
    try {
      data = fs.readFileSync(path.join(dir, f.name));
    } catch {
      problems.push(`${f.name} is missing`);
      continue;
    }
    if (sha256Hex(data) !== f.sha256) problems.push(`${f.name} differs from ${MANIFEST}`);
  }
  return problems;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;

export interface SudoersSubjects {
  users: string[];
  groups: string[];
}

/** The drop-in: one command alias (node + helper.js, exact, no wildcards, no arguments). */
export function sudoersText(inst: InstalledHelper, who: SudoersSubjects, version: string): string {
  for (const n of [...who.users, ...who.groups]) {
    if (!NAME.test(n))
      throw new InstallError(`"${n}" is not a user or group name`, 'give names such as alice or ebpf (letters, digits, _ . -)');
  }
  if (who.users.length + who.groups.length === 0) throw new InstallError('no user or group to allow', 'give --user NAME or --group NAME');
  for (const p of inst.node === NODE_PLACEHOLDER ? [inst.helper] : [inst.node, inst.helper]) {
    // sudoers treats these specially in a command; install paths never contain them.
    if (!/^\/[A-Za-z0-9@._/+-]+$/.test(p))
      throw new InstallError(`cannot name ${p} in a sudoers rule`, 'install under a prefix without spaces or special characters');
  }
  const alias = `EBPFWB_HELPER_${inst.hash.toUpperCase()}`;
  const lines = [
    `# Installed by ebpf-workbench install-helper ${version}: lets the users below run the eBPF Workbench`,
    `# helper ${inst.hash} as root without a password. It names exactly one node and one root-owned`,
    '# helper.js with no arguments; the helper validates every request it gets on stdin.',
    `Cmnd_Alias ${alias} = ${inst.node} ${inst.helper}`,
    // No caller's environment (NODE_OPTIONS, NODE_PATH) reaches node, whatever the global defaults say.
    `Defaults!${alias} env_reset, !setenv`,
    ...who.users.map((u) => `${u} ALL=(root) NOPASSWD: ${alias}`),
    ...who.groups.map((g) => `%${g} ALL=(root) NOPASSWD: ${alias}`),
  ];
  return lines.join('\n') + '\n';
}

/** Writes `text` as the sudoers drop-in `target`, checked by visudo before it is moved into place. */
export function installSudoers(text: string, target: string, visudo = 'visudo'): void {
  const base = path.basename(target);
  if (base.includes('.') || base.endsWith('~'))
    throw new InstallError(
      `sudo ignores ${target} (names with "." or ending in "~" are skipped in sudoers.d)`,
      'choose a name without a dot',
    );
  const tmp = `${target}.tmp-${process.pid}`; // has a dot: sudo ignores it while it is checked
  fs.writeFileSync(tmp, text, { mode: 0o440, flag: 'wx' });
  try {
    fs.chownSync(tmp, 0, 0);
    const r = spawnSync(visudo, ['-cf', tmp], { encoding: 'utf8' });
    if (r.error) throw new InstallError(`cannot run ${visudo}: ${r.error.message}`, 'install sudo (apt install sudo)');
    if (r.status !== 0)
      throw new InstallError(`visudo rejected the rule: ${(r.stderr || r.stdout).trim()}`, 'report this; nothing was changed');
    fs.renameSync(tmp, target);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function nodeMajor(node: string): number {
  const r = spawnSync(node, ['-v'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, timeout: 20_000 });
  return Number(/^v(\d+)\./.exec(r.stdout ?? '')?.[1] ?? 0);
}

/** The node to name: the one given, else ours unless we are Electron, else `node` on PATH. */
export function chooseNode(given?: string): string {
  let node = given;
  if (!node && !process.versions.electron) node = process.execPath;
  if (!node) {
    const found = spawnSync('sh', ['-c', 'command -v node'], { encoding: 'utf8' }).stdout?.trim();
    if (!found)
      throw new InstallError(
        'no Node.js to run the helper with (VS Code desktop runs extensions in Electron, which sudo cannot start as node)',
        `install Node.js ${MIN_NODE_MAJOR}+ (apt install nodejs) or give --node /path/to/node`,
      );
    node = found;
  }
  const real = fs.realpathSync(node);
  if (nodeMajor(real) < MIN_NODE_MAJOR)
    throw new InstallError(`${real} is not Node.js ${MIN_NODE_MAJOR}+`, 'give --node with a newer Node.js');
  return real;
}

export interface InstallOptions {
  root?: string;
  prefix?: string;
  node?: string;
  bundle?: HelperBundle;
}

export interface InstallResult extends InstalledHelper {
  /** The folder existed and matched its MANIFEST: nothing was copied. */
  reused: boolean;
  /** node was not root's alone, so a copy of it is in the folder. */
  nodeCopied: boolean;
  /** Why node was copied. */
  nodeWhy?: string;
}

/** Creates `dir` (and missing parents) as root's 0755, refusing a parent that others can change. */
function ensureRootDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  const bad = findUntrusted([dir]);
  if (bad)
    throw new InstallError(
      `${bad.path} is ${bad.reason}: whoever can change it could replace the root helper`,
      'choose a --prefix whose folders are root-owned and not group/other-writable, or fix their owner and mode',
    );
}

/** Copies the bundle into <prefix>/helper-<hash>/ as root's; idempotent for the same version. */
export function installFiles(opts: InstallOptions = {}): InstallResult {
  if (process.getuid?.() !== 0) throw new InstallError('installing the helper needs root', 'run it with sudo');
  let bundle = opts.bundle;
  try {
    bundle ??= localBundle(opts.root ?? findExtensionRoot());
  } catch (e) {
    if (e instanceof BundleError) throw new InstallError(e.message, e.fix);
    throw e;
  }
  const prefix = path.resolve(opts.prefix ?? installPrefix());
  ensureRootDir(prefix);
  const dir = path.join(prefix, `helper-${bundle.hash}`);
  const helper = path.join(dir, 'helper.js');
  const nodeGiven = chooseNode(opts.node);
  const nodeBad = findUntrusted([nodeGiven]);

  const reused = fs.existsSync(dir) && verifyFolder(dir, bundle.hash).length === 0 && !findUntrusted([helper, path.join(dir, MANIFEST)]);
  if (!reused) {
    const tmp = fs.mkdtempSync(path.join(prefix, `.helper-${bundle.hash}.tmp-`));
    try {
      fs.chmodSync(tmp, 0o755);
      for (const f of bundle.files) {
        const to = path.join(tmp, ...f.name.split('/'));
        fs.mkdirSync(path.dirname(to), { recursive: true, mode: 0o755 });
        fs.writeFileSync(to, f.data, { mode: 0o644 });
      }
      if (nodeBad) fs.copyFileSync(nodeGiven, path.join(tmp, 'node'));
      fixOwnership(tmp);
      if (nodeBad) fs.chmodSync(path.join(tmp, 'node'), 0o755);
      const problems = verifyFolder(tmp, bundle.hash);
      if (problems.length)
        throw new InstallError(`the copy does not match its MANIFEST: ${problems.join('; ')}`, 'check free space and try again');
      fs.rmSync(dir, { recursive: true, force: true });
      fs.renameSync(tmp, dir);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  let node = nodeGiven;
  if (nodeBad) {
    node = path.join(dir, 'node');
    if (reused && !fs.existsSync(node)) {
      fs.copyFileSync(nodeGiven, node);
      fs.chownSync(node, 0, 0);
      fs.chmodSync(node, 0o755);
    }
  }
  const inst: InstalledHelper = { dir, hash: bundle.hash, node, helper };
  const record = path.join(dir, INSTALL_RECORD);
  fs.writeFileSync(`${record}.tmp`, JSON.stringify(inst, null, 2) + '\n', { mode: 0o644 });
  fs.chownSync(`${record}.tmp`, 0, 0);
  fs.renameSync(`${record}.tmp`, record);
  const bad = findUntrusted([node, helper, record, ...bundle.files.map((f) => path.join(dir, f.name))]);
  if (bad)
    throw new InstallError(
      `after installing, ${bad.path} is ${bad.reason}`,
      'fix the owner and mode of that path and run install-helper again',
    );
  return { ...inst, reused, nodeCopied: !!nodeBad, nodeWhy: nodeBad ? `${nodeBad.path} is ${nodeBad.reason}` : undefined };
}

/** root:root, folders 0755 and files 0644, whatever the umask and the source said. */
function fixOwnership(dir: string): void {
  fs.chownSync(dir, 0, 0);
  fs.chmodSync(dir, 0o755);
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) fixOwnership(p);
    else {
      fs.chownSync(p, 0, 0);
      fs.chmodSync(p, 0o644);
    }
  }
}

/** The command a user runs once to install the helper of this version (for error messages). */
export function installCommand(user = os.userInfo().username): string {
  let cli = 'ebpf-workbench';
  try {
    const root = findExtensionRoot();
    const js = path.join(root, 'dist', 'cli.js');
    if (fs.existsSync(js)) cli = `${process.versions.electron ? 'node' : process.execPath} ${js}`;
  } catch {
    /* the plain name */
  }
  return `sudo ${cli} install-helper --user ${user}`;
}
