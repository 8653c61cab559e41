// The JSON-RPC server both helper processes run on their stdin/stdout: the root helper (main.ts)
// and each object host (objectHostMain.ts). Every handler validates, runs, and turns a failure into
// a structured error; bad framing or JSON is answered too, and the process goes on serving.
import { CancellationToken, createMessageConnection, MessageConnection, ResponseError, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { MAX_MESSAGE_BYTES, RpcErrorCodes } from '../protocol';
import type { ErrorData } from '../protocol/errors';
import { HelperError } from './errors';
import { INVALID_MESSAGE, InvalidMessageParams, LimitedMessageReader } from './framing';

/** A failure as the JSON-RPC error the client receives (a relayed ResponseError passes unchanged). */
export function toResponseError(e: unknown): ResponseError<ErrorData> {
  if (e instanceof ResponseError) return e;
  const he =
    e instanceof HelperError
      ? e
      : new HelperError('KERNEL', `internal helper error: ${(e as Error)?.message ?? String(e)}`, {
          fix: 'please report this with the request that caused it',
        });
  const rpcCode =
    he.code === 'INVALID_PARAMS' || he.code === 'PATH_OUTSIDE_BPFFS'
      ? RpcErrorCodes.InvalidParams
      : he.code === 'INVALID_MESSAGE'
        ? RpcErrorCodes.InvalidRequest
        : he.code === 'CANCELLED'
          ? RpcErrorCodes.RequestCancelled
          : RpcErrorCodes.HelperFailure;
  return new ResponseError(rpcCode, he.message, he.toData());
}

export type Handler = (params: unknown, token: CancellationToken) => unknown;

export interface Server {
  conn: MessageConnection;
  /** Registers one method: `fn` gets the raw params (validate them) and the cancellation token. */
  handle(method: string, fn: Handler): void;
  /** Starts serving; `onClose` runs once when stdin ends or a signal asks us to stop. */
  listen(onClose: () => void): void;
}

export function serve(): Server {
  const writer = new StreamMessageWriter(process.stdout);
  const reader = new LimitedMessageReader(process.stdin, MAX_MESSAGE_BYTES);
  const conn = createMessageConnection(reader, writer);

  // Bad framing or JSON: answer the request it claimed to be, else send an id-less error.
  conn.onRequest(INVALID_MESSAGE, (params: InvalidMessageParams) => {
    const he = new HelperError('INVALID_MESSAGE', String(params?.reason), {
      fix: 'send JSON-RPC 2.0 messages framed with Content-Length, below the size limit',
    });
    throw new ResponseError(params?.rpcCode ?? RpcErrorCodes.InvalidRequest, he.message, he.toData());
  });
  conn.onNotification(INVALID_MESSAGE, (params: InvalidMessageParams) => {
    const reason = String(params?.reason);
    const code = params?.rpcCode ?? RpcErrorCodes.ParseError;
    const data = new HelperError('INVALID_MESSAGE', reason, {
      fix: 'send JSON-RPC 2.0 messages framed with Content-Length, below the size limit',
    }).toData();
    void writer.write({ jsonrpc: '2.0', id: null, error: { code, message: reason, data } } as never);
  });
  // Whatever still goes wrong below the handlers is reported, never fatal.
  conn.onError(([e]) => process.stderr.write(`helper: JSON-RPC error: ${e?.message ?? e}\n`));

  return {
    conn,
    handle(method, fn) {
      conn.onRequest(method, async (...args: unknown[]) => {
        // A request without params reaches the handler with only the cancellation token.
        const token = args[args.length - 1] as CancellationToken;
        const params = args.length === 1 && CancellationToken.is(args[0]) ? undefined : args[0];
        try {
          return await fn(params, token);
        } catch (e) {
          throw toResponseError(e);
        }
      });
    },
    listen(onClose) {
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        onClose();
      };
      conn.onClose(close);
      process.stdin.on('end', close);
      process.on('SIGTERM', close);
      process.on('SIGINT', close);
      conn.listen();
    },
  };
}
