import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { PassThrough } from 'node:stream';
import type { CallbackRejectedError } from '../../src/errors';
import { readBody } from '../../src/http/read-body';

const LIMIT = 1000;
const TIMEOUT_MS = 300;

/** What the server saw: the body it read, or the code of the error readBody threw. */
type Outcome = { body: string; fastPath: boolean } | { code: string };

let server: Server;
let port: number;
let outcomes: Outcome[];

beforeAll(async () => {
  // Reads after a turn of the event loop, as the hapi handler does (auth and lifecycle steps run
  // first): Node parses a body that came with its headers right after emitting 'request'.
  server = createServer((req: IncomingMessage, res) => setImmediate(() => handle(req, res)));
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const read = readBody(req, LIMIT, TIMEOUT_MS);
    const fastPath = Buffer.isBuffer(read);
    Promise.resolve(read).then(
      (body) => {
        outcomes.push({ body: body.toString(), fastPath });
        res.end('ok');
      },
      (error: CallbackRejectedError) => {
        outcomes.push({ code: error.code });
        res.statusCode = error.status;
        res.end();
      },
    );
  };
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});

beforeEach(() => {
  outcomes = [];
});

afterAll(async () => {
  server.close();
  await once(server, 'close');
});

/** Sends raw HTTP/1.1 bytes in parts, `gapMs` apart, then waits for the server's outcome. */
async function send(parts: string[], gapMs = 20, destroyAfter = false): Promise<Outcome> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  for (const [index, part] of parts.entries()) {
    if (index > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
    socket.write(part);
  }
  if (destroyAfter) {
    await new Promise((resolve) => setTimeout(resolve, gapMs));
    socket.destroy();
  }
  const deadline = Date.now() + 3000;
  while (outcomes.length === 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  socket.destroy();
  expect(outcomes).toHaveLength(1);
  return outcomes[0]!;
}

const head = (headers: string) => `POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}\r\n`;
const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;

describe('readBody over a real socket', () => {
  it('takes a body that arrived with its headers at once', async () => {
    const body = '{"a":"ü"}';
    const outcome = await send([
      `${head(`Content-Length: ${Buffer.byteLength(body)}\r\n`)}${body}`,
    ]);
    expect(outcome).toEqual({ body, fastPath: true });
  });

  it('takes an empty body', async () => {
    expect(await send([head('Content-Length: 0\r\n')])).toEqual({ body: '', fastPath: true });
  });

  it('waits for a body sent in chunks', async () => {
    const outcome = await send([
      head('Transfer-Encoding: chunked\r\n'),
      chunk('{"part":'),
      chunk('1}'),
      '0\r\n\r\n',
    ]);
    expect(outcome).toEqual({ body: '{"part":1}', fastPath: false });
  });

  it('refuses a chunked body that grows over the limit with BODY_TOO_LARGE', async () => {
    const outcome = await send([
      head('Transfer-Encoding: chunked\r\n'),
      chunk('x'.repeat(600)),
      chunk('x'.repeat(600)),
      '0\r\n\r\n',
    ]);
    expect(outcome).toEqual({ code: 'BODY_TOO_LARGE' });
  });

  it('refuses a complete body over the limit with BODY_TOO_LARGE', async () => {
    const body = 'x'.repeat(LIMIT + 1);
    expect(await send([`${head(`Content-Length: ${body.length}\r\n`)}${body}`])).toEqual({
      code: 'BODY_TOO_LARGE',
    });
  });

  it('refuses a body that stops arriving with REQUEST_TIMEOUT after the timeout', async () => {
    const started = Date.now();
    const outcome = await send([head('Content-Length: 100\r\n'), 'x'.repeat(10)]);
    expect(outcome).toEqual({ code: 'REQUEST_TIMEOUT' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
  });

  it('refuses a body cut short by the client going away with BODY_INCOMPLETE', async () => {
    const outcome = await send([head('Content-Length: 100\r\n'), 'x'.repeat(10)], 20, true);
    expect(outcome).toEqual({ code: 'BODY_INCOMPLETE' });
  });
});

describe('readBody on a plain stream', () => {
  it('joins chunks in order', async () => {
    const stream = new PassThrough();
    const reading = readBody(stream, LIMIT, TIMEOUT_MS);
    stream.write('ab');
    stream.write('cd');
    stream.end('ef');
    expect((await reading).toString()).toBe('abcdef');
  });

  it('leaves only its error listener behind, so a late error is not unhandled', async () => {
    const stream = new PassThrough();
    const reading = readBody(stream, 3, TIMEOUT_MS);
    stream.write('xxxx');
    await expect(reading).rejects.toMatchObject({ code: 'BODY_TOO_LARGE' });
    for (const event of ['data', 'end', 'close']) expect(stream.listenerCount(event)).toBe(0);
    expect(stream.listenerCount('error')).toBe(1);
    const closed = new Promise((resolve) => stream.on('close', resolve));
    stream.destroy(new Error('reset after the answer'));
    await closed;
  });

  it('turns a stream error into BODY_INCOMPLETE', async () => {
    const stream = new PassThrough();
    const reading = readBody(stream, LIMIT, TIMEOUT_MS);
    stream.destroy(new Error('boom'));
    await expect(reading).rejects.toMatchObject({ code: 'BODY_INCOMPLETE', status: 400 });
  });
});
