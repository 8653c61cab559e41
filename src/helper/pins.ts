// Pinning objects to bpffs and removing pins. Paths are validated (below /sys/fs/bpf, on a bpffs
// mount, no symlink escape) before we get here.
import * as fs from 'node:fs';
import { HelperError } from './errors';
import * as L from './libbpf';
import { withMapFd, withProgFd } from './inventory';
import { forgetPins } from './links';
import { bpffsMounted } from './mounts';
import { removeCreatedDirs } from './pinAll';
import { BPFFS_ROOT, onBpffs } from './validate';

/** The kernel's own preloaded iterators; removing them would break `cat /sys/fs/bpf/*.debug`. */
const PROTECTED = new Set([`${BPFFS_ROOT}/maps.debug`, `${BPFFS_ROOT}/progs.debug`]);

export function pin(kind: 'map' | 'prog', id: number, path: string): void {
  onBpffs(path, 'path');
  if (fs.existsSync(path))
    throw new HelperError('INVALID_PARAMS', `${path} already exists`, { fix: 'unpin it first or choose another name' });
  const parent = path.slice(0, path.lastIndexOf('/'));
  // The directories are made once the id is known to exist, and removed again if the pin fails.
  const pinFd = (fd: number) => {
    const created = fs.mkdirSync(parent, { recursive: true });
    try {
      L.objPin(fd, path);
    } catch (e) {
      removeCreatedDirs(parent, created);
      throw e;
    }
  };
  if (kind === 'map') withMapFd(id, pinFd);
  else withProgFd(id, pinFd);
  forgetPins();
}

export function unpin(path: string): void {
  if (PROTECTED.has(path)) throw new HelperError('INVALID_PARAMS', `${path} belongs to the kernel (bpf_preload) and is not removed`);
  if (!bpffsMounted())
    throw new HelperError('FILE_NOT_FOUND', `nothing is pinned at ${path}: no BPF file system is mounted on ${BPFFS_ROOT}`);
  onBpffs(path, 'path');
  let st: fs.Stats;
  try {
    st = fs.lstatSync(path);
  } catch {
    throw new HelperError('FILE_NOT_FOUND', `nothing is pinned at ${path}`);
  }
  if (st.isDirectory())
    fs.rmdirSync(path); // only empty directories, like rmdir(1)
  else fs.unlinkSync(path);
  forgetPins();
}
