# syntax=docker/dockerfile:1
# snapshot-webhook: validating admission webhook for CSI volume snapshots.
#
# Build:  docker build -t ghcr.io/snapshot-webhook/snapshot-webhook:0.1.0 .
# Runs as uid 1000 (the `node` user of the official image) on a read-only root filesystem;
# the Helm chart (charts/snapshot-webhook) adds the restricted security context and /tmp.

# Official Node.js 24 (LTS) images: the full one to build, the slim one to run.
ARG BUILD_IMAGE=node:24-bookworm
ARG RUNTIME_IMAGE=node:24-bookworm-slim

# --- build: bundle src/ into dist/ (tools/bundle.ts, esbuild) -----------------------------------
FROM ${BUILD_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# Dev dependencies are needed here (esbuild). They include the npm package `node`, which installs
# a Node 24 binary into node_modules/.bin for npm scripts; that is why install scripts stay
# enabled in this stage.
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY tools ./tools
COPY schemas ./schemas
COPY src ./src
# Source maps stay out of the image: nothing there reads them.
RUN npm run build && rm dist/*.map

# --- runtime ----------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# The bundle holds every dependency it runs (docs/adr/0005-bundled-production-build.md): no
# node_modules, no npm install in this stage.
COPY package.json ./
COPY --from=build /app/dist ./dist
# JSON Schemas are read at runtime from <app>/schemas, next to dist/ (config help and raw schemas;
# the validators themselves are compiled into the bundle).
COPY schemas ./schemas
# Numeric, so that Kubernetes can verify runAsNonRoot without a passwd lookup (uid 1000 = node).
USER 1000:1000
# 8443: admission HTTPS (--port); 8080: /livez, /readyz, /metrics over plain HTTP (--metrics-port).
EXPOSE 8443 8080
# The heap's bounds come from the memory the container is given: the Helm chart sets NODE_OPTIONS
# from resources.limits.memory (see values.yaml).
ENTRYPOINT ["node", "dist/main.js"]
