/**
 * The HTTP ceiling: the same hapi version and listener settings as the bridge's webhook server,
 * with one trivial POST route on the callback path that reads the raw body exactly as the bridge
 * does (the raw stream through `readBody`, same size limit and timeout) and answers the bridge's
 * OK JSON. No verification, no parsing, no Kafka: what hapi on this machine can do at most.
 * `CEILING_BODY_READER=hapi` reads the body with hapi's own reader instead (`output: 'data'`),
 * as the bridge did before it had `readBody`.
 */
import Hapi from '@hapi/hapi';
import type { Readable } from 'node:stream';
import { readBody } from '../../src/http/read-body';
import { childArgs, runChild, send } from '../lib/child';
import { CALLBACK_PATH, OK_ANSWER } from '../lib/payload';

/** The bridge's defaults (`server.bodyLimitBytes`, `server.payloadTimeoutMs`). */
const BODY_LIMIT_BYTES = 65_536;
const PAYLOAD_TIMEOUT_MS = 1000;

interface Args {
  host: string;
  port: number;
}

/**
 * The ceiling's hapi server with its one route, not started. `onBody` sees the length of each
 * body read.
 */
export function createCeilingServer(
  listen: { host?: string; port?: number } = {},
  onBody: (bytes: number) => void = () => undefined,
): Hapi.Server {
  const server = Hapi.server({ ...listen, routes: { timeout: { server: 1800 } } });
  server.listener.keepAliveTimeout = 65_000;
  server.listener.headersTimeout = 66_000;
  const hapiReader = process.env.CEILING_BODY_READER === 'hapi';
  server.route({
    method: 'POST',
    path: CALLBACK_PATH,
    options: {
      payload: {
        output: hapiReader ? 'data' : 'stream',
        parse: false,
        maxBytes: BODY_LIMIT_BYTES,
        timeout: PAYLOAD_TIMEOUT_MS,
      },
      timeout: { server: 1800 },
    },
    async handler(request, h) {
      const body = hapiReader
        ? (request.payload as Buffer)
        : await readBody(request.payload as Readable, BODY_LIMIT_BYTES, PAYLOAD_TIMEOUT_MS);
      onBody(body.length); // the body was read in full
      return h.response(OK_ANSWER).type('application/json');
    },
  });
  return server;
}

async function main(): Promise<void> {
  const args = childArgs<Args>();
  let bytes = 0;
  const server = createCeilingServer({ host: args.host, port: args.port }, (n) => (bytes += n));
  await server.start();
  await send({ type: 'ready', port: server.info.port });
  await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
  await server.stop({ timeout: 1000 });
  await send({ type: 'stopped', bodyBytes: bytes });
}

if (require.main === module) runChild(main);
