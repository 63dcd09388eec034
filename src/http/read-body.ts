import type { Readable } from 'node:stream';
import { CallbackRejectedError } from '../errors';

const EMPTY = Buffer.alloc(0);

/**
 * Reads a request body into one Buffer. The route hands us the raw stream (`output: 'stream'`)
 * because hapi's own reader (subtext → wreck) merged option objects and piped through a recorder
 * stream for every request: ~5 % of the event loop at saturation (BENCHMARKS.md). hapi still
 * refuses a `Content-Length` over the limit before the handler runs; this enforces the limit on
 * what actually arrives and the time it may take.
 *
 * A webhook body is small and usually arrives with its headers, so when Node has parsed the
 * whole message already (`complete`) the buffered bytes are taken at once, without listeners or
 * a timer.
 *
 * @throws CallbackRejectedError `BODY_TOO_LARGE` when more than `maxBytes` arrive,
 * `REQUEST_TIMEOUT` when the body is not complete within `timeoutMs`, `BODY_INCOMPLETE` when the
 * client goes away first or the stream fails.
 */
export function readBody(
  stream: Readable & { complete?: boolean },
  maxBytes: number,
  timeoutMs: number,
): Buffer | Promise<Buffer> {
  if (stream.complete === true && stream.readableLength <= maxBytes && !stream.readableFlowing) {
    // Request streams carry Buffers (no encoding is ever set on them); null when the body is empty.
    return (stream.read() as Buffer | null) ?? EMPTY;
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let settled = false;
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('close', onCut);
      // The 'error' listener stays: an error after we are done (the client resetting after a
      // 413) must not become an unhandled 'error' event.
      if (error) {
        stream.pause();
        reject(error);
      } else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length));
    };
    const onData = (chunk: Buffer): void => {
      length += chunk.length;
      if (length > maxBytes)
        return finish(new CallbackRejectedError('BODY_TOO_LARGE', 'body is larger than the limit'));
      chunks.push(chunk);
    };
    const onEnd = (): void => finish();
    // An error, or 'close' before 'end': the client went away with the body half sent.
    const onCut = (): void =>
      finish(new CallbackRejectedError('BODY_INCOMPLETE', 'the body was cut short'));
    const timer = setTimeout(
      () => finish(new CallbackRejectedError('REQUEST_TIMEOUT', 'request body arrived too slowly')),
      timeoutMs,
    );
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onCut);
    stream.on('close', onCut);
  });
}
