// Where the cgroup2 hierarchy is mounted: /sys/fs/cgroup on unified systems, /sys/fs/cgroup/unified
// on hybrid ones (cgroup v1 controllers beside it). BPF cgroup programs attach to cgroup2 directories.
import * as fs from 'node:fs';

export const CGROUP2_MAGIC = 0x63677270;

/** Mount points of cgroup2 in this mount namespace, shortest first. */
export function cgroup2Roots(): string[] {
  let text: string;
  try {
    text = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const roots = new Set<string>();
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!right || right.split(' ')[0] !== 'cgroup2') continue;
    const mountPoint = left.split(' ')[4]?.replace(/\\040/g, ' ');
    if (mountPoint) roots.add(mountPoint);
  }
  return [...roots].sort((a, b) => a.length - b.length);
}
