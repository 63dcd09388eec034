import type { Plugin } from '@hapi/hapi';
import type { Registry } from 'prom-client';

export interface ReadinessCheck {
  ready: boolean;
  checks: Record<string, boolean>;
}

export interface AdminPluginOptions {
  registry: Registry;
  readiness: () => ReadinessCheck;
}

/** The admin listener: `/metrics` for Prometheus, `/healthz` (alive), `/readyz` (can accept). */
export const adminPlugin: Plugin<AdminPluginOptions> = {
  name: 'live-bridge-admin',
  register(server, { registry, readiness }) {
    server.route({
      method: 'GET',
      path: '/metrics',
      async handler(_request, h) {
        return h.response(await registry.metrics()).type(registry.contentType);
      },
    });
    server.route({
      method: 'GET',
      path: '/healthz',
      handler: () => ({ status: 'ok' }),
    });
    server.route({
      method: 'GET',
      path: '/readyz',
      handler(_request, h) {
        const check = readiness();
        return h.response(check).code(check.ready ? 200 : 503);
      },
    });
  },
};
