// The helper's JSON-RPC reader: good messages pass, bad ones become $/invalidMessage and the
// stream keeps going; oversized bodies are skipped as they stream, never buffered whole.
import * as assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { ChunkQueue, classify, INVALID_MESSAGE, LimitedMessageReader } from '../../src/helper/framing';

type Msg = { id?: unknown; method?: string; params?: { reason?: string; id?: unknown; rpcCode?: number } };

function setup(limit = 1000) {
  const input = new PassThrough();
  const reader = new LimitedMessageReader(input, limit);
  const got: Msg[] = [];
  reader.listen((m) => got.push(m as Msg));
  const frame = (body: string) => `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  return { input, got, frame };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('helper framing', () => {
  it('passes well-formed messages, also split across chunks and several per chunk', async () => {
    const { input, got, frame } = setup();
    const a = frame('{"jsonrpc":"2.0","id":1,"method":"hello"}');
    const b = frame('{"jsonrpc":"2.0","id":2,"method":"map.list"}');
    input.write(a.slice(0, 10));
    input.write(a.slice(10) + b);
    await tick();
    assert.deepEqual(
      got.map((m) => m.id),
      [1, 2],
    );
  });

  it('turns malformed JSON into an invalid-message request that keeps the id', async () => {
    const { input, got, frame } = setup();
    input.write(frame('{"jsonrpc":"2.0","id":5,"method":"hello",') + frame('{"jsonrpc":"2.0","id":6,"method":"hello"}'));
    await tick();
    assert.equal(got[0].method, INVALID_MESSAGE);
    assert.equal(got[0].id, 5);
    assert.match(got[0].params!.reason!, /not valid JSON/);
    assert.equal(got[1].id, 6);
  });

  it('reports JSON that is not JSON-RPC 2.0, without an id when there is none', async () => {
    const { input, got, frame } = setup();
    input.write(frame('[1,2,3]') + frame('{"id":"x","method":"hello"}'));
    await tick();
    assert.equal(got[0].method, INVALID_MESSAGE);
    assert.equal(got[0].id, undefined);
    assert.equal(got[1].id, 'x');
  });

  it('skips an oversized body chunk by chunk and answers its id', async () => {
    const { input, got, frame } = setup(100);
    const big = '{"jsonrpc":"2.0","id":9,"method":"object.load","params":{"bytes":"' + 'A'.repeat(5000) + '"}}';
    const framed = frame(big);
    for (let i = 0; i < framed.length; i += 700) input.write(framed.slice(i, i + 700));
    input.write(frame('{"jsonrpc":"2.0","id":10,"method":"hello"}'));
    await tick();
    assert.equal(got[0].method, INVALID_MESSAGE);
    assert.equal(got[0].id, 9);
    assert.match(got[0].params!.reason!, /larger than the 100-byte limit/);
    assert.equal(got[1].id, 10);
  });

  it('recovers from a header without Content-Length and from endless garbage', async () => {
    const { input, got, frame } = setup();
    input.write('X-Nonsense: 1\r\n\r\n' + frame('{"jsonrpc":"2.0","id":3,"method":"hello"}'));
    await tick();
    assert.equal(got[0].method, INVALID_MESSAGE);
    assert.equal(got[1].id, 3);
    input.write('z'.repeat(9000));
    await tick();
    assert.match(got[2].params!.reason!, /no message header/);
    input.write(frame('{"jsonrpc":"2.0","id":4,"method":"hello"}'));
    await tick();
    assert.equal(got[3].id, 4);
  });

  it('applies JSON-RPC 2.0: bad method or id types are invalid requests, unusable notifications are dropped', () => {
    const rpc = (m: object) => ({ jsonrpc: '2.0', ...m });
    assert.deepEqual(classify(rpc({ id: 1, method: 'hello' })), { kind: 'pass' });
    assert.deepEqual(classify(rpc({ id: 'a', method: 'hello', params: [] })), { kind: 'pass' });
    assert.deepEqual(classify(rpc({ id: 1, result: null })), { kind: 'pass' }, 'a response');
    assert.deepEqual(classify(rpc({ method: '$/cancelRequest', params: { id: 3 } })), { kind: 'pass' });
    for (const params of [undefined, null, [], {}, 5, 'x', { id: null }, { id: {} }])
      assert.equal(classify(rpc({ method: '$/cancelRequest', params })).kind, 'drop', JSON.stringify(params));
    assert.equal(classify(rpc({ method: 'events.batchAck', params: 5 })).kind, 'drop');
    for (const method of [5, null, {}, [], true]) {
      const v = classify(rpc({ id: 4, method }));
      assert.equal(v.kind, 'invalid');
      assert.equal(v.kind === 'invalid' && v.id, 4, 'answered to its (usable) id');
    }
    for (const id of [{}, [], [1], true, null]) {
      const v = classify(rpc({ id, method: 'hello' }));
      assert.equal(v.kind, 'invalid');
      assert.equal(v.kind === 'invalid' ? v.id : 'x', undefined, 'answered with id null');
    }
    assert.equal(classify(rpc({ id: 5, method: 'hello', params: 5 })).kind, 'invalid');
    assert.equal(classify({ id: 6, method: 'hello' }).kind, 'invalid');
    assert.equal(classify([]).kind, 'invalid');
    assert.equal(classify(rpc({ id: 7 })).kind, 'invalid');
  });

  it('delivers invalid requests with their JSON-RPC code: -32700 for bad JSON, -32600 for bad shape', async () => {
    const { input, got, frame } = setup();
    input.write(
      frame('{"jsonrpc":"2.0","id":5,') +
        frame('{"jsonrpc":"2.0","id":6,"method":7}') +
        frame('{"jsonrpc":"2.0","method":"$/cancelRequest"}'),
    );
    input.write(frame('{"jsonrpc":"2.0","id":8,"method":"hello"}'));
    await tick();
    assert.deepEqual(
      got.map((m) => [m.id, m.params?.rpcCode]),
      [
        [5, -32700],
        [6, -32600],
        [8, undefined],
      ],
    );
  });

  it('a connection callback that throws does not escape the reader', async () => {
    const input = new PassThrough();
    const reader = new LimitedMessageReader(input, 1000);
    const seen: unknown[] = [];
    reader.listen((m) => {
      seen.push(m);
      throw new TypeError("Cannot read properties of null (reading 'id')");
    });
    const body = '{"jsonrpc":"2.0","id":1,"method":"hello"}';
    input.write(`Content-Length: ${body.length}\r\n\r\n${body}`.repeat(2));
    await tick();
    assert.equal(seen.length, 2);
  });

  it('reads the same messages however the stream is cut into chunks (fast-check, seeded)', async () => {
    const body = fc.record({
      id: fc.nat(),
      method: fc.constantFrom('hello', 'map.list'),
      params: fc.record({ text: fc.string({ unit: 'grapheme', maxLength: 300 }) }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(body, { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 50 }),
        async (msgs, cuts) => {
          const { input, got, frame } = setup(100_000);
          const stream = Buffer.from(msgs.map((m) => frame(JSON.stringify({ jsonrpc: '2.0', ...m }))).join(''));
          let off = 0;
          for (let i = 0; off < stream.length; i++) {
            const n = cuts[i % cuts.length];
            input.write(stream.subarray(off, off + n));
            off += n;
          }
          await tick();
          assert.deepEqual(
            got.map((m) => ({ id: m.id, method: m.method, params: m.params })),
            JSON.parse(JSON.stringify(msgs)),
          );
        },
      ),
      { seed: 11, numRuns: 300 },
    );
  });

  it('a 4 MiB body in 1-byte to 64 KiB chunks arrives whole and byte-exact', async () => {
    const { input, got, frame } = setup(8 << 20);
    const payload = Buffer.alloc(4 << 20);
    for (let i = 0; i < payload.length; i++) payload[i] = 0x41 + ((i * 7) % 26);
    const text = payload.toString('latin1');
    const framed = Buffer.from(frame(`{"jsonrpc":"2.0","id":1,"method":"object.load","params":{"bytes":"${text}"}}`));
    const sizes = [1, 3, 4093, 65536, 17, 65535];
    for (let off = 0, i = 0; off < framed.length; i++) {
      const n = sizes[i % sizes.length];
      input.write(framed.subarray(off, off + n));
      off += n;
    }
    await tick();
    assert.equal(got.length, 1);
    assert.equal((got[0].params as unknown as { bytes: string }).bytes, text);
  });

  it('the chunk queue peeks, takes and drops across chunk boundaries', () => {
    const q = new ChunkQueue();
    for (const part of ['ab', 'cde', '', 'f', 'ghij']) q.push(Buffer.from(part));
    assert.equal(q.length, 10);
    assert.equal(q.peek(4).toString(), 'abcd');
    assert.equal(q.take(3).toString(), 'abc');
    q.drop(2);
    assert.equal(q.peek(100).toString(), 'fghij');
    assert.equal(q.take(5).toString(), 'fghij');
    assert.equal(q.length, 0);
  });
});
