// JSON-RPC 2.0 on the wire, against a real helper: notifications that cannot be acted on are
// dropped (a bad $/cancelRequest used to kill the helper), requests with a method or id of the
// wrong type get -32600 Invalid Request (id null when the id is unusable), bad JSON -32700.
import * as assert from 'node:assert/strict';
import { requireKernel } from './requirements';
import { Wire } from './helper-wire';
import { PROTOCOL_VERSION } from '../../src/protocol';

describe('helper: JSON-RPC 2.0 rules on the wire', function () {
  this.timeout(30_000);
  let wire: Wire;
  let next = 1000;
  const hello = () => {
    const id = next++;
    wire.send({ jsonrpc: '2.0', id, method: 'hello', params: { protocolVersion: PROTOCOL_VERSION } });
    return id;
  };
  /** The helper is alive and answers in order after whatever was sent before. */
  const stillServing = async () => {
    const r = await wire.reply(hello());
    assert.equal((r.result as { protocolVersion: number }).protocolVersion, PROTOCOL_VERSION, JSON.stringify(r));
  };

  before(async function () {
    requireKernel(this);
    wire = await Wire.start();
    await stillServing();
  });

  after(async () => {
    await wire?.close();
  });

  it('$/cancelRequest with params missing, null, [], {}, 5, "x" or a bad id does not stop the helper', async () => {
    const bad: unknown[] = [undefined, null, [], {}, 5, 'x', { id: null }, { id: {} }, { id: [1] }, { id: true }];
    for (const params of bad) {
      const msg: Record<string, unknown> = { jsonrpc: '2.0', method: '$/cancelRequest' };
      if (params !== undefined) msg.params = params;
      wire.send(msg);
      await stillServing();
    }
    assert.equal(wire.anonymous.length, 0, 'notifications are never answered');
    assert.ok(wire.alive);
  });

  it('other notifications with params that are not structured are dropped too', async () => {
    for (const method of ['$/setTrace', '$/progress', '$/logTrace', 'events.batchAck', 'nonsense'])
      for (const params of [null, 5, 'x', true, [], {}]) wire.send({ jsonrpc: '2.0', method, params });
    await stillServing();
    assert.equal(wire.anonymous.length, 0);
  });

  it('a method that is not a string: -32600 to the id', async () => {
    for (const method of [5, null, {}, [], true]) {
      const id = next++;
      wire.send({ jsonrpc: '2.0', id, method });
      const r = await wire.reply(id);
      assert.equal(r.error?.code, -32600, JSON.stringify(r));
      assert.equal(r.error?.data?.code, 'INVALID_MESSAGE');
      assert.match(r.error!.message, /method must be a string/);
    }
    await stillServing();
  });

  it('an id that is an object, an array, a boolean or null: -32600 with id null', async () => {
    for (const id of [{}, { a: 1 }, [], [1], true, false, null]) {
      const before = wire.anonymous.length;
      wire.send({ jsonrpc: '2.0', id, method: 'hello', params: { protocolVersion: PROTOCOL_VERSION } });
      assert.ok(await wire.until(() => wire.anonymous.length > before, 5000), `an answer for id ${JSON.stringify(id)}`);
      const r = wire.anonymous[wire.anonymous.length - 1];
      assert.equal(r.id, null);
      assert.equal(r.error?.code, -32600);
      assert.match(r.error!.message, /id must be a number or a string/);
    }
    await stillServing();
  });

  it('params that are not an object or array, a missing jsonrpc, a batch: -32600', async () => {
    wire.send({ jsonrpc: '2.0', id: 'p', method: 'map.list', params: 5 });
    assert.equal((await wire.reply('p')).error?.code, -32600);
    wire.send({ id: 'j', method: 'map.list' });
    assert.equal((await wire.reply('j')).error?.code, -32600);
    wire.send({ jsonrpc: '2.0', id: 'n' });
    assert.equal((await wire.reply('n')).error?.code, -32600);
    const before = wire.anonymous.length;
    wire.send([{ jsonrpc: '2.0', id: 'b', method: 'map.list' }]);
    assert.ok(await wire.until(() => wire.anonymous.length > before, 5000));
    assert.match(wire.anonymous[wire.anonymous.length - 1].error!.message, /batches/);
    await stillServing();
  });

  it('malformed JSON: -32700 (to the id when it can be read), then normal service', async () => {
    wire.send('{"jsonrpc":"2.0","id":77,"method":"map.list",');
    const r = await wire.reply(77);
    assert.equal(r.error?.code, -32700);
    const before = wire.anonymous.length;
    wire.send('{{{');
    assert.ok(await wire.until(() => wire.anonymous.length > before, 5000));
    assert.equal(wire.anonymous[wire.anonymous.length - 1].error?.code, -32700);
    await stillServing();
  });

  it('a string id and a fractional id are requests like any other', async () => {
    wire.send({ jsonrpc: '2.0', id: 'abc', method: 'map.list' });
    assert.ok(Array.isArray(((await wire.reply('abc')).result as { maps: unknown[] }).maps));
    wire.send({ jsonrpc: '2.0', id: 1.5, method: 'map.list' });
    assert.ok((await wire.reply(1.5)).result);
  });
});
