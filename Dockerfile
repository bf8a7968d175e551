# syntax=docker/dockerfile:1
# snapshot-webhook: validating admission webhook for CSI volume snapshots.
#
# Build:  docker build -t ghcr.io/snapshot-webhook/snapshot-webhook:0.1.0 .
# Runs as uid 1000 (the `node` user of the official image) on a read-only root filesystem;
# the Helm chart (charts/snapshot-webhook) adds the restricted security context and /tmp.

# Official Node.js 24 (LTS) images: the full one to build, the slim one to run.
ARG BUILD_IMAGE=node:24-bookworm
ARG RUNTIME_IMAGE=node:24-bookworm-slim

# --- build: compile TypeScript (src/) to dist/ ------------------------------------------------
FROM ${BUILD_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# Dev dependencies are needed here (typescript). They include the npm package `node`, which
# installs a Node 24 binary into node_modules/.bin for npm scripts; that is why install scripts
# stay enabled in this stage.
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- runtime ----------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# `node` (the npm package) is a devDependency only, so --omit=dev does not pull a second Node:
# the process runs on the image's own Node 24.
RUN npm ci --omit=dev --no-audit --no-fund \
    && npm cache clean --force
COPY --from=build /app/dist ./dist
# JSON Schemas are read at runtime from <app>/schemas, next to dist/.
COPY schemas ./schemas
# Numeric, so that Kubernetes can verify runAsNonRoot without a passwd lookup (uid 1000 = node).
USER 1000:1000
# 8443: admission HTTPS (--port); 8080: /livez, /readyz, /metrics over plain HTTP (--metrics-port).
EXPOSE 8443 8080
ENTRYPOINT ["node", "dist/main.js"]
