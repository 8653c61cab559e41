// A JSON-RPC message reader for stdin that survives bad input: a message larger than the limit
// is skipped without being buffered, and a body that is not JSON does not stop the reader.
// Both are turned into a synthetic `$/invalidMessage` message so the server can answer with a
// structured error (to the request's id when we can find it) and go on serving.
import { AbstractMessageReader, DataCallback, Disposable, Message } from 'vscode-jsonrpc';
import type { Readable } from 'node:stream';
import { RpcErrorCodes } from '../protocol/errors';

export const INVALID_MESSAGE = '$/invalidMessage';

export interface InvalidMessageParams {
  reason: string;
  /** The id of the request the bad message claimed to be, when it could be read. */
  id?: number | string;
  /** The JSON-RPC error code of the answer (default: parse error). */
  rpcCode?: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const MAX_HEADER_BYTES = 8 * 1024;
const ID_PREFIX_BYTES = 256;

/** Reads `"id": 12` or `"id": "x"` near the start of a body that could not be used whole. */
function peekId(prefix: string): number | string | undefined {
  const m = /"id"\s*:\s*(\d+|"(?:[^"\\]|\\.){0,64}")/.exec(prefix);
  if (!m) return undefined;
  return m[1].startsWith('"') ? (JSON.parse(m[1]) as string) : Number(m[1]);
}

/** What the reader does with one parsed message before vscode-jsonrpc sees it. */
export type Verdict =
  | { kind: 'pass' }
  /** A notification that cannot be acted on: it has no answer, so it is only logged. */
  | { kind: 'drop'; reason: string }
  /** Answered with -32600 Invalid Request, to `id` when the message had a usable one, else id null. */
  | { kind: 'invalid'; reason: string; id?: number | string };

const usableId = (id: unknown): id is number | string => typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
const structured = (params: unknown) => params === undefined || (typeof params === 'object' && params !== null);

/**
 * JSON-RPC 2.0's rules for one message, checked here because vscode-jsonrpc trusts its input: it
 * reads `params.id` of every `$/cancelRequest` unguarded (params null or 5 threw out of the stream
 * callback and killed the helper) and silently drops a request whose method or id has the wrong type.
 */
export function classify(message: unknown): Verdict {
  if (Array.isArray(message)) return { kind: 'invalid', reason: 'batches (JSON arrays) are not supported: send one message per frame' };
  if (typeof message !== 'object' || message === null) return { kind: 'invalid', reason: 'message is not a JSON-RPC 2.0 object' };
  const m = message as { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown; result?: unknown; error?: unknown };
  const id = usableId(m.id) ? m.id : undefined;
  if (m.jsonrpc !== '2.0') return { kind: 'invalid', reason: 'message is not a JSON-RPC 2.0 object (jsonrpc must be "2.0")', id };
  if (m.method === undefined) {
    if ((m.result !== undefined || m.error !== undefined) && (id !== undefined || m.id === null)) return { kind: 'pass' }; // a response
    return { kind: 'invalid', reason: 'message has no method (and is not a response)', id };
  }
  if (typeof m.method !== 'string') return { kind: 'invalid', reason: `method must be a string, got ${describe(m.method)}`, id };
  if (m.id !== undefined) {
    if (id === undefined) return { kind: 'invalid', reason: `id must be a number or a string, got ${describe(m.id)}` };
    if (!structured(m.params)) return { kind: 'invalid', reason: `params must be an object or an array, got ${describe(m.params)}`, id };
    return { kind: 'pass' };
  }
  // A notification: nothing can be answered, so what cannot be acted on is dropped.
  if (!structured(m.params))
    return { kind: 'drop', reason: `${m.method}: params must be an object or an array, got ${describe(m.params)}` };
  if (m.method === '$/cancelRequest' && !usableId((m.params as { id?: unknown } | undefined)?.id))
    return { kind: 'drop', reason: '$/cancelRequest without a number or string params.id' };
  return { kind: 'pass' };
}

function describe(x: unknown): string {
  return x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x;
}

/**
 * Received bytes kept as the chunks they came in, so a message is copied once, when it is complete
 * (appending each chunk to one buffer made a 64 MiB message cost O(n²) copying).
 */
export class ChunkQueue {
  private list: (Buffer | undefined)[] = [];
  private head = 0;
  length = 0;

  push(b: Buffer): void {
    if (b.length === 0) return;
    this.list.push(b);
    this.length += b.length;
  }

  /** The first `n` bytes (fewer if fewer are queued) as one buffer; joins only the chunks that hold them. */
  peek(n: number): Buffer {
    n = Math.min(n, this.length);
    const first = this.list[this.head];
    if (!first) return Buffer.alloc(0);
    if (first.length >= n) return first.subarray(0, n);
    const parts: Buffer[] = [];
    let got = 0;
    let i = this.head;
    while (got < n) {
      const c = this.list[i]!;
      parts.push(c);
      got += c.length;
      this.list[i++] = undefined;
    }
    const joined = Buffer.concat(parts, got);
    this.head = i - 1;
    this.list[this.head] = joined;
    return joined.subarray(0, n);
  }

  /** Removes and returns exactly `n` bytes (n <= length) as one buffer. */
  take(n: number): Buffer {
    const first = this.list[this.head];
    if (first && first.length >= n) {
      this.drop(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const c = this.list[this.head]!;
      const k = Math.min(c.length, n - off);
      c.copy(out, off, 0, k);
      off += k;
      this.drop(k);
    }
    return out;
  }

  /** Removes `n` bytes (at most what is queued). */
  drop(n: number): void {
    n = Math.min(n, this.length);
    this.length -= n;
    while (n > 0) {
      const c = this.list[this.head]!;
      if (c.length > n) {
        this.list[this.head] = c.subarray(n);
        return;
      }
      n -= c.length;
      this.list[this.head++] = undefined;
    }
    if (this.head > 1024 && this.head * 2 > this.list.length) {
      this.list = this.list.slice(this.head);
      this.head = 0;
    }
  }

  clear(): void {
    this.list = [];
    this.head = 0;
    this.length = 0;
  }
}

export class LimitedMessageReader extends AbstractMessageReader {
  private readonly queue = new ChunkQueue();
  private callback?: DataCallback;
  /** The body length of a message whose header was read, until its body is complete. */
  private expecting?: number;
  /** While skipping an oversized body: bytes still to drop, and its first bytes for the id. */
  private skipping?: { remaining: number; size: number; prefix: Buffer };

  constructor(
    private readonly input: Readable,
    private readonly maxMessageBytes: number,
  ) {
    super();
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    const onData = (chunk: Buffer) => this.onData(chunk);
    const onEnd = () => this.fireClose();
    const onError = (e: Error) => this.fireError(e);
    this.input.on('data', onData);
    this.input.on('end', onEnd);
    this.input.on('close', onEnd);
    this.input.on('error', onError);
    return Disposable.create(() => {
      this.input.off('data', onData);
      this.input.off('end', onEnd);
      this.input.off('close', onEnd);
      this.input.off('error', onError);
    });
  }

  private invalid(reason: string, id?: number | string, rpcCode: number = RpcErrorCodes.InvalidRequest): void {
    const params: InvalidMessageParams = { reason, rpcCode };
    if (id !== undefined) params.id = id;
    // With an id it becomes a request, so the error response reaches the caller's pending request.
    const msg =
      id !== undefined ? { jsonrpc: '2.0', id, method: INVALID_MESSAGE, params } : { jsonrpc: '2.0', method: INVALID_MESSAGE, params };
    this.deliver(msg as Message);
  }

  private onData(chunk: Buffer): void {
    const q = this.queue;
    q.push(chunk);
    for (;;) {
      if (this.skipping) {
        const s = this.skipping;
        const take = Math.min(s.remaining, q.length);
        if (s.prefix.length < ID_PREFIX_BYTES)
          s.prefix = Buffer.concat([s.prefix, q.peek(Math.min(take, ID_PREFIX_BYTES - s.prefix.length))]);
        s.remaining -= take;
        q.drop(take);
        if (s.remaining > 0) return;
        this.skipping = undefined;
        this.invalid(
          `message of ${s.size} bytes is larger than the ${this.maxMessageBytes}-byte limit`,
          peekId(s.prefix.toString('latin1')),
        );
        continue;
      }
      if (this.expecting === undefined) {
        const head = q.peek(MAX_HEADER_BYTES + HEADER_END.length);
        const headerEnd = head.indexOf(HEADER_END);
        if (headerEnd < 0) {
          if (q.length > MAX_HEADER_BYTES) {
            q.clear();
            this.invalid(
              `no message header within ${MAX_HEADER_BYTES} bytes (expected "Content-Length: N\\r\\n\\r\\n")`,
              undefined,
              RpcErrorCodes.ParseError,
            );
          }
          return;
        }
        const header = head.toString('ascii', 0, headerEnd);
        q.drop(headerEnd + HEADER_END.length);
        const lengthMatch = /^content-length:\s*(\d+)\s*$/im.exec(header);
        if (!lengthMatch) {
          this.invalid('message header has no valid Content-Length', undefined, RpcErrorCodes.ParseError);
          continue;
        }
        const length = Number(lengthMatch[1]);
        if (length > this.maxMessageBytes) {
          this.skipping = { remaining: length, size: length, prefix: Buffer.alloc(0) };
          continue;
        }
        this.expecting = length;
      }
      const length = this.expecting;
      if (q.length < length) return;
      this.expecting = undefined;
      const body = q.take(length);
      let message: unknown;
      try {
        message = JSON.parse(body.toString('utf8'));
      } catch (e) {
        this.invalid(
          `message is not valid JSON: ${(e as Error).message}`,
          peekId(body.subarray(0, ID_PREFIX_BYTES).toString('latin1')),
          RpcErrorCodes.ParseError,
        );
        continue;
      }
      const verdict = classify(message);
      if (verdict.kind === 'invalid') {
        this.invalid(verdict.reason, verdict.id, RpcErrorCodes.InvalidRequest);
        continue;
      }
      if (verdict.kind === 'drop') {
        process.stderr.write(`helper: ignored a notification: ${verdict.reason}\n`);
        continue;
      }
      this.deliver(message as Message);
    }
  }

  /** Hands one message to the connection; what still throws below it is reported, never fatal. */
  private deliver(message: Message): void {
    try {
      this.callback?.(message);
    } catch (e) {
      process.stderr.write(`helper: a message could not be handled: ${(e as Error)?.message ?? e}\n`);
    }
  }
}
