// Where programs can be attached on this machine, for pickers: network interfaces (with their
// state and any XDP program on them) and the directories of the cgroup2 hierarchy (wherever it is mounted).
import * as fs from 'node:fs';
import type { AttachPlacesResult } from '../protocol/types';
import { cgroup2Roots } from './cgroups';
import { attachmentsByProgram } from './links';

const MAX_CGROUPS = 400;
const MAX_DEPTH = 4;

export function attachPlaces(): AttachPlacesResult {
  // The XDP program on an interface, from the kernel's XDP links (netlink-attached ones have none).
  const xdpByName = new Map<string, number>();
  for (const [progId, atts] of attachmentsByProgram())
    for (const a of atts) if (a.type === 'xdp' && a.target) xdpByName.set(a.target, progId);
  const interfaces: AttachPlacesResult['interfaces'] = [];
  let names: string[] = [];
  try {
    names = fs.readdirSync('/sys/class/net').sort();
  } catch {
    /* no sysfs */
  }
  for (const name of names) {
    try {
      const ifindex = Number(fs.readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8').trim());
      const up = (Number(fs.readFileSync(`/sys/class/net/${name}/flags`, 'utf8').trim()) & 1) !== 0;
      const xdp = xdpByName.get(name);
      interfaces.push({ name, ifindex, up, ...(xdp ? { xdpProgramId: xdp } : {}) });
    } catch {
      /* vanished while listing */
    }
  }
  // Breadth first, so the shallow (most useful) cgroups come first and the list stays bounded.
  const cgroups: string[] = [];
  let level = cgroup2Roots();
  for (let depth = 0; depth <= MAX_DEPTH && level.length && cgroups.length < MAX_CGROUPS; depth++) {
    const next: string[] = [];
    for (const dir of level) {
      if (cgroups.length >= MAX_CGROUPS) break;
      cgroups.push(dir);
      try {
        for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) next.push(`${dir}/${e.name}`);
      } catch {
        /* not readable */
      }
    }
    level = next;
  }
  return { interfaces, cgroups };
}
