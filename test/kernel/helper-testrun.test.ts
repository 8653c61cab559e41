// prog.testRun runs in a host of its own: a program that loops (bpf_loop), test-run 1e6 times,
// does not hold up other requests, stops at once when cancelled, and stops at its time bound.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { CancellationTokenSource, ResponseError } from 'vscode-jsonrpc/node';
import { requireKernel } from './requirements';
import { buildHelperBpf, compileFixture, kernelHas, tempDir, waitGone } from './helper-support';
import { Wire } from './helper-wire';
import { PROTOCOL_VERSION } from '../../src/protocol';
import type { ErrorData, ObjectLoadResult, TestRunResult } from '../../src/protocol';

/** How long a request took, and its result or error. */
async function elapsed<T>(p: Promise<T>): Promise<[number, T | unknown]> {
  const t = Date.now();
  try {
    const r = await p;
    return [Date.now() - t, r];
  } catch (e) {
    return [Date.now() - t, e];
  }
}

function codeOf(e: unknown): string | undefined {
  return e instanceof ResponseError ? (e.data as ErrorData | undefined)?.code : undefined;
}

describe('helper: prog.testRun is bounded and can be cancelled', function () {
  this.timeout(120_000);
  let dir: string;
  let wire: Wire;
  let spinId: number;
  let handle: number;

  before(async function () {
    requireKernel(this);
    buildHelperBpf();
    dir = tempDir();
    const obj = compileFixture(dir, 'testrun-loop');
    wire = await Wire.start();
    await wire.conn.sendRequest('hello', { protocolVersion: PROTOCOL_VERSION });
    const loaded = await wire.conn.sendRequest<ObjectLoadResult>('object.load', { path: obj });
    handle = loaded.handle;
    spinId = loaded.programs.find((p) => p.name === 'spin')!.id;
    // One run, to learn what a repetition costs here.
    const one = await wire.conn.sendRequest<TestRunResult>('prog.testRun', { id: spinId, repeat: 10 });
    assert.ok(one.durationNs > 10_000, `a run of 2^16 bpf_loop steps takes a while (${one.durationNs} ns)`);
  });

  after(async () => {
    if (wire?.alive) {
      await wire.conn.sendRequest('object.unload', { handle }).catch(() => undefined);
      await wire.close();
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a 1e6-repeat run does not hold up counts and other requests, and a cancel stops it at once', async () => {
    const cts = new CancellationTokenSource();
    const run = elapsed(
      wire.conn.sendRequest<TestRunResult>('prog.testRun', { id: spinId, repeat: 1_000_000, timeoutMs: 600_000 }, cts.token),
    );
    await new Promise((r) => setTimeout(r, 500)); // the run is under way in its host
    for (let i = 0; i < 5; i++) {
      const [ms] = await elapsed(wire.conn.sendRequest('map.countAll', { compact: true }));
      assert.ok(ms < 2000, `countAll waited ${ms} ms behind the test run`);
      const [hms, h] = await elapsed(wire.conn.sendRequest('hello', { protocolVersion: PROTOCOL_VERSION }));
      assert.ok(hms < 2000 && (h as { pid: number }).pid > 0);
    }
    const cancelledAt = Date.now();
    cts.cancel();
    const [, e] = await run;
    const after = Date.now() - cancelledAt;
    assert.equal(codeOf(e), 'CANCELLED', String(e));
    assert.equal((e as ResponseError<ErrorData>).code, -32800);
    assert.ok(after < 2000, `the cancel was answered after ${after} ms`);
    // The object and its program stay; the next run works.
    assert.ok(kernelHas('prog', spinId));
    const r = await wire.conn.sendRequest<TestRunResult>('prog.testRun', { id: spinId });
    assert.ok(r.retval === 1 || r.retval === 2, `XDP_DROP or XDP_PASS, got ${r.retval}`);
  });

  it('a run past its time bound is stopped with TIMEOUT and a fix', async () => {
    const [ms, e] = await elapsed(wire.conn.sendRequest('prog.testRun', { id: spinId, repeat: 1_000_000, timeoutMs: 1000 }));
    assert.equal(codeOf(e), 'TIMEOUT', String(e));
    assert.match((e as ResponseError<ErrorData>).data!.fix!, /fewer repetitions|timeoutMs/);
    assert.ok(ms < 4000, `stopped after ${ms} ms`);
    assert.ok(kernelHas('prog', spinId));
  });

  it('without timeoutMs the default bound (10 s) stops it; bounds out of range are refused', async () => {
    const [ms, e] = await elapsed(wire.conn.sendRequest('prog.testRun', { id: spinId, repeat: 1_000_000 }));
    assert.equal(codeOf(e), 'TIMEOUT', String(e));
    assert.ok(ms >= 9000 && ms < 14_000, `stopped after ${ms} ms`);
    for (const timeoutMs of [10, 600_001, 'x'])
      assert.equal(codeOf((await elapsed(wire.conn.sendRequest('prog.testRun', { id: spinId, timeoutMs })))[1]), 'INVALID_PARAMS');
    const missing = await elapsed(wire.conn.sendRequest('prog.testRun', { id: 0xfffffff0 }));
    assert.equal(codeOf(missing[1]), 'NO_SUCH_PROGRAM', String(missing[1]));
  });

  it('unload frees the program although test-run hosts opened it', async () => {
    await wire.conn.sendRequest('object.unload', { handle });
    assert.ok(await waitGone('prog', spinId, 10_000), 'no host keeps the program');
    handle = -1;
  });
});
