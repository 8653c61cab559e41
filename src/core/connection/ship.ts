// What goes to a remote host to run the helper there: dist/helper.js, the BPF objects it loads
// (dist/bpf/*.bpf.o), koffi's JavaScript and koffi's native module for the remote's CPU and libc
// only. Packed as a plain ustar stream (remote side: `tar -x`), named by the hash of its content
// so a remote keeps a cache folder per version and uploads happen only when something changed.
// The same files make the root-owned install (install.ts) that non-root users run through sudo.
// No vscode, no network: pure file collection, hashing and packing.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface BundleFile {
  /** Path inside the cache folder, always with '/'. */
  name: string;
  data: Buffer;
}

export interface HelperBundle {
  files: BundleFile[];
  /** 16 hex digits of sha256 over MANIFEST (which lists every other file's sha256). */
  hash: string;
  /** koffi's package for the remote, e.g. "linux-x64". */
  koffiPackage: string;
}

export class BundleError extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
    this.name = 'BundleError';
  }
}

/** `uname -m` → Node's process.arch naming, which koffi's packages use. */
const UNAME_TO_NODE_ARCH: Record<string, string> = {
  x86_64: 'x64',
  amd64: 'x64',
  aarch64: 'arm64',
  arm64: 'arm64',
  armv7l: 'arm',
  armv6l: 'arm',
  i686: 'ia32',
  i386: 'ia32',
  riscv64: 'riscv64',
  loongarch64: 'loong64',
  ppc64le: 'ppc64',
};

export function nodeArchOf(unameMachine: string): string | undefined {
  return UNAME_TO_NODE_ARCH[unameMachine.trim()];
}

/** The folder holding package.json, dist/ and node_modules/: the extension or the repository. */
export function findExtensionRoot(from = __dirname): string {
  let dir = from;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if (JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'ebpf-workbench') return dir;
      } catch {
        /* not ours, keep walking */
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new BundleError(`cannot find the extension folder above ${from}`, 'reinstall the extension');
    dir = up;
  }
}

function readAll(root: string, rel: string[], into: BundleFile[], as: (r: string) => string = (r) => r): void {
  for (const r of rel) into.push({ name: as(r), data: fs.readFileSync(path.join(root, r)) });
}

/**
 * Collects the files the helper needs on a remote with this `uname -m` and libc. The native
 * module comes from node_modules/@koromix/koffi-linux-<arch>; npm installs only the local
 * machine's one, so another architecture needs its package installed next to the extension.
 */
export function collectBundle(root: string, unameMachine: string, libc: 'glibc' | 'musl'): HelperBundle {
  const arch = nodeArchOf(unameMachine);
  if (!arch) {
    throw new BundleError(
      `the remote's CPU architecture "${unameMachine}" has no koffi build`,
      'use a Linux host on x86_64, aarch64, armv7, riscv64, loongarch64 or ppc64le',
    );
  }
  const files: BundleFile[] = [];
  const helper = path.join(root, 'dist', 'helper.js');
  if (!fs.existsSync(helper)) throw new BundleError(`${helper} is missing`, 'run `npm run build` (or reinstall the extension)');
  readAll(root, ['dist/helper.js'], files, () => 'helper.js');
  const bpfDir = path.join(root, 'dist', 'bpf');
  if (fs.existsSync(bpfDir)) {
    const objs = fs
      .readdirSync(bpfDir)
      .filter((f) => f.endsWith('.bpf.o'))
      .sort();
    readAll(
      root,
      objs.map((f) => `dist/bpf/${f}`),
      files,
      (r) => `bpf/${path.basename(r)}`,
    );
  }

  // koffi's JavaScript: the loader and the tiny static resolver it requires.
  const koffi = path.join(root, 'node_modules', 'koffi');
  const koffiJs = ['package.json', 'index.cjs', 'src/koffi/index.cjs', 'src/koffi/src/static.cjs'];
  for (const f of koffiJs) {
    if (!fs.existsSync(path.join(koffi, f)))
      throw new BundleError(`koffi is incomplete: ${f} is missing`, 'run `npm ci` in the extension folder');
  }
  readAll(koffi, koffiJs, files, (r) => `node_modules/koffi/${r}`);

  const koffiPackage = `linux-${arch}`;
  const native = path.join(root, 'node_modules', '@koromix', `koffi-${koffiPackage}`);
  const version = JSON.parse(fs.readFileSync(path.join(koffi, 'package.json'), 'utf8')).version as string;
  const libDir = `${libc === 'musl' ? 'musl' : 'linux'}_${arch}`;
  if (!fs.existsSync(path.join(native, libDir, 'koffi.node'))) {
    throw new BundleError(
      `koffi's native module for ${koffiPackage} (${libc}) is not installed next to the extension`,
      `install it once: npm install --no-save --force @koromix/koffi-${koffiPackage}@${version} (in ${root})`,
    );
  }
  readAll(native, ['package.json', 'index.js', `${libDir}/koffi.node`], files, (r) => `node_modules/@koromix/koffi-${koffiPackage}/${r}`);

  files.sort((a, b) => (a.name < b.name ? -1 : 1));
  const manifest = Buffer.from(manifestText(files));
  files.push({ name: MANIFEST, data: manifest });
  return { files, hash: hashOfManifest(manifest), koffiPackage };
}

/**
 * MANIFEST lists every other file with its sha256 in `sha256sum` format, so a copy can be checked
 * with `sha256sum -c MANIFEST` where only coreutils exist (an SSH target); the bundle's hash is the
 * hash of MANIFEST.
 */
export const MANIFEST = 'MANIFEST';

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function manifestText(files: readonly BundleFile[]): string {
  return files
    .filter((f) => f.name !== MANIFEST)
    .map((f) => `${sha256Hex(f.data)}  ${f.name}\n`)
    .join('');
}

/** 16 hex digits of sha256 over MANIFEST's bytes. */
export function hashOfManifest(manifest: Buffer | string): string {
  return sha256Hex(manifest).slice(0, 16);
}

/** The files a MANIFEST names (relative, '/'-separated; anything else is refused). */
export function parseManifest(text: string): { sha256: string; name: string }[] {
  return text
    .split('\n')
    .filter((l) => l)
    .map((l) => {
      const m = /^([0-9a-f]{64}) {2}([A-Za-z0-9@._/-]+)$/.exec(l);
      if (!m || m[2].split('/').some((c) => c === '' || c === '.' || c === '..'))
        throw new BundleError(`bad MANIFEST line: ${l}`, 'reinstall the helper');
      return { sha256: m[1], name: m[2] };
    });
}

// ---------- ustar ----------

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, size: number): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`bundle path too long for ustar: ${name}`);
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(0o644, 8), 100, 'ascii'); // mode
  h.write(octal(0, 8), 108, 'ascii'); // uid
  h.write(octal(0, 8), 116, 'ascii'); // gid
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(0, 12), 136, 'ascii'); // mtime: fixed, the content hash is the version
  h.write('        ', 148, 'ascii'); // checksum is computed with this field as spaces
  h.write('0', 156, 'ascii'); // regular file
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  return h;
}

/** A tar archive of the bundle (regular files only; tar creates the folders). */
export function tarBundle(files: BundleFile[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    parts.push(header(f.name, f.data.length), f.data);
    const pad = (512 - (f.data.length % 512)) % 512;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(1024)); // two zero blocks end the archive
  return Buffer.concat(parts);
}
