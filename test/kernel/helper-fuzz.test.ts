// Hostile input against a real root helper, seeded and bounded (fast-check): 10,000 JSON-RPC
// messages of every wrong shape, and 10,000 two-bit flips of a real object checked through
// object.check. Zero helper deaths, no hangs, an answer to every request with a usable id; objects
// that crash libbpf 1.1 (test/fixtures/helper/crashers) fail alone while a loaded object stays.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { requireKernel } from './requirements';
import { buildHelperBpf, crashers, kernelHas, mountBpffsLikeBpftool } from './helper-support';
import { Wire } from './helper-wire';
import { PROTOCOL_VERSION } from '../../src/protocol';
import type { ObjectCheckResult, ObjectLoadResult } from '../../src/protocol';

const SEED = 20261201;
const MESSAGES = 10_000;
const BATCH = 100;
const MUTANTS = 10_000;
const MUTANTS_PER_CHECK = 250;
const GHOST_DIR = `/sys/fs/bpf/ebpfwb-fuzz-${process.pid}`;

/** Methods that change kernel state: every number in their params is moved out of the id range. */
const MUTATING = new Set([
  'pin',
  'unpin',
  'map.update',
  'map.delete',
  'map.clear',
  'map.push',
  'map.pop',
  'prog.attach',
  'link.detach',
  'link.pin',
  'prog.testRun',
  'events.subscribe',
  'unsubscribe',
  'object.unload',
]);
/** Every method but trace.subscribe (the tracing pipe is shared with other tests) and btf.vmlinux (megabytes per answer). */
const METHODS = [
  'hello',
  'object.load',
  'object.check',
  'object.unload',
  'prog.list',
  'map.list',
  'map.count',
  'map.countAll',
  'map.entries',
  'map.ringbuf',
  'prog.testRun',
  'pin',
  'unpin',
  'stats.enable',
  'events.subscribe',
  'unsubscribe',
  'map.types',
  'map.update',
  'map.lookup',
  'map.delete',
  'map.clear',
  'map.push',
  'map.pop',
  'prog.attach',
  'link.detach',
  'link.pin',
  'link.list',
  'attach.places',
  'prog.insns',
  '$/cancelRequest',
  '$/setTrace',
  '$/progress',
  'events.batchAck',
  'nonsense',
  '',
  '__proto__',
  'constructor',
];
const KEYS = [
  'id',
  'path',
  'bytes',
  'pinDir',
  'logLevel',
  'handle',
  'kind',
  'method',
  'key',
  'value',
  'repeat',
  'timeoutMs',
  'dataIn',
  'ctxIn',
  'objects',
  'protocolVersion',
  'subscription',
  'linkId',
  'iface',
  'cgroup',
  'binary',
  'pid',
  'netfilter',
  'compact',
  'cursor',
  'limit',
  'enable',
  'pipe',
  'programs',
];
const PATHS = [
  '/etc/passwd',
  '/sys/fs/bpf/../../etc/shadow',
  `${GHOST_DIR}/a/b`,
  'relative/x',
  '/proc/self/mem',
  '/dev/zero',
  '/sys/fs/bpf/maps.debug',
  '/sys/fs/bpf/\u0000x',
  '/tmp',
];

/** Numbers 0..2^31 become ids no kernel object has (the kernel allocates ids below 2^31). */
function awayFromIds(x: unknown): unknown {
  if (typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < 2 ** 31) return x + 2 ** 31;
  if (Array.isArray(x)) return x.map(awayFromIds);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, awayFromIds(v)]));
  return x;
}

const hostileValue = fc.oneof(
  fc.anything({ maxDepth: 2 }),
  fc.constantFrom(...PATHS),
  fc.integer(),
  fc.double(),
  fc.constantFrom(-1, 0, 2 ** 53, 1e308, 'AAAA', 'f0VMRg==', true, null),
);
const params = fc.oneof(
  fc.dictionary(fc.constantFrom(...KEYS), hostileValue, { maxKeys: 5 }),
  fc.anything({ maxDepth: 2 }),
  fc.constant(undefined),
);
/** One hostile message: [what to send, whether it carries an id that must be answered]. */
const message = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      jsonrpc: fc.constantFrom('2.0', '2.0', '2.0', '1.0', 2, undefined),
      id: fc.oneof(fc.constant('ID'), fc.constant(undefined), fc.constantFrom(null, true, {}, [], [1], { a: 1 })),
      method: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...METHODS) }, fc.anything({ maxDepth: 1 })),
      params,
    }),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map((s) => ({ raw: `{"jsonrpc":"2.0","id":"ID","method":${s}` })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map((s) => ({ raw: s })) },
);

describe('helper: fuzzed with hostile input (seeded)', function () {
  this.timeout(300_000);
  let wire: Wire;
  let next = 1;

  before(async function () {
    requireKernel(this);
    buildHelperBpf();
    mountBpffsLikeBpftool();
    wire = await Wire.start();
    await wire.conn.sendRequest('hello', { protocolVersion: PROTOCOL_VERSION });
  });

  after(async () => {
    await wire?.close();
    fs.rmSync(GHOST_DIR, { recursive: true, force: true });
  });

  it(`${MESSAGES} hostile JSON-RPC messages: no death, no hang, every usable id answered`, async () => {
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        const expect: unknown[] = [];
        for (const m of batch) {
          const id = `f${next++}`;
          if ('raw' in m) {
            const raw = (m as { raw: string }).raw;
            if (raw.includes('"ID"')) expect.push(id);
            wire.send(raw.replace('"ID"', JSON.stringify(id)));
          } else {
            const msg = { ...(m as Record<string, unknown>) };
            if (msg.id === 'ID') msg.id = id;
            if (typeof msg.method === 'string' && MUTATING.has(msg.method)) msg.params = awayFromIds(msg.params);
            for (const k of Object.keys(msg)) if (msg[k] === undefined) delete msg[k];
            if (typeof msg.id === 'string') expect.push(msg.id);
            wire.send(JSON.stringify(msg));
          }
          sent++;
        }
        const answered = await wire.until(() => expect.every((id) => wire.has(id)), 30_000);
        assert.ok(wire.alive, `the helper died: ${JSON.stringify(wire.exit)}\n${wire.stderr.slice(-2000)}`);
        assert.ok(answered, `unanswered: ${expect.filter((id) => !wire.has(id)).join(', ')}`);
      }),
      { seed: SEED, numRuns: MESSAGES / BATCH, endOnFailure: true },
    );
    assert.equal(sent, MESSAGES);
    const h = await wire.conn.sendRequest<{ pid: number }>('hello', { protocolVersion: PROTOCOL_VERSION });
    assert.ok(h.pid > 0);
    assert.equal(fs.existsSync(GHOST_DIR), false, 'no pin or directory was made from fuzzed params');
  });

  describe('mutated ELF objects', () => {
    const source = path.join(__dirname, '../fixtures/helper/crashers/packet_counter.bpf.o');
    let original: Buffer;

    before(() => {
      original = fs.readFileSync(source);
    });

    it(`${MUTANTS} two-bit flips of a real object: every one answered, the helper alive, nothing kept`, async () => {
      const pinsBefore = new Set(fs.readdirSync('/sys/fs/bpf'));
      // fast-check draws the flips (seeded); each mutant is the original with two bits flipped.
      const bits = fc.sample(fc.tuple(fc.nat(original.length * 8 - 1), fc.nat(original.length * 8 - 1)), { seed: SEED, numRuns: MUTANTS });
      const counts: Record<string, number> = {};
      const crashed: number[][] = [];
      for (let start = 0; start < MUTANTS; start += MUTANTS_PER_CHECK) {
        const slice = bits.slice(start, start + MUTANTS_PER_CHECK);
        const objects = slice.map((pair) => {
          const b = Buffer.from(original);
          for (const bit of pair) b[bit >> 3] ^= 1 << (bit & 7);
          return b.toString('base64');
        });
        const r = await wire.conn.sendRequest<ObjectCheckResult>('object.check', { objects });
        assert.equal(r.results.length, slice.length);
        r.results.forEach((o, i) => {
          const k = o.ok ? 'loaded' : o.code!;
          counts[k] = (counts[k] ?? 0) + 1;
          if (!o.ok && /crashed/.test(o.message ?? '')) crashed.push(slice[i]);
          if (!o.ok) assert.ok(o.message && o.message.length > 10, `a message for ${JSON.stringify(o)}`);
        });
        assert.ok(wire.alive, 'the helper is alive');
      }
      console.log(`      outcomes: ${JSON.stringify(counts)}; crashed libbpf: ${JSON.stringify(crashed)}`);
      const h = await wire.conn.sendRequest<{ pid: number }>('hello', { protocolVersion: PROTOCOL_VERSION });
      let kids: string[] = [];
      try {
        kids = execFileSync('ps', ['--ppid', String(h.pid), '-o', 'pid='], { encoding: 'utf8' })
          .split('\n')
          .filter(Boolean);
      } catch {
        /* ps exits 1 when the helper has no children at all */
      }
      assert.ok(kids.length <= 3, `hosts left: ${kids.join(' ')}`);
      const newPins = fs.readdirSync('/sys/fs/bpf').filter((n) => !pinsBefore.has(n) && !n.startsWith('ebpf'));
      assert.deepEqual(newPins, [], 'a checked object pinned nothing');
    });

    it('the objects known to crash libbpf 1.1 fail alone, with a clear error, while a loaded object stays', async () => {
      const good = await wire.conn.sendRequest<ObjectLoadResult>('object.load', { path: source });
      const known = crashers();
      const objects = [known[0].bytes, original, ...known.slice(1).map((c) => c.bytes), original].map((b) => b.toString('base64'));
      const r = await wire.conn.sendRequest<ObjectCheckResult>('object.check', { objects });
      assert.deepEqual(
        r.results.map((o) => o.ok),
        [false, true, ...known.slice(1).map(() => false), true],
      );
      for (const o of r.results.filter((x) => !x.ok)) {
        assert.equal(o.code, 'BAD_OBJECT');
        assert.match(o.message!, /^libbpf crashed \(SIGSEGV\) while opening this object: the ELF is malformed/);
      }
      assert.ok(wire.alive);
      for (const p of good.programs) assert.ok(kernelHas('prog', p.id), 'the loaded object is untouched');
      await wire.conn.sendRequest('object.unload', { handle: good.handle });
    });
  });
});
