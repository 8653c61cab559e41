// The trace console's source through the real helper: bpf_printk lines of a test-run program arrive
// parsed (pid, comm, CPU, text); the tracing pipe is open only while someone subscribes and shared by
// subscribers; the subscription says the pipe is global; BPF streams are read per program; and on a
// machine without tracefs mounted (a private mount namespace) the helper mounts it and says so.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { requireKernel } from './requirements';
import { compileFixture, startHelper, tempDir, waitGone, unmountedTransport, until } from './helper-support';
import { HelperClient, HelperClientError, type HelperTransport } from '../../src/core/connection/client';
import type { LogParams, ObjectLoadResult, TraceLine } from '../../src/protocol';
import { pidsAsKernelSees } from '../support/pids';

const frame = Buffer.alloc(64).toString('base64');

function holdsPipe(pid: number): boolean {
  return fs.readdirSync(`/proc/${pid}/fd`).some((fd) => {
    try {
      return /\/trace_pipe$/.test(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      return false;
    }
  });
}

/** The parent pid of a running process. */
function parentOf(pid: number): number {
  return Number(/^PPid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

/** Waits until `lines` has stopped growing for 300 ms; returns how many it holds. */
async function settled(lines: unknown[]): Promise<number> {
  let n = -1;
  while (n !== lines.length) {
    n = lines.length;
    await new Promise((r) => setTimeout(r, 300));
  }
  return n;
}

const noTracefsTransport = (): HelperTransport =>
  unmountedTransport(['/sys/kernel/tracing', '/sys/kernel/debug'], 'local (private mount namespace without tracefs)');

describe('helper: trace console source (real kernel)', function () {
  this.timeout(60_000);
  let dir: string;
  let obj: string;
  let client: HelperClient;
  let loaded: ObjectLoadResult;
  let helperPid: number;
  const emit = (repeat = 1) => client.testRun({ id: loaded.programs[0].id, dataIn: frame, repeat });
  const ours = (lines: TraceLine[]) => lines.filter((l) => l.text.startsWith('ebpfwb-test emit'));

  before(async function () {
    requireKernel(this);
    dir = tempDir();
    obj = compileFixture(dir, 'events');
    ({ client } = startHelper());
    helperPid = (await client.hello()).pid;
    loaded = await client.loadObject({ path: obj });
  });

  after(async function () {
    const ids = loaded?.programs.map((p) => p.id) ?? [];
    await client?.dispose();
    for (const id of ids) assert.ok(await waitGone('prog', id), `program ${id} is still loaded`);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('streams bpf_printk lines with pid, comm and CPU, reading the pipe only while subscribed', async () => {
    assert.equal(holdsPipe(helperPid), false, 'nothing is read before a subscription');
    const lines: TraceLine[] = [];
    const sub = await client.subscribeTrace({}, { onBatch: (b) => void lines.push(...b.lines) });
    assert.match(sub.result.pipe ?? '', /^\/sys\/kernel(\/debug)?\/tracing\/trace_pipe$/);
    assert.match(sub.result.notes[0], /global/);
    assert.match(sub.result.notes[0], /consumes/);
    assert.equal(holdsPipe(helperPid), true);
    // The pipe hands its next reader what an earlier one left unread (other tests' lines): skip it.
    const stale = await settled(lines);
    await emit(3);
    const fresh = () => ours(lines.slice(stale));
    await until(() => fresh().length >= 3, 'three bpf_printk lines');
    // Test runs run in a process the helper starts for them (it can be killed to stop a run), so
    // the lines name that child of the helper, which stays for the next run.
    const runner = fresh()[0].pid;
    if (pidsAsKernelSees) assert.equal(parentOf(runner), helperPid, `pid ${runner} is the helper's test-run process`);
    const mine = fresh().filter((l) => l.pid === runner);
    assert.equal(mine.length, 3, JSON.stringify(fresh()));
    const seqs = mine.map((l) => Number(/seq=(\d+)/.exec(l.text)![1]));
    assert.deepEqual(seqs, [seqs[0], seqs[0] + 1, seqs[0] + 2]);
    for (const l of mine) {
      assert.equal(l.source, 'pipe');
      if (pidsAsKernelSees) assert.equal(l.comm, fs.readFileSync(`/proc/${runner}/comm`, 'utf8').trim());
      else assert.ok(l.comm.length > 0);
      assert.ok(l.cpu >= 0 && l.timestamp > 0);
      assert.match(l.text, /pid=4242$/);
      assert.equal(l.event, undefined, 'a bpf_trace_printk line');
    }
    await sub.dispose();
    assert.equal(holdsPipe(helperPid), false, 'the pipe is closed after the last unsubscribe');
  });

  it('shares one pipe among subscribers: both get every line, and it closes with the last', async () => {
    const a: TraceLine[] = [];
    const b: TraceLine[] = [];
    const subA = await client.subscribeTrace({}, { onBatch: (x) => void a.push(...x.lines) });
    const subB = await client.subscribeTrace({}, { onBatch: (x) => void b.push(...x.lines) });
    await emit(2);
    await until(() => ours(a).length >= 2 && ours(b).length >= 2, 'lines in both');
    assert.deepEqual(
      ours(a).map((l) => l.text),
      ours(b).map((l) => l.text),
    );
    await subA.dispose();
    assert.equal(holdsPipe(helperPid), true, 'still open for the other subscriber');
    await subB.dispose();
    assert.equal(holdsPipe(helperPid), false);
  });

  it('a second helper is refused while the pipe is read, with the reader named', async () => {
    const sub = await client.subscribeTrace({}, { onBatch: () => undefined });
    const other = startHelper().client;
    try {
      await assert.rejects(other.subscribeTrace({}, { onBatch: () => undefined }), (e: HelperClientError) => {
        assert.equal(e.code, 'BUSY');
        assert.match(
          e.data.message,
          new RegExp(`\\(pid ${helperPid}\\) is reading .*trace_pipe, and the kernel lets one reader at a time`),
        );
        assert.match(e.data.fix ?? '', new RegExp(`kill ${helperPid}`));
        return true;
      });
      // Once the first lets go (unsubscribe answers after the pipe is released), the other may read at once.
      await sub.dispose();
      const second = await other.subscribeTrace({}, { onBatch: () => undefined });
      await second.dispose();
    } finally {
      await other.dispose();
      await sub.dispose();
    }
  });

  it("reads a program's BPF streams (Linux 6.17+) and reports what bpf_stream_vprintk returned", async () => {
    const lines: TraceLine[] = [];
    const prog = loaded.programs[0].id;
    const sub = await client.subscribeTrace({ pipe: false, programs: [prog] }, { onBatch: (b) => void lines.push(...b.lines) });
    try {
      assert.equal(sub.result.streams, true, 'this kernel (6.18) has BPF_PROG_STREAM_READ_BY_FD');
      assert.equal(sub.result.pipe, undefined);
      assert.equal(holdsPipe(helperPid), false, 'streams only: the tracing pipe is left alone');
      await emit(2);
      // The fixture keeps the kfunc's return value in .data: 0 when the line was written.
      const data = loaded.maps.find((m) => m.name.endsWith('.data'))!;
      const page = await client.mapEntries({ id: data.id });
      const ret = Buffer.from(page.entries[0].value!, 'base64').readInt32LE(0);
      if (ret === 0) {
        await until(() => lines.some((l) => l.source === 'stdout'), 'a stream line');
        const l = lines.find((x) => x.source === 'stdout')!;
        assert.equal(l.programId, prog);
        assert.match(l.text, /^ebpfwb-test stream seq=\d+$/);
      } else {
        // This VM's kernel cannot allocate stream pages (alloc_pages_nolock fails): the kfunc
        // returns -ENOMEM and there is nothing to read, which the read must report as no lines.
        assert.equal(ret, -12, `bpf_stream_vprintk_impl returned ${ret}`);
        await new Promise((r) => setTimeout(r, 600));
        assert.deepEqual(lines, []);
      }
    } finally {
      await sub.dispose();
    }
    await assert.rejects(client.subscribeTrace({ pipe: false }, { onBatch: () => undefined }), /nothing to read/);
  });

  it('mounts tracefs on a machine that booted without it, and says so', async () => {
    const ns = new HelperClient(noTracefsTransport());
    const said: LogParams[] = [];
    ns.onDidLog((p) => said.push(p));
    try {
      const hello = await ns.hello();
      const mounted = () =>
        fs
          .readFileSync(`/proc/${hello.pid}/mountinfo`, 'utf8')
          .split('\n')
          .some((l) => l.split(' ')[4] === '/sys/kernel/tracing' && / - tracefs /.test(l));
      assert.equal(mounted(), false, 'the namespace starts without tracefs');
      const o = await ns.loadObject({ path: obj });
      const lines: TraceLine[] = [];
      const sub = await ns.subscribeTrace({}, { onBatch: (b) => void lines.push(...b.lines) });
      assert.equal(sub.result.pipe, '/sys/kernel/tracing/trace_pipe');
      assert.equal(mounted(), true);
      await until(() => said.some((p) => /mounted tracefs on \/sys\/kernel\/tracing/.test(p.message)), 'the log notification');
      await ns.testRun({ id: o.programs[0].id, dataIn: frame });
      // The line comes from the helper's test-run process (a child of the helper).
      await until(
        () =>
          lines.some(
            (l) => l.text.startsWith('ebpfwb-test emit') && (!pidsAsKernelSees || (l.pid !== hello.pid && parentOf(l.pid) === hello.pid)),
          ),
        'a line through the new mount',
      );
      await sub.dispose();
    } finally {
      await ns.dispose();
    }
  });
});
