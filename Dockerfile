# syntax=docker/dockerfile:1
# NVIDIA CLS license usage exporter. Build: docker build -t nvidia-cls-exporter .
ARG BUN_VERSION=1.4.5

FROM oven/bun:${BUN_VERSION}-slim AS deps
WORKDIR /app
COPY package.json bun.lock ./
# bun install applies the patches listed in package.json's patchedDependencies.
COPY patches ./patches
RUN bun install --frozen-lockfile --production

FROM oven/bun:${BUN_VERSION}-slim
ARG REVISION=unknown
ENV NODE_ENV=production \
    GIT_REVISION=${REVISION}
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json bun.lock tsconfig.json ./
COPY src ./src
COPY migrations ./migrations
# The image's unprivileged user may write only the history folder (DB_PATH's default); mount a
# volume there so history and the last snapshot survive a new container.
RUN mkdir -p /app/data && chown bun:bun /app/data
VOLUME ["/app/data"]
USER bun
EXPOSE 9844
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["bun", "run", "src/healthcheck.ts"]
ENTRYPOINT ["bun", "run", "src/index.ts"]
