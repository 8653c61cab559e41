// Every program and map on the host: ids from bpf_{prog,map}_get_next_id, details from
// bpf_obj_get_info_by_fd, memlock from /proc/self/fdinfo. Each fd is closed before returning.
import * as fs from 'node:fs';
import { constants } from 'node:os';
import type { MapSummary, ProgramSummary } from '../protocol/types';
import { progTypeName } from '../protocol/names';
import { HelperError } from './errors';
import * as L from './libbpf';
import { attachmentsByProgram, pinIndex } from './links';
export { forgetPins } from './links';
import { mapShape } from './load';
import { ownerOf } from './objects';

/** Runs fn with an fd for map `id`; a missing id becomes NO_SUCH_MAP. The fd is always closed. */
export function withMapFd<T>(id: number, fn: (fd: number, info: L.MapInfo) => T): T {
  let fd: number;
  try {
    fd = L.mapFdById(id);
  } catch (e) {
    if (e instanceof HelperError && e.errno === constants.errno.ENOENT) {
      throw new HelperError('NO_SUCH_MAP', `there is no map with id ${id}`, {
        fix: 'it was unloaded or never existed; refresh the map list',
      });
    }
    throw e;
  }
  try {
    return fn(fd, L.mapInfo(fd));
  } finally {
    L.closeFd(fd);
  }
}

export function withProgFd<T>(id: number, fn: (fd: number, info: L.ProgInfo) => T): T {
  let fd: number;
  try {
    fd = L.progFdById(id);
  } catch (e) {
    if (e instanceof HelperError && e.errno === constants.errno.ENOENT) {
      throw new HelperError('NO_SUCH_PROGRAM', `there is no program with id ${id}`, {
        fix: 'it was unloaded or never existed; refresh the program list',
      });
    }
    throw e;
  }
  try {
    return fn(fd, L.progInfo(fd));
  } finally {
    L.closeFd(fd);
  }
}

/** What a BPF fd refers to, from the kernel's fdinfo (a link's fdinfo names its program too). */
export function bpfFdKind(fd: number): { kind: 'map' | 'prog' | 'link' | 'other'; id?: number; type?: number } {
  let text = '';
  try {
    text = fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
  } catch {
    return { kind: 'other' };
  }
  const field = (name: string) => {
    const m = new RegExp(`^${name}:\\s*(\\d+)`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  };
  if (field('link_id') !== undefined) return { kind: 'link', id: field('link_id'), type: field('link_type') };
  if (field('map_id') !== undefined) return { kind: 'map', id: field('map_id'), type: field('map_type') };
  if (field('prog_id') !== undefined) return { kind: 'prog', id: field('prog_id'), type: field('prog_type') };
  return { kind: 'other' };
}

/** Opens a pin that must be a map; a pinned program or link is refused with what it is instead. */
export function withPinnedMapFd<T>(path: string, fn: (fd: number, info: L.MapInfo) => T): T {
  return withPinnedFd(path, (fd) => {
    const what = bpfFdKind(fd);
    if (what.kind !== 'map') {
      const named =
        what.kind === 'prog'
          ? `a pinned program (id ${what.id}, ${progTypeName(what.type ?? -1)})`
          : what.kind === 'link'
            ? `a pinned link (id ${what.id})`
            : 'not a BPF map';
      throw new HelperError('NOT_A_MAP', `${path} is ${named}, not a map: only maps have elements to count`, {
        fix: "pass the pin of a map, or the map's id (map.count { id }); the maps a program uses are listed with it in prog.list",
        details: { kind: what.kind, id: what.id },
      });
    }
    return fn(fd, L.mapInfo(fd));
  });
}

/** Opens a pinned object below /sys/fs/bpf (path already validated) and runs fn with its fd. */
export function withPinnedFd<T>(path: string, fn: (fd: number) => T): T {
  const fd = L.objGet(path);
  try {
    return fn(fd);
  } finally {
    L.closeFd(fd);
  }
}

function memlock(fd: number): number {
  try {
    const m = /^memlock:\s*(\d+)/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function ids(next: (start: number) => number | undefined): number[] {
  const out: number[] = [];
  for (let id = next(0); id !== undefined; id = next(id)) out.push(id);
  return out;
}

export function listPrograms(statsEnabled: boolean, internalIds: ReadonlySet<number> = new Set()): ProgramSummary[] {
  const out: ProgramSummary[] = [];
  const pins = pinIndex();
  const attached = attachmentsByProgram(pins.links);
  for (const id of ids(L.progNextId)) {
    let fd: number;
    try {
      fd = L.progFdById(id);
    } catch {
      continue; // unloaded since we listed it
    }
    try {
      const info = L.progInfo(fd, true);
      const handle = ownerOf('prog', info.id);
      const p: ProgramSummary = {
        id: info.id,
        name: info.name,
        type: info.type,
        typeName: progTypeName(info.type),
        tag: Buffer.from(info.tag).toString('hex'),
        loadTime: Number(info.load_time),
        uid: info.created_by_uid,
        btfId: info.btf_id,
        mapIds: info.mapIds,
        xlatedLen: info.xlated_prog_len,
        jitedLen: info.jited_prog_len,
        verifiedInsns: info.verified_insns,
        memlock: memlock(fd),
        ours: handle !== undefined,
      };
      if (handle !== undefined) p.handle = handle;
      if (internalIds.has(info.id)) p.internal = true;
      const links = attached.get(info.id);
      if (links) p.attachments = links;
      const pinned = pins.progs.get(info.id);
      if (pinned) p.pinned = pinned;
      if (statsEnabled) {
        p.runCount = Number(info.run_cnt);
        p.runTimeNs = Number(info.run_time_ns);
      }
      out.push(p);
    } finally {
      L.closeFd(fd);
    }
  }
  return out;
}

export function listMaps(): MapSummary[] {
  // Which programs use which map: invert each program's map id list.
  const users = new Map<number, number[]>();
  for (const pid of ids(L.progNextId)) {
    let fd: number;
    try {
      fd = L.progFdById(pid);
    } catch {
      continue;
    }
    try {
      for (const mid of L.progInfo(fd, true).mapIds) users.set(mid, [...(users.get(mid) ?? []), pid]);
    } finally {
      L.closeFd(fd);
    }
  }
  const out: MapSummary[] = [];
  const pins = pinIndex().maps;
  for (const id of ids(L.mapNextId)) {
    let fd: number;
    try {
      fd = L.mapFdById(id);
    } catch {
      continue;
    }
    try {
      const info = L.mapInfo(fd);
      const handle = ownerOf('map', info.id);
      const m: MapSummary = {
        ...mapShape(info),
        btfId: info.btf_id,
        btfKeyTypeId: info.btf_key_type_id,
        btfValueTypeId: info.btf_value_type_id,
        memlock: memlock(fd),
        programIds: users.get(info.id) ?? [],
        ours: handle !== undefined,
      };
      if (handle !== undefined) m.handle = handle;
      const pinned = pins.get(info.id);
      if (pinned) m.pinned = pinned;
      out.push(m);
    } finally {
      L.closeFd(fd);
    }
  }
  return out;
}
