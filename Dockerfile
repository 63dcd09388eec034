# syntax=docker/dockerfile:1
#
# tencent-live-kafka-bridge: Node 24 LTS, production dependencies and the compiled output only.
#
#   docker build -t tencent-live-kafka-bridge:0.1.0 .
#   docker run --rm --read-only --tmpfs /tmp -p 8080:8080 -p 9464:9464 \
#     -e KAFKA_BROKERS=kafka:9092 -e TENCENT_SDK_APP_ID=1400000000 -e TENCENT_CALLBACK_TOKEN=... \
#     tencent-live-kafka-bridge:0.1.0
#   docker run --rm tencent-live-kafka-bridge:0.1.0 --check-config   # validate config, exit
#
# Runs as the numeric non-root user 65532, needs no shell, and writes only to the spool
# directory (a volume); it works with a read-only root filesystem. node is PID 1 and
# src/main.ts handles SIGTERM/SIGINT itself (drain for shutdown.graceMs, then exit).

ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# ---- production node_modules (no dev dependencies, no install scripts) ----
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# ---- compile TypeScript (tsc -> dist/src/main.js) ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY config ./config
COPY schemas ./schemas
RUN npm run build \
 && mkdir -p /out/spool

# ---- runtime ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# npm and corepack are not needed at run time; fewer binaries, fewer CVEs to triage.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /opt/yarn-* \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
COPY schemas ./schemas
COPY fixtures ./fixtures
# Default spool location (config spool.dir ".spool", relative to /app). Declared a volume so a
# read-only container still has somewhere to write; the Helm chart mounts its own volume and
# points spool.dir at it.
COPY --from=build --chown=65532:65532 /out/spool ./.spool
VOLUME ["/app/.spool"]
USER 65532:65532
# V8 heap sizes and glibc arenas fixed rather than derived from the host (src/runtime.ts says
# why; test/unit/runtime.test.ts keeps the two in step). Override NODE_OPTIONS to tune.
ENV NODE_OPTIONS="--max-semi-space-size=16 --max-old-space-size=256" \
    MALLOC_ARENA_MAX=1
EXPOSE 8080 9464
# Exec form: node itself receives SIGTERM (no shell, no npm in between).
ENTRYPOINT ["node", "dist/src/main.js"]
