# One image for every part of the system; docker-compose.yml picks the part with `command`.
# TypeScript runs directly on Node 24 (type stripping), so there is no build stage.
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY . .
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
USER node
