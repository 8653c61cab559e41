// A helper killed at any moment (mid-response, with requests pipelined, while more are being
// written): every pending request fails with HELPER_EXITED, hello() never returns the dead
// helper's pid, and a client that disposes exits at once (no timer of vscode-jsonrpc keeps it alive).
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { requireKernel } from './requirements';
import { buildHelperBpf, repoRoot, startHelper, tempDir } from './helper-support';
import { HelperClientError } from '../../src/core/connection/client';

const KILLS = 50;

describe('helper client: kills', function () {
  let dir: string;

  before(function () {
    requireKernel(this);
    this.timeout(60_000);
    buildHelperBpf();
    dir = tempDir();
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a client whose helper is killed mid-response exits as soon as it disposes', async function () {
    this.timeout(60_000);
    // A process of its own, as the CLI is: it must end by itself, with no process.exit().
    const script = path.join(dir, 'killed-mid-response.ts');
    fs.writeFileSync(
      script,
      `import { startHelper } from ${JSON.stringify(path.join(repoRoot, 'test/kernel/helper-support'))};
const { client, transport } = startHelper();
client.hello().then(async () => {
  const pending = client.vmlinuxHeader(); // megabytes of answer: the kill lands in the middle of it
  const proc = transport.processes[0];
  let received = 0;
  proc.stdout.on('data', (d: Buffer) => {
    received += d.length;
    if (received > 0) proc.kill('SIGKILL');
  });
  const code = await pending.then(() => 'answered', (e) => e.code);
  await client.dispose();
  console.log(JSON.stringify({ code, received }));
});
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let disposedAt = 0;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n') && !disposedAt) disposedAt = Date.now();
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    clearTimeout(timer);
    const exitedAfterMs = Date.now() - disposedAt;
    assert.equal(code, 0, `the client was killed after 30 s, or failed: ${err}`);
    const r = JSON.parse(out) as { code: string; received: number };
    assert.equal(r.code, 'HELPER_EXITED');
    assert.ok(r.received > 0 && r.received < 1 << 20, `part of the answer arrived (${r.received} bytes)`);
    assert.ok(exitedAfterMs < 2000, `exited ${exitedAfterMs} ms after dispose`);
  });

  it(`${KILLS} kills while requests are pipelined and written: all fail with HELPER_EXITED, hello() is a new helper`, async function () {
    this.timeout(240_000);
    const { client, transport } = startHelper();
    const codes = new Map<string, number>();
    const tally = (k: string) => void codes.set(k, (codes.get(k) ?? 0) + 1);
    const deadPids = new Set<number>();
    const helloAfterFailure: number[] = [];
    try {
      for (let i = 0; i < KILLS; i++) {
        const { pid } = await client.hello();
        assert.ok(!deadPids.has(pid), `hello() gave the dead helper ${pid}`);
        const proc = transport.processes.at(-1)!;
        let firstFailure: Promise<void> | undefined;
        const settle = (p: Promise<unknown>) =>
          p.then(
            () => tally('answered'),
            (e: unknown) => {
              tally(e instanceof HelperClientError ? e.code : `not a HelperClientError: ${String(e)}`);
              // hello() right after the first failure: a new helper (or a clear error), never the dead one
              firstFailure ??= client.hello().then(
                (h) => {
                  helloAfterFailure.push(h.pid);
                  if (deadPids.has(h.pid)) tally("hello() after a failure gave a dead helper's pid");
                },
                (e2: unknown) => void tally(`hello after failure: ${String(e2)}`),
              );
            },
          );
        const all: Promise<void>[] = [];
        for (let j = 0; j < 20; j++)
          all.push(settle(j % 10 === 0 ? client.vmlinuxHeader() : j % 2 ? client.listMaps() : client.countAllMaps()));
        await new Promise((r) => setTimeout(r, (i * 7) % 35)); // from before the first answer to mid-stream
        proc.kill('SIGKILL');
        deadPids.add(pid);
        // Keep writing while the pipe breaks, as a refresh tick would: EPIPE, destroyed stream, closed connection.
        const until = Date.now() + 20;
        for (let k = 0; k < 200 && Date.now() < until; k++) {
          all.push(settle(client.listMaps()));
          await new Promise((r) => setImmediate(r));
        }
        await Promise.all(all);
        await firstFailure;
      }
    } finally {
      await client.dispose();
    }
    const wrong = [...codes].filter(([k]) => k !== 'HELPER_EXITED' && k !== 'answered');
    assert.deepEqual(wrong, [], JSON.stringify(Object.fromEntries(codes)));
    assert.ok((codes.get('HELPER_EXITED') ?? 0) >= KILLS, JSON.stringify(Object.fromEntries(codes)));
    assert.ok(helloAfterFailure.length >= KILLS - 1, `${helloAfterFailure.length} hellos after failures`);
  });
});
