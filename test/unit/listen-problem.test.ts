import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { listenProblem } from '../../src/listen-problem';
import { testSetup } from '../helpers/bridge';

/** The error Node gives a second listener on `port` of `host`. */
async function listenError(host: string, port: number): Promise<unknown> {
  const server = createServer();
  server.listen(port, host);
  const [error] = (await once(server, 'error').catch((e: unknown) => [e])) as [unknown];
  server.close();
  return error;
}

describe('listenProblem', () => {
  it('names the webhook or the admin setting to change when a port is taken', async () => {
    const holder = createServer().listen(0, '127.0.0.1');
    await once(holder, 'listening');
    const { port } = holder.address() as AddressInfo;
    try {
      const error = await listenError('127.0.0.1', port);
      const webhook = testSetup({ PORT: String(port) }).config;
      expect(listenProblem(error, webhook)).toBe(
        `cannot listen on 127.0.0.1:${port}: port ${port} is already in use (EADDRINUSE); change server.host and server.port (env HOST, PORT)`,
      );
      const admin = testSetup({ ADMIN_PORT: String(port) }).config;
      expect(listenProblem(error, admin)).toBe(
        `cannot listen on 127.0.0.1:${port}: port ${port} is already in use (EADDRINUSE); change admin.host and admin.port (env ADMIN_HOST, ADMIN_PORT)`,
      );
    } finally {
      holder.close();
    }
  });

  it('says when the host is not an address of this machine', async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this host
    const error = await listenError('192.0.2.1', 18123);
    const config = testSetup({ SERVER_HOST: '192.0.2.1', PORT: '18123' }).config;
    expect(listenProblem(error, config)).toBe(
      'cannot listen on 192.0.2.1:18123: 192.0.2.1 is not an address of this host (EADDRNOTAVAIL); change server.host and server.port (env HOST, PORT)',
    );
  });

  it('leaves any other error alone', () => {
    const config = testSetup({}).config;
    expect(listenProblem(new Error('boom'), config)).toBeUndefined();
    expect(
      listenProblem(Object.assign(new Error('x'), { code: 'ENOENT' }), config),
    ).toBeUndefined();
    expect(listenProblem(undefined, config)).toBeUndefined();
    // an EACCES that is not a listener's
    const opening = Object.assign(new Error('x'), { code: 'EACCES', syscall: 'open' });
    expect(listenProblem(opening, config)).toBeUndefined();
  });
});
