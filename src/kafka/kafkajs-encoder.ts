/**
 * Puts our Produce request encoder (`produce-request.ts`) in place of kafkajs' own.
 *
 * kafkajs has no option for this, so it is done through Node's module cache: kafkajs 2.2.4 loads
 * its Produce request modules on the first produce, and versions 4 to 7 each wrap version 3's
 * (`src/protocol/requests/produce/v3/request.js`). Replacing that module's exports before then
 * changes how every uncompressed Produce request is encoded and nothing else: compressed batches
 * still go through kafkajs' encoder. kafkajs is unmaintained and pinned to 2.2.4; with any other
 * version this does nothing (and a unit test fails, so that whoever upgrades looks again).
 */
import { encodeProduceRequest } from './produce-request';
import type { ProduceRequestArgs } from './produce-request';

export const KAFKAJS_VERSION = '2.2.4';

const REQUEST_MODULE = 'kafkajs/src/protocol/requests/produce/v3/request';
const LATER_VERSIONS = [4, 5, 6, 7].map(
  (v) => `kafkajs/src/protocol/requests/produce/v${v}/request`,
);

/** The part of a kafkajs protocol request the connection uses. */
interface KafkajsRequest {
  apiKey: number;
  apiVersion: number;
  apiName: string;
  expectResponse: () => boolean;
  encode: () => Promise<unknown>;
}

type RequestFactory = (args: ProduceRequestArgs & { compression?: number }) => KafkajsRequest;

interface KafkajsEncoder {
  buf: Buffer;
  offset: number;
}

let installed: boolean | undefined;

/**
 * Installs the encoder once per thread (each worker thread has its own module cache). Returns
 * whether our encoder is in use.
 */
export function useOwnProduceEncoder(): boolean {
  installed ??= kafkajsVersion() === KAFKAJS_VERSION && replaceRequestModule();
  return installed;
}

export function kafkajsVersion(): string {
  return kafkajsModule<{ version: string }>('kafkajs/package.json').version;
}

/**
 * A module of kafkajs by path (its internals have no types), through the same module registry
 * kafkajs is loaded from: Node's, or jest's in the tests (which compare against kafkajs' own
 * functions through it).
 */
export function kafkajsModule<T>(path: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path) as T;
}

function replaceRequestModule(): boolean {
  const path = require.resolve(REQUEST_MODULE);
  // A later version's module already loaded holds kafkajs' function: too late to replace it.
  if (LATER_VERSIONS.some((later) => require.cache[require.resolve(later)])) return false;
  const kafkajsRequest = kafkajsModule<RequestFactory>(path);
  const cached = require.cache[path];
  if (!cached) return false;
  const Encoder = kafkajsModule<new (size?: number) => KafkajsEncoder>(
    'kafkajs/src/protocol/encoder',
  );

  const ownRequest: RequestFactory = (args) => {
    const request = kafkajsRequest(args);
    if (args.compression) return request; // CompressionTypes.None is 0
    return {
      ...request,
      encode: () => {
        // the connection wants a kafkajs Encoder; this one wraps our buffer without copying it
        const encoder = new Encoder(0);
        encoder.buf = encodeProduceRequest(args);
        encoder.offset = encoder.buf.length;
        return Promise.resolve(encoder);
      },
    };
  };
  cached.exports = ownRequest;
  return true;
}
