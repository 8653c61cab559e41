// The client process of the soak's kill phase (bench/soak.bench.ts starts it): kills its helper
// KILLS times in the middle of requests, checks that every pending request fails with a clear
// error and that the next request is answered by a new helper, then disposes and must end by
// itself (no process.exit: the parent times how long this process outlives its last line).
// Usage: node --import tsx bench/soak-kills.ts HELPER_JS KILLS SEED
import { HelperClient, HelperClientError, type HelperProcess } from '../src/core/connection/client';
import { localTransport } from '../src/core/connection/local';

export interface KillReport {
  kills: number;
  /** Requests that failed, and of those with HELPER_EXITED and a message that names the exit. */
  failed: number;
  clear: number;
  /** Requests answered before the kill landed. */
  answered: number;
  /** Error lines that were not clear (at most 10). */
  unclear: string[];
  /** Rounds in which no request was pending when the helper died (the kill came too late). */
  roundsWithoutFailure: number;
  /** Kill to the next request's answer from a new helper, ms, per kill. */
  restartMs: number[];
  /** Its parts: kill to the last pending request failing, then to the new helper's hello. */
  failMs: number[];
  startMs: number[];
  /** hello() after the failure gave the dead helper's pid. */
  stalePids: number;
  /** Every helper pid this client started (the parent checks that none is left). */
  pids: number[];
}

/** A small deterministic PRNG, so a run can be repeated (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function main(): Promise<void> {
  const [helperPath, killsArg, seedArg] = process.argv.slice(2);
  const kills = Number(killsArg);
  const random = prng(Number(seedArg ?? 1));
  const inner = localTransport({ helperPath });
  const processes: HelperProcess[] = [];
  const client = new HelperClient({
    ...inner,
    async start() {
      const p = await inner.start();
      processes.push(p);
      return p;
    },
  });
  const report: KillReport = {
    kills,
    failed: 0,
    clear: 0,
    answered: 0,
    unclear: [],
    roundsWithoutFailure: 0,
    restartMs: [],
    failMs: [],
    startMs: [],
    stalePids: 0,
    pids: [],
  };
  let startedAt = 0;
  client.onDidStart(() => (startedAt = performance.now()));
  let hello = await client.hello();
  report.pids.push(hello.pid);
  for (let i = 0; i < kills; i++) {
    const proc = processes.at(-1)!;
    const deadPid = hello.pid;
    let failedThisRound = 0;
    const settle = (p: Promise<unknown>) =>
      p.then(
        () => void report.answered++,
        (e: unknown) => {
          report.failed++;
          failedThisRound++;
          const clear =
            e instanceof HelperClientError && e.code === 'HELPER_EXITED' && /exited while a request was pending/.test(e.message);
          if (clear) report.clear++;
          else if (report.unclear.length < 10) report.unclear.push(e instanceof HelperClientError ? `${e.code}: ${e.message}` : String(e));
        },
      );
    // A refresh tick's worth of requests, pipelined, with a large answer among them.
    const pending = [
      settle(client.countAllMapsCompact()),
      settle(client.vmlinuxHeader()),
      settle(client.listMaps()),
      settle(client.listPrograms()),
      settle(client.countAllMaps()),
    ];
    let killedAt = 0;
    const kill = () => {
      if (killedAt) return;
      killedAt = performance.now();
      proc.kill('SIGKILL');
    };
    if (i % 2 === 0) {
      proc.stdout.once('data', kill); // in the middle of the answers
    } else {
      setTimeout(kill, random() * 15); // anywhere from before the first answer on
    }
    await Promise.all(pending);
    if (!killedAt) {
      kill(); // every answer came before the kill: kill it idle; the round counts without failure
      await proc.exited;
    }
    if (failedThisRound === 0) report.roundsWithoutFailure++;
    const failedAt = performance.now();
    // The next request: a new helper must answer it.
    try {
      await client.listMaps();
      report.restartMs.push(performance.now() - killedAt);
      report.failMs.push(failedAt - killedAt);
      report.startMs.push(startedAt - failedAt);
    } catch (e) {
      report.unclear.push(`the request after kill ${i + 1} failed: ${String(e)}`);
    }
    hello = await client.hello();
    if (hello.pid === deadPid) report.stalePids++;
    report.pids.push(hello.pid);
  }
  await client.dispose();
  console.log(JSON.stringify(report));
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
