// Bad input gets a structured error and the helper keeps serving: files that are not BPF
// objects, unknown ids, a map deleted mid-walk, malformed and oversized JSON-RPC messages,
// paths outside bpffs, and parameters of the wrong type or range.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StreamMessageReader } from 'vscode-jsonrpc/node';
import { requireKernel } from './requirements';
import { buildHelperBpf, compileFixture, sourceTransport, startHelper, tempDir, waitGone } from './helper-support';
import { HelperClient, HelperClientError, HelperProcess } from '../../src/core/connection/client';
import { MAX_MESSAGE_BYTES, PROTOCOL_VERSION } from '../../src/protocol';
import type { ErrorData } from '../../src/protocol';

async function expectCode(p: Promise<unknown>, code: string): Promise<ErrorData> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof HelperClientError, `expected a HelperClientError, got ${e}`);
    assert.equal(e.code, code, e.message);
    assert.ok(e.data.message.length > 10, 'the message says what is wrong');
    return e.data;
  }
  assert.fail(`expected error ${code}`);
}

describe('helper: bad input gets a structured error and the helper keeps serving', function () {
  let dir: string;
  let client: HelperClient;
  let mapsObj: string;

  before(async function () {
    requireKernel(this);
    this.timeout(60_000);
    buildHelperBpf();
    dir = tempDir();
    mapsObj = compileFixture(dir, 'maps');
    ({ client } = startHelper());
    await client.hello();
  });

  afterEach(async function () {
    if (!client) return;
    // The same helper process still answers after every bad request.
    const h = await client.hello();
    assert.ok(h.pid > 0);
    assert.ok(Array.isArray((await client.listMaps()).maps));
  });

  after(async () => {
    await client?.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a missing file', async () => {
    const d = await expectCode(client.loadObject({ path: path.join(dir, 'nope.bpf.o') }), 'FILE_NOT_FOUND');
    assert.ok(d.fix);
  });

  it('a directory and a relative path', async () => {
    await expectCode(client.loadObject({ path: dir }), 'NOT_A_FILE');
    await expectCode(client.loadObject({ path: 'maps.bpf.o' }), 'INVALID_PARAMS');
    await expectCode(client.loadObject({ path: `${dir}/../${path.basename(dir)}/maps.bpf.o` }), 'INVALID_PARAMS');
  });

  it('a file that is not ELF (the C source)', async () => {
    const d = await expectCode(client.loadObject({ path: path.resolve(__dirname, '../fixtures/helper/maps.bpf.c') }), 'NOT_ELF');
    assert.match(d.fix!, /clang/);
  });

  it('a truncated ELF', async () => {
    const truncated = path.join(dir, 'truncated.bpf.o');
    fs.writeFileSync(truncated, fs.readFileSync(mapsObj).subarray(0, 300));
    const d = await expectCode(client.loadObject({ path: truncated }), 'BAD_OBJECT');
    assert.ok((d.details as { libbpfLog: string }).libbpfLog.includes('libbpf:'), 'libbpf’s own message is included');
    const bytes = fs.readFileSync(mapsObj).subarray(0, 1000).toString('base64');
    await expectCode(client.loadObject({ bytes }), 'BAD_OBJECT');
  });

  it('an ELF for another machine', async () => {
    fs.writeFileSync(path.join(dir, 'host.c'), 'int answer(void) { return 42; }\n');
    const hostObj = path.join(dir, 'host.o');
    execFileSync('clang', ['-c', path.join(dir, 'host.c'), '-o', hostObj]);
    const d = await expectCode(client.loadObject({ path: hostObj }), 'BAD_OBJECT');
    assert.match(d.message, /another machine/);
  });

  it('both or neither of path and bytes, and bytes that are not base64', async () => {
    await expectCode(client.loadObject({}), 'INVALID_PARAMS');
    await expectCode(client.loadObject({ path: mapsObj, bytes: 'AAAA' }), 'INVALID_PARAMS');
    await expectCode(client.loadObject({ bytes: 'not base64!' }), 'INVALID_PARAMS');
  });

  it('unknown map, program and object ids', async () => {
    const unused = 0xfffffff0;
    await expectCode(client.countMap({ id: unused }), 'NO_SUCH_MAP');
    await expectCode(client.mapEntries({ id: unused }), 'NO_SUCH_MAP');
    await expectCode(client.ringbuf(unused), 'NO_SUCH_MAP');
    await expectCode(client.testRun({ id: unused }), 'NO_SUCH_PROGRAM');
    await expectCode(client.unloadObject(999_999), 'NO_SUCH_OBJECT');
  });

  it('a map deleted in the middle of a paged walk', async () => {
    const obj = await client.loadObject({ path: mapsObj });
    const fill = obj.programs.find((p) => p.name === 'fill')!.id;
    const hash = obj.maps.find((m) => m.name === 'hash')!.id;
    const args = Buffer.alloc(24);
    args.writeBigUInt64LE(500n, 8);
    await client.testRun({ id: fill, ctxIn: args.toString('base64') });
    const page = await client.mapEntries({ id: hash, limit: 100 });
    assert.equal(page.entries.length, 100);
    assert.ok(page.cursor);
    await client.unloadObject(obj.handle);
    assert.ok(await waitGone('map', hash));
    await expectCode(client.mapEntries({ id: hash, cursor: page.cursor, limit: 100 }), 'MAP_GONE');
    await expectCode(client.countMap({ id: hash }), 'NO_SUCH_MAP');
  });

  it('a cursor the helper never gave out', async () => {
    await expectCode(client.mapEntries({ id: 1, cursor: '../../etc/passwd' }), 'INVALID_PARAMS');
  });

  it('pin paths outside bpffs, escaping it, or through a symlink', async () => {
    await expectCode(client.pin({ kind: 'map', id: 1, path: '/tmp/pinned' }), 'PATH_OUTSIDE_BPFFS');
    await expectCode(client.pin({ kind: 'map', id: 1, path: '/sys/fs/bpf/../../../tmp/x' }), 'INVALID_PARAMS');
    await expectCode(client.unpin('/etc/passwd'), 'PATH_OUTSIDE_BPFFS');
    await expectCode(client.unpin('/sys/fs/bpf'), 'PATH_OUTSIDE_BPFFS');
    await expectCode(client.loadObject({ path: mapsObj, pinDir: '/tmp/pins' }), 'PATH_OUTSIDE_BPFFS');
    await expectCode(client.unpin('/sys/fs/bpf/maps.debug'), 'INVALID_PARAMS');
    await expectCode(client.countMap({ path: '/proc/self/mem' }), 'PATH_OUTSIDE_BPFFS');
  });

  it('parameters of the wrong type, range or name', async () => {
    await expectCode(client.countMap({ id: '7' as unknown as number }), 'INVALID_PARAMS');
    await expectCode(client.countMap({ id: -1 }), 'INVALID_PARAMS');
    await expectCode(client.countMap({ id: 1.5 }), 'INVALID_PARAMS');
    await expectCode(client.countMap({ id: 1, method: 'guess' as never }), 'INVALID_PARAMS');
    await expectCode(client.raw('map.count', { id: 1, idd: 2 }), 'INVALID_PARAMS');
    await expectCode(client.raw('map.count', [1]), 'INVALID_PARAMS');
    await expectCode(client.testRun({ id: 1, repeat: 0 }), 'INVALID_PARAMS');
    await expectCode(client.mapEntries({ id: 1, limit: 1_000_000 }), 'INVALID_PARAMS');
    await expectCode(client.loadObject({ path: mapsObj, logLevel: 99 }), 'INVALID_PARAMS');
    await expectCode(client.raw('hello', { protocolVersion: PROTOCOL_VERSION + 1 }), 'INVALID_PARAMS');
  });

  describe('on the wire', () => {
    let proc: HelperProcess;
    let replies: Array<{ id?: unknown; error?: { code: number; data?: ErrorData }; result?: unknown }>;
    const frame = (body: string | Buffer) => {
      const b = typeof body === 'string' ? Buffer.from(body) : body;
      return Buffer.concat([Buffer.from(`Content-Length: ${b.length}\r\n\r\n`), b]);
    };
    const nextReply = async () => {
      for (let i = 0; i < 500 && replies.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(replies.length > 0, 'the helper answered');
      return replies.shift()!;
    };
    const hello = (id: number) =>
      frame(JSON.stringify({ jsonrpc: '2.0', id, method: 'hello', params: { protocolVersion: PROTOCOL_VERSION } }));

    before(async function () {
      this.timeout(30_000);
      proc = await sourceTransport().start();
      replies = [];
      new StreamMessageReader(proc.stdout).listen((m) => replies.push(m as (typeof replies)[number]));
      proc.stdin.write(hello(1));
      assert.equal((await nextReply()).id, 1);
    });

    after(async () => {
      proc?.stdin.end();
      await proc?.exited;
    });

    it('malformed JSON: an error for that id, then normal service', async () => {
      proc.stdin.write(frame('{"jsonrpc":"2.0","id":7,"method":"map.list",'));
      const r = await nextReply();
      assert.equal(r.id, 7);
      assert.equal(r.error?.data?.code, 'INVALID_MESSAGE');
      assert.match(r.error!.data!.message, /not valid JSON/);
      proc.stdin.write(hello(8));
      assert.equal((await nextReply()).id, 8);
    });

    it('garbage without an id: an id-less parse error, then normal service', async () => {
      proc.stdin.write(frame('this is not json'));
      const r = await nextReply();
      assert.equal(r.id, null);
      assert.equal(r.error?.code, -32700);
      proc.stdin.write(hello(9));
      assert.equal((await nextReply()).id, 9);
    });

    it('an oversized message is skipped without being buffered, then normal service', async function () {
      this.timeout(30_000);
      const size = MAX_MESSAGE_BYTES + 1024;
      const head = Buffer.from('{"jsonrpc":"2.0","id":10,"method":"object.load","params":{"bytes":"');
      proc.stdin.write(Buffer.from(`Content-Length: ${size}\r\n\r\n`));
      proc.stdin.write(head);
      const chunk = Buffer.alloc(1 << 20, 0x41);
      let left = size - head.length;
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        if (!proc.stdin.write(chunk.subarray(0, n))) await new Promise((r) => proc.stdin.once('drain', r));
        left -= n;
      }
      const r = await nextReply();
      assert.equal(r.id, 10);
      assert.equal(r.error?.data?.code, 'INVALID_MESSAGE');
      assert.match(r.error!.data!.message, /larger than/);
      proc.stdin.write(hello(11));
      assert.equal((await nextReply()).id, 11);
    });

    it('a header without Content-Length, then normal service', async () => {
      proc.stdin.write('Content-Type: application/json\r\n\r\n');
      const r = await nextReply();
      assert.equal(r.error?.data?.code, 'INVALID_MESSAGE');
      proc.stdin.write(hello(12));
      assert.equal((await nextReply()).id, 12);
    });

    it('an unknown method', async () => {
      proc.stdin.write(frame(JSON.stringify({ jsonrpc: '2.0', id: 13, method: 'kernel.reboot' })));
      const r = await nextReply();
      assert.equal(r.id, 13);
      assert.equal(r.error?.code, -32601);
    });
  });
});
