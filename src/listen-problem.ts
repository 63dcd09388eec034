import type { BridgeConfig } from './config/types';

/**
 * What to tell an operator when one of the two listeners cannot open its port, naming the
 * setting to change: the port is taken (`EADDRINUSE`), needs privileges (`EACCES`), or the host
 * is not an address of this machine (`EADDRNOTAVAIL`). Undefined for any other error, which
 * stays a crash with its stack.
 */
export function listenProblem(error: unknown, config: Readonly<BridgeConfig>): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, address, port, syscall } = error as {
    code?: unknown;
    address?: unknown;
    port?: unknown;
    syscall?: unknown;
  };
  if (syscall !== 'listen') return undefined;
  const where = `${String(address)}:${String(port)}`;
  // By port: the two differ (the config check), and Node reports the address a host name
  // resolved to, not the name.
  const admin = port === config.admin.port;
  const setting = admin
    ? 'admin.host and admin.port (env ADMIN_HOST, ADMIN_PORT)'
    : 'server.host and server.port (env HOST, PORT)';
  const reason =
    code === 'EADDRINUSE'
      ? `port ${String(port)} is already in use`
      : code === 'EACCES'
        ? `port ${String(port)} needs privileges this user does not have`
        : code === 'EADDRNOTAVAIL'
          ? `${String(address)} is not an address of this host`
          : undefined;
  return reason && `cannot listen on ${where}: ${reason} (${code as string}); change ${setting}`;
}
