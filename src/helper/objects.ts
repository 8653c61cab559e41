// The objects the root helper loaded: each lives in an object host of its own (objectHost.ts), so
// libbpf never parses untrusted ELF bytes in this process. The helper reads and checks the file,
// the host opens, loads and pins it and keeps the bpf_object; unload (or helper exit) ends the
// host, whose fds close with it, which frees everything in the kernel that is not pinned.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CancellationToken } from 'vscode-jsonrpc/node';
import type { AttachedLink, AttachResult, AttachTarget, ObjectLoadResult } from '../protocol/types';
import { bpfObjectPath } from './ownObjects';
import { HelperError } from './errors';
import type { LoadResult, TryLoadOutcome } from './load';
import { crashError, describeExit, freshHost, ObjectHost, prepareSpare } from './objectHost';

/** Where the bytes come from: a file on this machine (read here) or bytes sent by the client. */
export type ObjectInput = { path: string } | { bytes: Buffer };

interface LoadedObject {
  host: ObjectHost;
  what: string;
  programIds: number[];
  mapIds: number[];
  /** Ids of the links its host made (attach); they go with the host unless pinned. */
  links?: Set<number>;
}

const loaded = new Map<number, LoadedObject>();
let nextHandle = 1;

/** Which loaded object (if any) owns a program or map id. */
export function ownerOf(kind: 'prog' | 'map', id: number): number | undefined {
  for (const [handle, o] of loaded) if ((kind === 'prog' ? o.programIds : o.mapIds).includes(id)) return handle;
  return undefined;
}

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const EM_BPF = 247;

/** Cheap checks that give a clearer error than libbpf's for the common wrong inputs. */
function checkElf(head: Buffer, what: string): void {
  if (head.length < 4 || !head.subarray(0, 4).equals(ELF_MAGIC)) {
    throw new HelperError('NOT_ELF', `${what} is not an ELF object file`, {
      fix: 'pass the .bpf.o that clang -target bpf produced, not the .c source or another file',
    });
  }
  if (head.length >= 20) {
    const machine = head[5] === 2 ? head.readUInt16BE(18) : head.readUInt16LE(18);
    if (machine !== EM_BPF) {
      throw new HelperError('BAD_OBJECT', `${what} is an ELF file for another machine (e_machine ${machine}), not BPF`, {
        fix: 'compile with clang -target bpf (or -target bpfel) -c prog.bpf.c -o prog.bpf.o',
      });
    }
  }
}

/**
 * Reads an object file: opened without blocking (a FIFO swapped in after validation cannot stall
 * us) and checked to be a regular file on the open fd, so what is read is what was checked.
 */
export function readObjectFile(p: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new HelperError('FILE_NOT_FOUND', `path ${p} does not exist`, { fix: 'build the object first, or check the path' });
    throw new HelperError('NOT_A_FILE', `path ${p} cannot be read: ${code}`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new HelperError('NOT_A_FILE', `path ${p} is not a regular file`);
    if (st.size > maxBytes) throw new HelperError('INVALID_PARAMS', `path ${p} is larger than ${maxBytes} bytes`);
    const bytes = Buffer.alloc(st.size);
    let off = 0;
    while (off < bytes.length) {
      const n = fs.readSync(fd, bytes, off, bytes.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return bytes.subarray(0, off);
  } finally {
    fs.closeSync(fd);
  }
}

/** The name libbpf gives an object opened from a file (it prefixes internal maps: "<name>.bss"). */
function libbpfName(file: string): string {
  return path.basename(file);
}

/** A trusted object (the helper's own) that warms a spare host up; none when it cannot be read. */
let warmup: Buffer | null | undefined;
function warmupObject(): Buffer | undefined {
  if (warmup === undefined) {
    try {
      warmup = fs.readFileSync(bpfObjectPath('for_each_count.bpf.o'));
    } catch {
      warmup = null;
    }
  }
  return warmup ?? undefined;
}

/** Loads an object in a host of its own; a host that crashes fails this load only. */
export async function loadObject(
  input: ObjectInput,
  logLevel: number,
  pinDir: string | undefined,
  token: CancellationToken,
  maxBytes: number,
  say: (message: string, level?: 'info' | 'warn') => void,
): Promise<ObjectLoadResult> {
  const what = 'path' in input ? input.path : 'the object';
  const bytes = 'path' in input ? readObjectFile(input.path, maxBytes) : input.bytes;
  checkElf(bytes.subarray(0, 64), what);
  const host = freshHost();
  let result: LoadResult;
  try {
    result = await host.request<LoadResult>(
      'host.load',
      { bytes: bytes.toString('base64'), name: 'path' in input ? libbpfName(input.path) : undefined, what, logLevel, pinDir },
      { doing: `loading ${what}`, token },
    );
  } catch (e) {
    host.kill(); // a host whose load failed holds nothing, and is not reused after libbpf saw the bytes
    throw e;
  } finally {
    prepareSpare(warmupObject());
  }
  const handle = nextHandle++;
  loaded.set(handle, { host, what, programIds: result.programs.map((p) => p.id), mapIds: result.maps.map((m) => m.id) });
  // A host that dies later (a crash while attaching, an OOM kill) takes only its own object along.
  void host.crashed().then((exit) => {
    if (!exit || !loaded.has(handle)) return;
    loaded.delete(handle);
    say(
      `the process holding object ${handle} (${what}) ${describeExit(exit)}: its programs and maps are gone unless pinned${host.lastOutput ? `; its last output: ${host.lastOutput.trim().split('\n').slice(-3).join(' | ')}` : ''}`,
      'warn',
    );
  });
  return { handle, ...result };
}

/**
 * Checks objects without keeping them: each is opened, loaded and closed in an object host (many
 * per host; what they load is freed at once and never pinned). A host that crashes on one object
 * reports that object as BAD_OBJECT (the phase marker says which); the rest go to a fresh host.
 */
export async function checkObjects(objects: Buffer[], logLevel: number, token: CancellationToken): Promise<TryLoadOutcome[]> {
  const out: TryLoadOutcome[] = new Array(objects.length);
  // Indices still to check; a crash loses the host's answers, so the others of its batch go again.
  let todo = objects.map((_, i) => i);
  while (todo.length) {
    const batch = todo;
    const host = ObjectHost.start();
    let crashedAt: { index: number; error: HelperError } | undefined;
    try {
      const r = await host.request<TryLoadOutcome[]>(
        'host.tryLoad',
        { objects: batch.map((i) => ({ bytes: objects[i].toString('base64') })), logLevel },
        {
          doing: 'checking objects',
          token,
          onCrash: (exit, doing, output) => {
            const at = /\(#(\d+) of the batch\)$/.exec(doing);
            const error = crashError(exit, doing.replace(/ \(#\d+ of the batch\)$/, ''), output);
            crashedAt = { index: at ? Number(at[1]) : 0, error };
            return error;
          },
        },
      );
      r.forEach((o, k) => (out[batch[k]] = o));
      todo = [];
    } catch (e) {
      if (!crashedAt) throw e; // cancelled, or an answer that is not a crash
      const d = crashedAt.error.toData();
      out[batch[crashedAt.index]] = { ok: false, code: d.code, message: d.message };
      todo = batch.filter((_, k) => k !== crashedAt!.index);
    } finally {
      void host.close();
    }
  }
  return out;
}

export async function unloadObject(handle: number): Promise<void> {
  const o = loaded.get(handle);
  if (!o)
    throw new HelperError('NO_SUCH_OBJECT', `no loaded object with handle ${handle}`, {
      fix: 'it was already unloaded, or the helper restarted; load it again',
    });
  loaded.delete(handle);
  await o.host.close();
}

/** Ends every host at once (helper exit): the kernel frees what they held, except pins. */
export function unloadAll(): void {
  for (const o of loaded.values()) o.host.kill();
  loaded.clear();
}

// ---------- attach and detach (relayed to the host that holds the object: attach.ts runs there) ----------

function hostOfProgram(id: number): LoadedObject {
  const handle = ownerOf('prog', id);
  if (handle === undefined) {
    throw new HelperError('NO_SUCH_PROGRAM', `program ${id} was not loaded by this helper, so it has no libbpf object to attach with`, {
      fix: 'load its object here (Load Object / ebpf-workbench load), or attach it with the tool that loaded it',
    });
  }
  return loaded.get(handle)!;
}

/** Which object's host holds a link this helper made. */
function hostOfLink(linkId: number): LoadedObject {
  for (const o of loaded.values()) if (o.links?.has(linkId)) return o;
  throw new HelperError('INVALID_PARAMS', `link ${linkId} was not made by this helper`, {
    fix: 'detach links made elsewhere with the tool that made them (or remove their pin)',
  });
}

export async function attachProgram(
  id: number,
  target: AttachTarget,
  pin: string | undefined,
  token: CancellationToken,
): Promise<AttachResult> {
  const o = hostOfProgram(id);
  const r = await o.host.request<AttachResult>('host.attach', { id, target, pin }, { doing: `attaching program ${id}`, token });
  o.links ??= new Set();
  for (const l of r.links) o.links.add(l.linkId);
  return r;
}

export async function detachLink(linkId: number): Promise<void> {
  const o = hostOfLink(linkId);
  await o.host.request('host.detach', { linkId }, { doing: `detaching link ${linkId}` });
  o.links!.delete(linkId);
}

export async function pinLink(linkId: number, path: string): Promise<AttachedLink> {
  return hostOfLink(linkId).host.request<AttachedLink>('host.pinLink', { linkId, path }, { doing: `pinning link ${linkId}` });
}

/** Every link this helper's hosts hold, by object. */
export async function listLinks(): Promise<AttachedLink[]> {
  const out: AttachedLink[] = [];
  for (const o of loaded.values()) {
    if (!o.links?.size) continue;
    out.push(...(await o.host.request<AttachedLink[]>('host.links', {}, { doing: 'listing links' })));
  }
  return out;
}
