import { connect } from 'node:net';

export interface RawAnswer {
  status: number | undefined;
  headers: Record<string, string>;
  body: string;
  /** Everything the server wrote, as latin1 text. */
  text: string;
  /** The server closed the connection (false: we gave up waiting after `waitMs`). */
  closed: boolean;
}

/** Splits the first HTTP/1.1 response out of raw bytes. */
export function parseRawAnswer(text: string, closed: boolean): RawAnswer {
  const end = text.indexOf('\r\n\r\n');
  const head = end === -1 ? text : text.slice(0, end);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] ?? NaN);
  const rest = end === -1 ? '' : text.slice(end + 4);
  const body = Number.isNaN(length) ? rest : rest.slice(0, length);
  return { status: status === undefined ? undefined : Number(status), headers, body, text, closed };
}

/**
 * Writes raw bytes to the port and collects what comes back until the server closes the
 * connection, or `waitMs` passes, or `until` says the answer is complete.
 */
export function rawRequest(
  port: number,
  bytes: string | Buffer,
  options: { waitMs?: number; until?: (text: string) => boolean; hangUp?: boolean } = {},
): Promise<RawAnswer> {
  const { waitMs = 3000, until, hangUp = false } = options;
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parseRawAnswer(text, closed));
    };
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (until?.(text)) finish(false);
    });
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    // hangUp: send, then end our side at once, as a client that goes away mid-request does.
    if (hangUp) socket.end(bytes);
    else socket.write(bytes);
    const timer = setTimeout(() => finish(false), waitMs);
  });
}

/** An answer is complete once its headers and `content-length` bytes of body are in. */
export function answerComplete(text: string): boolean {
  const answer = parseRawAnswer(text, false);
  const length = Number(answer.headers['content-length'] ?? NaN);
  return !Number.isNaN(length) && Buffer.byteLength(answer.body, 'latin1') >= length;
}

/** Every complete answer in raw bytes, in order (pipelined requests are answered in order). */
export function parseRawAnswers(text: string): RawAnswer[] {
  const answers: RawAnswer[] = [];
  let rest = text;
  while (answerComplete(rest)) {
    const answer = parseRawAnswer(rest, false);
    answers.push(answer);
    const headEnd = rest.indexOf('\r\n\r\n') + 4;
    rest = rest.slice(headEnd + Number(answer.headers['content-length']));
  }
  return answers;
}
