// Shared by the helper's wire-level tests (helper-protocol, helper-fuzz): a real helper process
// (src/helper/main.ts under tsx) spoken to in raw frames, with every answer kept by its id.
import { createMessageConnection, MessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import type { HelperProcess } from '../../src/core/connection/client';
import type { ErrorData } from '../../src/protocol';
import { sourceTransport } from './helper-support';

export interface Reply {
  id?: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: ErrorData };
}

export function frame(body: string | Buffer): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body) : body;
  return Buffer.concat([Buffer.from(`Content-Length: ${b.length}\r\n\r\n`), b]);
}

const key = (id: unknown) => JSON.stringify(id);

export class Wire {
  /** Answers by id (JSON of the id, so 1 and "1" differ); id-null answers in `anonymous`. */
  readonly byId = new Map<string, Reply>();
  readonly anonymous: Reply[] = [];
  exit?: { code: number | null; signal: string | null };
  stderr = '';
  private waiters = new Set<() => void>();
  /** A vscode-jsonrpc connection on the same pipes, for requests that need cancellation tokens. */
  readonly conn: MessageConnection;

  private constructor(readonly proc: HelperProcess) {
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (t: string) => (this.stderr = (this.stderr + t).slice(-64 * 1024)));
    void proc.exited.then((e) => {
      this.exit = e;
      this.wake();
    });
    // One reader sees every answer; the connection below gets its own and ignores ids it did not send.
    const reader = new StreamMessageReader(proc.stdout);
    reader.partialMessageTimeout = 0;
    reader.listen((m) => {
      const r = m as Reply;
      if (r.id === null || r.id === undefined) {
        if (r.error || r.result !== undefined) this.anonymous.push(r);
      } else this.byId.set(key(r.id), r);
      this.wake();
    });
    const connReader = new StreamMessageReader(proc.stdout);
    connReader.partialMessageTimeout = 0;
    this.conn = createMessageConnection(connReader, new StreamMessageWriter(proc.stdin));
    this.conn.onError(() => undefined);
    this.conn.listen();
  }

  static async start(): Promise<Wire> {
    return new Wire(await sourceTransport().start());
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Writes bytes as they are (a frame, or garbage). */
  write(bytes: string | Buffer): void {
    this.proc.stdin.write(bytes);
  }

  /** Writes one framed message: an object is sent as its JSON, a string or Buffer as it is. */
  send(body: unknown): void {
    this.write(frame(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body)));
  }

  /** Resolves when `done()` holds, the helper exits, or the time is up (then returns false). */
  async until(done: () => boolean, timeoutMs: number): Promise<boolean> {
    if (done()) return true;
    return new Promise<boolean>((resolve) => {
      const check = () => {
        if (done() || !this.alive) finish(done());
      };
      const timer = setTimeout(() => finish(done()), timeoutMs);
      const finish = (v: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(v);
      };
      this.waiters.add(check);
    });
  }

  async reply(id: unknown, timeoutMs = 10_000): Promise<Reply> {
    await this.until(() => this.byId.has(key(id)), timeoutMs);
    const r = this.byId.get(key(id));
    if (!r)
      throw new Error(
        `no answer to id ${key(id)} within ${timeoutMs} ms${this.alive ? '' : ` (helper exited: ${JSON.stringify(this.exit)})`}`,
      );
    return r;
  }

  has(id: unknown): boolean {
    return this.byId.has(key(id));
  }

  async close(): Promise<void> {
    this.conn.dispose();
    if (this.alive) this.proc.stdin.end();
    await this.proc.exited;
  }
}
