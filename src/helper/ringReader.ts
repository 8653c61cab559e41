// Consuming a BPF ring buffer (BPF_MAP_TYPE_RINGBUF) from the helper, over the same mappings
// libbpf's ring_buffer uses, walked in JavaScript.
//
// Why not ring_buffer__consume: it calls a sample callback per record, and a koffi callback costs
// about 500 ns — 60x what the C consumer spends per record (measured in `npm run bench -- events`).
// The protocol is small and the kernel's (Documentation/bpf/ringbuf.rst): page 0 holds the consumer
// position (ours to write), page 1 the producer position, then the data pages, mapped twice in a
// row so a record that wraps reads as one piece. Each record starts with an 8-byte header: length
// with a busy bit (being written: stop here) and a discard bit (skip it), records padded to 8
// bytes. Positions are read and written with Atomics (acquire/release as libbpf does), headers too
// except on x86-64, where plain loads are already ordered (Atomics on a non-shared buffer there
// doubled the cost per record); readiness comes from polling the map fd, readable while records wait.
import * as L from './libbpf';

const BUSY = 0x80000000;
const DISCARD = 0x40000000;
const HEADER = 8;

export class RingReader {
  private readonly consumer: L.Mapping;
  private readonly producer: L.Mapping;
  private readonly consumerPos: BigUint64Array;
  private readonly producerPos: BigUint64Array;
  private readonly headers: Int32Array;
  /** The data pages (twice), as bytes: record payloads are views into it, valid until consumed. */
  private readonly data: Buffer;
  private readonly mask: number;
  /** The CPU may reorder loads (not x86-64): read headers with Atomics. */
  private readonly ordered = process.arch !== 'x64';

  /** `size` is the ring's data size (the map's max_entries, a power of two of pages). */
  constructor(
    readonly fd: number,
    size: number,
  ) {
    const page = L.PAGE_SIZE;
    this.mask = size - 1;
    this.consumer = L.mmapShared(fd, page, 0, true);
    try {
      this.producer = L.mmapShared(fd, page + 2 * size, page, false);
    } catch (e) {
      this.consumer.unmap();
      throw e;
    }
    this.consumerPos = new BigUint64Array(this.consumer.bytes, 0, 1);
    this.producerPos = new BigUint64Array(this.producer.bytes, 0, 1);
    this.headers = new Int32Array(this.producer.bytes, page, (2 * size) / 4);
    this.data = Buffer.from(this.producer.bytes, page, 2 * size);
  }

  /**
   * Hands every committed record to `take` (a view of the ring: copy what you keep) and moves the
   * consumer position past it, until the ring is empty or `deadline` (performance.now()) passes.
   * Returns the number of records seen.
   */
  consume(take: (data: Buffer, offset: number, size: number) => void, deadline: number): number {
    // Locals, not fields, in the loop: this runs once per record.
    const headers = this.headers;
    const data = this.data;
    const mask = this.mask;
    const ordered = this.ordered;
    let cons = Number(Atomics.load(this.consumerPos, 0));
    let prod = Number(Atomics.load(this.producerPos, 0));
    let seen = 0;
    while (cons < prod) {
      const at = cons & mask;
      // x86-64 keeps loads in order, so a plain read is an acquire there; elsewhere Atomics.load is one.
      const len = (ordered ? Atomics.load(headers, at >> 2) : headers[at >> 2]) >>> 0;
      if (len & BUSY) break; // still being written: the next wake-up gets it
      const size = len & ~(BUSY | DISCARD);
      cons += (size + HEADER + 7) & ~7;
      if (!(len & DISCARD)) {
        take(data, at + HEADER, size);
        seen++;
      }
      // Give the space back every 256 records (a BigInt store per record would double the cost).
      if ((seen & 255) === 0) {
        Atomics.store(this.consumerPos, 0, BigInt(cons));
        if (performance.now() > deadline) break;
      }
      if (cons >= prod) prod = Number(Atomics.load(this.producerPos, 0));
    }
    Atomics.store(this.consumerPos, 0, BigInt(cons));
    return seen;
  }

  close(): void {
    this.consumer.unmap();
    this.producer.unmap();
  }
}
