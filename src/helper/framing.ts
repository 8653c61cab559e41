// A JSON-RPC message reader for stdin that survives bad input: a message larger than the limit
// is skipped without being buffered, and a body that is not JSON does not stop the reader.
// Both are turned into a synthetic `$/invalidMessage` message so the server can answer with a
// structured error (to the request's id when we can find it) and go on serving.
import { AbstractMessageReader, DataCallback, Disposable, Message } from 'vscode-jsonrpc';
import type { Readable } from 'node:stream';

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

export class LimitedMessageReader extends AbstractMessageReader {
  private buffer: Buffer = Buffer.alloc(0);
  private callback?: DataCallback;
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

  private invalid(reason: string, id?: number | string): void {
    const params: InvalidMessageParams = { reason };
    if (id !== undefined) params.id = id;
    // With an id it becomes a request, so the error response reaches the caller's pending request.
    const msg =
      id !== undefined ? { jsonrpc: '2.0', id, method: INVALID_MESSAGE, params } : { jsonrpc: '2.0', method: INVALID_MESSAGE, params };
    this.callback?.(msg as Message);
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      if (this.skipping) {
        const s = this.skipping;
        const take = Math.min(s.remaining, this.buffer.length);
        if (s.prefix.length < ID_PREFIX_BYTES)
          s.prefix = Buffer.concat([s.prefix, this.buffer.subarray(0, Math.min(take, ID_PREFIX_BYTES - s.prefix.length))]);
        s.remaining -= take;
        this.buffer = this.buffer.subarray(take);
        if (s.remaining > 0) return;
        this.skipping = undefined;
        this.invalid(
          `message of ${s.size} bytes is larger than the ${this.maxMessageBytes}-byte limit`,
          peekId(s.prefix.toString('latin1')),
        );
        continue;
      }
      const headerEnd = this.buffer.indexOf(HEADER_END);
      if (headerEnd < 0) {
        if (this.buffer.length > MAX_HEADER_BYTES) {
          this.buffer = Buffer.alloc(0);
          this.invalid(`no message header within ${MAX_HEADER_BYTES} bytes (expected "Content-Length: N\\r\\n\\r\\n")`);
        }
        return;
      }
      const header = this.buffer.toString('ascii', 0, headerEnd);
      const rest = this.buffer.subarray(headerEnd + HEADER_END.length);
      const lengthMatch = /^content-length:\s*(\d+)\s*$/im.exec(header);
      if (!lengthMatch) {
        this.buffer = rest;
        this.invalid('message header has no valid Content-Length');
        continue;
      }
      const length = Number(lengthMatch[1]);
      if (length > this.maxMessageBytes) {
        this.buffer = rest;
        this.skipping = { remaining: length, size: length, prefix: Buffer.alloc(0) };
        continue;
      }
      if (rest.length < length) return;
      const body = rest.subarray(0, length);
      this.buffer = rest.subarray(length);
      let message: unknown;
      try {
        message = JSON.parse(body.toString('utf8'));
      } catch (e) {
        this.invalid(`message is not valid JSON: ${(e as Error).message}`, peekId(body.subarray(0, ID_PREFIX_BYTES).toString('latin1')));
        continue;
      }
      if (
        typeof message !== 'object' ||
        message === null ||
        Array.isArray(message) ||
        (message as { jsonrpc?: unknown }).jsonrpc !== '2.0'
      ) {
        const id = typeof message === 'object' && message !== null ? (message as { id?: unknown }).id : undefined;
        this.invalid('message is not a JSON-RPC 2.0 object', typeof id === 'number' || typeof id === 'string' ? id : undefined);
        continue;
      }
      this.callback?.(message as Message);
    }
  }
}
