# One image for both processes of the payouts service; docker-compose.yml picks the entry point.
# TypeScript runs directly through tsx (a regular dependency); the one build step is the pages
# (console, buyer's page, /docs), built by Vite in a stage of their own so that the image keeps
# only their output and no build tools.
FROM node:20-slim AS pages
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build:web

FROM node:20-slim

WORKDIR /app
ENV NODE_ENV=production

# Dependencies first, so that a source change does not re-run npm ci. Dev dependencies (jest, swc's
# jest transform, eslint, openapi-typescript) are only for tests and codegen; the worker's workflow
# bundler (webpack + @swc/core) comes in with @temporalio/worker itself.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY --chown=node:node . .
COPY --from=pages --chown=node:node /build/dist/web ./dist/web
USER node

# Inside a container the API must listen beyond loopback; outside one it defaults to 127.0.0.1.
ENV HOST=0.0.0.0
EXPOSE 3000
# The API by default; the worker service overrides the command with worker/main.ts.
CMD ["node", "--import", "tsx", "api/main.ts"]
