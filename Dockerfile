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
# The exporter runs as the base image's unprivileged "bun" user, by these ids (checked below). The
# image starts as root only for deploy/docker/entrypoint.sh: it makes the history's folder writable
# by that user (a volume mounted owned by root, as on Railway, works as it is), then drops to it with
# setpriv (util-linux, in every Debian image: no extra package) and execs the exporter. Started as
# that user already (docker run --user 1000:1000, Kubernetes runAsUser: 1000), it only execs.
ENV EXPORTER_UID=1000 EXPORTER_GID=1000
COPY deploy/docker/entrypoint.sh /usr/local/bin/nvidia-cls-entrypoint
# Mount a volume at /app/data (DB_PATH's default) so history and the last snapshot survive a new container.
RUN [ "$(id -u bun):$(id -g bun)" = "$EXPORTER_UID:$EXPORTER_GID" ] \
  && setpriv --version >/dev/null \
  && chmod 0755 /usr/local/bin/nvidia-cls-entrypoint \
  && mkdir -p /app/data && chown bun:bun /app/data
VOLUME ["/app/data"]
USER root
EXPOSE 9844
# Through the entrypoint too, so the check runs as the exporter's user rather than root, and with
# --no-prepare, so it never changes an owner while the exporter runs.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/nvidia-cls-entrypoint", "--no-prepare", "bun", "run", "src/healthcheck.ts"]
ENTRYPOINT ["/usr/local/bin/nvidia-cls-entrypoint", "bun", "run", "src/index.ts"]
