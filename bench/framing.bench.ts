// What the helper's message reader (src/helper/framing.ts) costs on large messages: the time from
// the first 64 KiB chunk (a pipe's size) to the parsed message, against JSON.parse of the same
// body alone (already a string) and with its decoding (bytes -> string -> JSON). #11 asks for a
// 64 MiB message within 2x of JSON.parse; the reader used to append every chunk to one buffer,
// which made a 32 MiB message take 4-6 s.
import { PassThrough } from 'node:stream';
import { LimitedMessageReader } from '../src/helper/framing';
import { printTable } from './table';

const CHUNK = 64 * 1024;
const REPS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** An object.load request carrying `mib` MiB of base64, as the client sends an object by bytes. */
function message(mib: number): Buffer {
  const head = '{"jsonrpc":"2.0","id":1,"method":"object.load","params":{"bytes":"';
  const tail = '"}}';
  const b64 = Buffer.alloc(mib * 1024 * 1024 - head.length - tail.length, 'QUJD');
  return Buffer.concat([Buffer.from(head), b64, Buffer.from(tail)]);
}

function frameMs(body: Buffer): number {
  const input = new PassThrough();
  const reader = new LimitedMessageReader(input, body.length + 1);
  let done = 0;
  reader.listen(() => (done = performance.now()));
  const framed = Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body]);
  const chunks: Buffer[] = [];
  for (let off = 0; off < framed.length; off += CHUNK) chunks.push(framed.subarray(off, off + CHUNK));
  // The chunks are emitted directly, as a pipe's 'data' events would be (no stream buffering in between).
  const t = performance.now();
  for (const c of chunks) input.emit('data', c);
  if (!done) throw new Error('the reader did not deliver the message');
  return done - t;
}

export default async function run(): Promise<void> {
  const rows: string[][] = [];
  for (const mib of [4, 16, 32, 64]) {
    const body = message(mib);
    const text = body.toString('utf8');
    const framing: number[] = [];
    const parse: number[] = [];
    const decodeParse: number[] = [];
    for (let i = 0; i < REPS; i++) {
      framing.push(frameMs(body));
      let t = performance.now();
      JSON.parse(text);
      parse.push(performance.now() - t);
      t = performance.now();
      JSON.parse(body.toString('utf8'));
      decodeParse.push(performance.now() - t);
    }
    const [f, p, dp] = [median(framing), median(parse), median(decodeParse)];
    rows.push([
      `${mib} MiB`,
      `${f.toFixed(1)} ms`,
      `${p.toFixed(1)} ms`,
      `${dp.toFixed(1)} ms`,
      `${(f / p).toFixed(2)}x`,
      `${(f / dp).toFixed(2)}x`,
    ]);
  }
  printTable(
    ['message', 'reader (64 KiB chunks)', 'JSON.parse(string)', 'JSON.parse(bytes.toString())', 'reader / parse', 'reader / decode+parse'],
    rows,
  );
  console.log(`\nmedian of ${REPS} runs each; #11 asks for the 64 MiB reader within 2x of JSON.parse.`);
}
