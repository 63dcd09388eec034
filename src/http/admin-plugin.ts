import type { Plugin } from '@hapi/hapi';
import type { Registry } from 'prom-client';

export interface ReadinessCheck {
  ready: boolean;
  checks: Record<string, boolean>;
}

export interface AdminPluginOptions {
  registry: Registry;
  readiness: () => ReadinessCheck;
  /** Event type → its JSON Schema's bytes, served at `/schemas/<type>.json`. */
  schemas?: ReadonlyMap<string, Buffer>;
}

/**
 * The admin listener: `/metrics` for Prometheus, `/healthz` (alive), `/readyz` (can accept),
 * and `/schemas/<type>.json`, the JSON Schema of each event type (what `ce_dataschema` can point
 * at: set `events.dataSchemaBaseUrl` to `http://<admin host>:<port>/schemas`).
 */
export const adminPlugin: Plugin<AdminPluginOptions> = {
  name: 'live-bridge-admin',
  register(server, { registry, readiness, schemas = new Map<string, Buffer>() }) {
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
    server.route({
      method: 'GET',
      path: '/schemas/{file}',
      handler(request, h) {
        const file = String(request.params.file);
        const schema = file.endsWith('.json') ? schemas.get(file.slice(0, -5)) : undefined;
        if (schema === undefined) return h.response({ error: 'no such schema' }).code(404);
        return h
          .response(schema)
          .type('application/schema+json')
          .header('cache-control', 'public, max-age=300');
      },
    });
  },
};
