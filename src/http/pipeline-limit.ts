import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { CallbackRejectedError } from '../errors';
import type { Rejection } from './respond';
import { closingResponse, toRejection } from './respond';

export interface PipelineLimitOptions {
  /**
   * Requests a connection may have waiting behind the one under way (config
   * `connections.maxPipelinedRequests`); 0: no pipelining.
   */
  maxPipelined: number;
  /** Counts one refusal (a bounded reason label). */
  onRefused: (refusal: Rejection) => void;
}

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Stops reading a connection whose requests will not be answered. `pause()` alone does not hold:
 * each request parsed behind the refusal asks for its body, and Node's IncomingMessage resumes a
 * socket unless its http server marked it `_paused`, the flag it sets itself to stop reading a
 * flood of pipelined requests whose answers are not read (parserOnIncoming in
 * https://github.com/nodejs/node/blob/v24.x/lib/_http_server.js). Node clears it when earlier
 * answers drain; the next request parsed sets it again. test/integration/edge-limits.test.ts
 * counts the requests parsed behind a refusal, so a Node that drops the flag fails there.
 */
function stopReading(socket: Socket): void {
  (socket as Socket & { _paused?: boolean })._paused = true;
  socket.pause();
}

/**
 * Node hands each request to the listener as soon as it is parsed, without waiting for the
 * answers to the ones pipelined before it: behind a slow broker, one connection that writes 500
 * requests in one go has up to 500 under way together, each holding its body, a Kafka publish and
 * a place in the spool. Node's own `maxRequestsPerSocket` counts requests over a connection's
 * life instead, and answers the ones past it with a bare 503, outside Tencent's format and
 * uncounted (issue 14).
 *
 * This wraps hapi's `request` and `checkContinue` listeners. A request arriving while its
 * connection already has `1 + maxPipelined` unanswered is refused with 429 `pipeline_too_deep`
 * in Tencent's format, written by Node after the answers to the earlier ones (nothing accepted is
 * lost), with `Connection: close`, so Node closes the connection once it is sent. The connection
 * is no longer read; requests already parsed behind the refused one are dropped unanswered, as
 * HTTP/1.1 lets a server do after `Connection: close` (RFC 9112 §9.6): a client retries them on a
 * new connection.
 */
export function installPipelineLimit(listener: HttpServer, options: PipelineLimitOptions): void {
  const unanswered = new WeakMap<Socket, number>();
  const refused = new WeakSet<Socket>();
  const refusal = (): Rejection =>
    toRejection(
      new CallbackRejectedError(
        'PIPELINE_TOO_DEEP',
        'too many requests pipelined on one connection',
      ),
    );

  const limit =
    (hapiListeners: readonly RequestListener[]): RequestListener =>
    (req, res) => {
      const { socket } = req;
      if (refused.has(socket)) {
        // Parsed from bytes read before the refusal: answered by nobody, the connection closes.
        stopReading(socket);
        return;
      }
      const count = unanswered.get(socket) ?? 0;
      if (count > options.maxPipelined) {
        refused.add(socket);
        stopReading(socket);
        const rejection = refusal();
        // Counted once sent: an earlier answer may close the connection first (hapi closes it
        // after refusing a request whose body it did not read).
        res.once('finish', () => options.onRefused(rejection));
        const { status, headers, body } = closingResponse(rejection);
        res.writeHead(status, headers).end(body);
        return;
      }
      unanswered.set(socket, count + 1);
      res.once('close', () => unanswered.set(socket, (unanswered.get(socket) ?? 1) - 1));
      for (const hapiListener of hapiListeners) hapiListener.call(listener, req, res);
    };

  for (const event of ['request', 'checkContinue'] as const) {
    const hapiListeners = listener.listeners(event) as RequestListener[];
    listener.removeAllListeners(event);
    listener.on(event, limit(hapiListeners));
  }
}
