# syntax=docker/dockerfile:1
# One image for every part of the system; docker-compose.yml picks the part with `command`.
# TypeScript runs directly on Node 24 (type stripping), so there is no build stage: the stages only keep
# the dependency layer cached and dev dependencies out of the final image.
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# Only the manifests: the install below re-runs when a package.json or the lockfile changes, not on every
# source edit (this stage's output is byte-identical then, so the next COPY hits the cache).
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir /manifests \
  && find . -name node_modules -prune -o \( -name package.json -o -name package-lock.json \) -print \
  | xargs -I{} cp --parents {} /manifests

FROM ${NODE_IMAGE} AS dependencies
WORKDIR /app
COPY --from=manifests /manifests ./
# The same command as the clean-clone test (tests/image-install.e2e.test.ts) runs.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production
COPY --from=dependencies /app ./
COPY . .
USER node
# Every part serves /health on $PORT (the router's 4000 when unset).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT ?? 4000}/health`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "router/src/index.ts"]
