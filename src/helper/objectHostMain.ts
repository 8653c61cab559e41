// An object host: the helper bundle started by the root helper with OBJECT_HOST_FLAG, one process
// per loaded object (objectHost.ts starts and talks to it). libbpf parses the untrusted ELF here,
// so a crafted object that crashes libbpf takes down this process only. The host keeps the
// bpf_object (later attaches need it) and exits when its stdin closes: its fds close with it and
// the kernel frees whatever is not pinned. It also runs BPF_PROG_TEST_RUN for the root helper,
// which can then stop a run that overstays by killing the process.
//
// Protocol (internal, parent to host; every answer is a structured error or the result):
//   host.load     { bytes, name?, what, logLevel, pinDir? } -> LoadResult      (once per host)
//   host.tryLoad  { objects: [{ bytes, name? }], logLevel } -> TryLoadOutcome[] (open, load, close each)
//   host.testRun  { id, dataIn?, ctxIn?, repeat } -> TestRunResult
// Before each step that runs libbpf on the bytes it writes PHASE_MARKER + what it does to stderr
// (synchronously), and mirrors libbpf's messages there, so a crash can be reported with both.
import * as fs from 'node:fs';
import type * as T from '../protocol/types';
import { HelperError } from './errors';
import type { Phase } from './load';
import { serve } from './rpc';
import * as v from './validate';

export const OBJECT_HOST_FLAG = '--object-host';
export const PHASE_MARKER = '\u001eebpfwb-phase ';
const MAX_OBJECT_BYTES = 32 * 1024 * 1024;
const MAX_TEST_DATA_BYTES = 1024 * 1024;

const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/** Writes all of `text` to stderr now. The pipe is non-blocking and libbpf's debug lines fill it
 *  faster than the helper reads (an object of 100 maps): wait out EAGAIN instead of failing the load. */
function writeStderr(text: string): void {
  let buf = Buffer.from(text);
  while (buf.length > 0) {
    try {
      buf = buf.subarray(fs.writeSync(2, buf));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') return; // stderr gone: the parent is gone too
      Atomics.wait(PAUSE, 0, 0, 1);
    }
  }
}
const phase: Phase = (doing) => writeStderr(`\n${PHASE_MARKER}${doing}\n`);

export function runObjectHost(): void {
  let startupError: HelperError | undefined;
  let m:
    | {
        L: typeof import('./libbpf');
        load: typeof import('./load');
        inventory: typeof import('./inventory');
        testrun: typeof import('./testrun');
        attach: typeof import('./attach');
      }
    | undefined;
  try {
    m = {
      L: require('./libbpf'),
      load: require('./load'),
      inventory: require('./inventory'),
      testrun: require('./testrun'),
      attach: require('./attach'),
    };
    // If the root helper dies (even by SIGKILL), so does this host: nothing it holds outlives the helper.
    m.L.dieWithParent();
    if (process.ppid === 1) process.exit(0); // the parent was already gone before prctl took effect
    m.L.mirrorLibbpfOutput(writeStderr);
  } catch (e) {
    startupError =
      e instanceof HelperError
        ? e
        : new HelperError('LIBBPF_MISSING', `cannot load libbpf: ${(e as Error).message}`, {
            fix: 'install libbpf1 (apt install libbpf1)',
          });
  }
  const need = () => {
    if (startupError || !m) throw startupError;
    return m;
  };

  let held: import('./libbpf').BpfObject | undefined;
  /** Links of the held object (attach.ts): they close with this process unless pinned. */
  let links: import('./attach').ObjectLinks | undefined;
  const linksOf = () => {
    if (!held) throw new HelperError('INVALID_PARAMS', 'this object host holds no object');
    return (links ??= new (need().attach.ObjectLinks)(held));
  };
  const server = serve();

  server.handle('host.load', (raw) => {
    const p = v.params(raw, ['bytes', 'name', 'what', 'logLevel', 'pinDir']);
    const { load } = need();
    if (held) throw new HelperError('INVALID_PARAMS', 'this object host already holds an object');
    const source = {
      bytes: v.base64(p.bytes, 'bytes', MAX_OBJECT_BYTES),
      name: p.name === undefined ? undefined : String(p.name),
      what: String(p.what ?? 'the object'),
    };
    const logLevel = v.optionalInt(p.logLevel, 'logLevel', 0, 7, 0);
    const pinDir = p.pinDir === undefined ? undefined : v.bpffsPath(p.pinDir, 'pinDir');
    const { obj, result } = load.loadObject(source, logLevel, pinDir, phase);
    held = obj;
    phase('holding the loaded object');
    return result;
  });

  server.handle('host.tryLoad', (raw) => {
    const p = v.params(raw, ['objects', 'logLevel']);
    const { load } = need();
    if (!Array.isArray(p.objects)) throw new HelperError('INVALID_PARAMS', 'objects must be an array');
    const logLevel = v.optionalInt(p.logLevel, 'logLevel', 0, 7, 0);
    return p.objects.map((o: { bytes?: unknown; name?: unknown }, i) =>
      load.tryLoad(
        {
          bytes: v.base64(o?.bytes, 'bytes', MAX_OBJECT_BYTES),
          name: typeof o?.name === 'string' ? o.name : undefined,
          what: `object #${i}`,
        },
        logLevel,
        (doing) => phase(`${doing} (#${i} of the batch)`),
      ),
    );
  });

  server.handle('host.testRun', (raw): T.TestRunResult => {
    const p = v.params(raw, ['id', 'dataIn', 'ctxIn', 'repeat']);
    const id = v.id(p.id);
    const dataIn = p.dataIn === undefined ? undefined : v.base64(p.dataIn, 'dataIn', MAX_TEST_DATA_BYTES);
    const ctxIn = p.ctxIn === undefined ? undefined : v.base64(p.ctxIn, 'ctxIn', 64 * 1024);
    const repeat = v.optionalInt(p.repeat, 'repeat', 1, 1_000_000, 1);
    const { inventory, testrun } = need();
    phase(`test-running program ${id}`);
    return inventory.withProgFd(id, (fd, info) => testrun.testRun(fd, info, dataIn, ctxIn, repeat));
  });

  // Attach and detach (the root helper validated the params and the pin path).
  server.handle('host.attach', (raw) => {
    const p = raw as { id: number; target: T.AttachTarget; pin?: string };
    phase(`attaching program ${p.id}`);
    return linksOf().attach(p.id, p.target, p.pin);
  });
  server.handle('host.detach', (raw) => linksOf().detach((raw as { linkId: number }).linkId) ?? null);
  server.handle('host.pinLink', (raw) => linksOf().pin((raw as { linkId: number }).linkId, (raw as { path: string }).path));
  server.handle('host.links', () => linksOf().list());

  server.listen(() => {
    try {
      links?.destroyAll();
      if (held) m?.L.objectClose(held);
    } finally {
      process.exit(0);
    }
  });
}
