// Pinning is all or nothing: a load with pinDir either pins every map and program of the object or
// leaves nothing behind (no pin, no directory it made), so a failed load cannot leave maps in the
// kernel that outlive the helper. `pin` likewise makes no directory for a pin it could not make.
import * as fs from 'node:fs';
import { HelperError } from './errors';
import * as L from './libbpf';

/** Removes the directories `mkdirSync(deepest, { recursive: true })` made (it returned `created`). */
export function removeCreatedDirs(deepest: string, created: string | undefined): void {
  if (!created) return;
  for (let dir = deepest; dir.length >= created.length; dir = dir.slice(0, dir.lastIndexOf('/'))) {
    try {
      fs.rmdirSync(dir); // only if empty: someone else's pin made meanwhile stays
    } catch {
      return;
    }
  }
}

/** bpffs refuses dots in pin names; libbpf pins `maps.bss` as `maps_bss`, and so do we. */
export function pinName(name: string): string {
  return name.replace(/\./g, '_');
}

/** Pins every fd under dir as its name, or none: on any failure what was pinned is removed again. */
export function pinAll(dir: string, items: { name: string; fd: number }[]): string[] {
  const targets = items.map((it) => ({ path: `${dir}/${pinName(it.name)}`, fd: it.fd }));
  const taken = targets.filter((t) => fs.existsSync(t.path)).map((t) => t.path);
  if (taken.length) {
    throw new HelperError(
      'INVALID_PARAMS',
      `cannot pin under ${dir}: ${taken.join(', ')} already exist${taken.length === 1 ? 's' : ''}; nothing was pinned`,
      {
        fix: 'unpin the old pins first (Unpin, or rm them), or load with another pinDir',
        details: { existing: taken },
      },
    );
  }
  const created = fs.mkdirSync(dir, { recursive: true });
  const done: string[] = [];
  try {
    for (const t of targets) {
      L.objPin(t.fd, t.path);
      done.push(t.path);
    }
  } catch (e) {
    for (const p of done) fs.rmSync(p, { force: true });
    removeCreatedDirs(dir, created);
    const he = e instanceof HelperError ? e : new HelperError('KERNEL', String((e as Error)?.message ?? e));
    throw new HelperError(he.code, `${he.message}; nothing was pinned under ${dir}`, { errno: he.errno, fix: he.fix });
  }
  return done;
}
