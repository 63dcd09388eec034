import type { Server as HttpServer, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Rejection } from './respond';
import { foreignRejection, rawResponse } from './respond';

export interface ClientErrorOptions {
  /** Counts one refusal (a bounded reason label). */
  onRefused: (refusal: Rejection) => void;
  /** The response of a request under way in hapi on this socket (its answer is hapi's to give). */
  active: (socket: Socket) => ServerResponse | undefined;
}

/**
 * Node's HTTP parser refuses some requests before hapi sees them: a lowercase method, a NUL in
 * the path, headers over 16 KiB, `Content-Length` with `Transfer-Encoding`, bad chunked framing,
 * headers that arrive too slowly. Node then emits `clientError` on the listener, and hapi's own
 * listener answers a bare `400` without a body and without our metrics (issue 14).
 *
 * This replaces hapi's listener. With no request under way on the socket, it answers in Tencent's
 * format with the reason, counts it and closes. A bad pipelined request behind one under way is
 * answered the same way once that one is done. When the parser fails inside the body of the
 * request under way, hapi's own listener still runs, so that request is answered once, through
 * onPreResponse, where the returned lookup lets the one table (src/http/respond.ts) classify it.
 *
 * @returns the parser error code seen on a socket, for the table in src/http/respond.ts.
 */
export function installClientErrorHandler(
  listener: HttpServer,
  options: ClientErrorOptions,
): (socket: Socket) => string | undefined {
  const seen = new WeakMap<Socket, string>();
  const hapiListeners = listener.listeners('clientError') as ((
    error: Error,
    socket: Socket,
  ) => void)[];
  listener.removeAllListeners('clientError');
  listener.on('clientError', (error: Error & { code?: string }, socket: Socket) => {
    const code = error.code ?? 'UNKNOWN';
    // A reset or a socket already gone: nobody to answer, nothing was asked.
    if (code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    // A connection that has not sent a byte within `headersTimeout` (Node times a fresh
    // connection from its opening, an idle keep-alive one not at all): nothing was asked, so it is
    // closed without an answer and is not counted as a refused callback. Node would answer 408.
    // `bytesRead` counts plaintext bytes on a TLS socket too (checked on Node 24).
    if (code === 'ERR_HTTP_REQUEST_TIMEOUT' && socket.bytesRead === 0) {
      socket.destroy();
      return;
    }
    seen.set(socket, code);
    const refuse = (): void => {
      const refusal = foreignRejection({ status: undefined, message: '', parserError: code });
      options.onRefused(refusal);
      if (socket.writable) socket.end(rawResponse(refusal));
      else socket.destroy();
    };
    const response = options.active(socket);
    if (response === undefined) return refuse();
    if (code === 'HPE_INVALID_METHOD') {
      // The next pipelined request is at fault, not the one under way: answer it after.
      response.once('close', refuse);
      return;
    }
    for (const hapiListener of hapiListeners) hapiListener.call(listener, error, socket);
  });
  return (socket) => seen.get(socket);
}
