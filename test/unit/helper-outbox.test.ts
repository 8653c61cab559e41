// Flow control of subscriptions (src/helper/subscriptions.ts): at most one batch unacknowledged,
// a full batch goes at once, the rest is counted as dropped and never queued.
import * as assert from 'node:assert/strict';
import { Outbox } from '../../src/helper/subscriptions';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('helper outbox', () => {
  it('sends a partial batch after the delay and a full one at once', async () => {
    const sent: number[][] = [];
    const box = new Outbox<number>((items) => sent.push(items), 3, 10);
    box.push(1);
    assert.equal(sent.length, 0, 'waits for more items');
    await tick(25);
    assert.deepEqual(sent, [[1]]);
    box.ack();
    box.push(2);
    box.push(3);
    box.push(4);
    assert.deepEqual(sent, [[1], [2, 3, 4]], 'a full batch goes without waiting');
    box.close();
  });

  it('holds the next batch until the ack, drops beyond one batch and counts the drops', async () => {
    const sent: number[][] = [];
    const box = new Outbox<number>((items) => sent.push(items), 2, 5);
    for (let i = 0; i < 10; i++) box.push(i);
    // First batch [0, 1] went at once; [2, 3] waits for the ack; 4..9 were dropped.
    assert.deepEqual(sent, [[0, 1]]);
    assert.equal(box.hasRoom, false);
    assert.equal(box.dropped, 6);
    await tick(20);
    assert.equal(sent.length, 1, 'nothing more without an ack');
    box.ack();
    assert.deepEqual(sent[1], [2, 3]);
    box.ack();
    box.touch(); // counts changed without items: an empty batch carries them
    await tick(20);
    assert.deepEqual(sent[2], []);
    box.close();
    box.push(99);
    box.ack();
    await tick(20);
    assert.equal(sent.length, 3, 'a closed outbox sends nothing');
  });
});
