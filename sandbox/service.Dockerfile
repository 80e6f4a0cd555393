# The sandbox service (`bun sandbox/src/main.ts`), its own image: its code, lib/, the Python runner and
# its workspace's dependencies (dockerode among them), nothing of the proxy. Build from the repo root:
#   docker build -t abp-sandbox-service -f sandbox/service.Dockerfile .
# (What each docker-runtime sandbox runs is another image: sandbox/runtime.Dockerfile.)
#
# Its default runtime, bwrap, runs here too: bubblewrap, python3 and util-linux's prlimit and setpriv are
# installed, and the runner is bound read-only into each sandbox from /app/sandbox/runner. bwrap needs the
# container to let an unprivileged process create namespaces and mount inside them, which Docker's defaults
# refuse: run it with
#   --security-opt seccomp=unconfined --security-opt apparmor=unconfined --security-opt systempaths=unconfined
# (and the host's user.max_user_namespaces above 0), or use SANDBOX_RUNTIME=docker with the Docker socket
# mounted instead (see compose.yaml).
#
# Who it runs as: the unprivileged `bun` user, with the docker runtime by default. That runtime needs only
# the Docker socket, whose group the container is given (`--group-add "$(stat -c %g /var/run/docker.sock)"`,
# compose's DOCKER_GID). bwrap needs root: each of its sandboxes gets a host uid of its own (setpriv), so that
# RLIMIT_NPROC counts per sandbox, and only root can hand uids out. For bwrap:
#   --user 0 -e SANDBOX_RUNTIME=bwrap and the three --security-opt above.
ARG BASE_IMAGE=oven/bun:1.4-slim

FROM ${BASE_IMAGE} AS deps
WORKDIR /app
COPY package.json bun.lock bunfig.toml ./
COPY sandbox/package.json ./sandbox/
COPY deploy/package.json ./deploy/
RUN bun install --frozen-lockfile --production --filter sandbox-service

FROM ${BASE_IMAGE}
RUN (command -v bwrap && command -v python3 && command -v prlimit && command -v setpriv) >/dev/null \
 || (apt-get update && apt-get install -y --no-install-recommends bubblewrap python3 util-linux \
     && apt-get clean && rm -rf /var/lib/apt/lists/*)
WORKDIR /app
ENV NODE_ENV=production SANDBOX_RUNTIME=docker
COPY --from=deps /app/node_modules ./node_modules
COPY tsconfig.json ./
COPY lib ./lib
COPY sandbox/package.json ./sandbox/
COPY sandbox/src ./sandbox/src
COPY sandbox/runner ./sandbox/runner
# Each sandbox's own uid reads the runner: world-readable, whatever the checkout's modes were.
RUN chmod 0755 sandbox/runner && chmod 0644 sandbox/runner/*
USER bun
EXPOSE 8090
HEALTHCHECK --interval=15s --timeout=3s CMD bun -e "fetch('http://127.0.0.1:'+(process.env.SANDBOX_PORT||8090)+'/health').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
CMD ["bun", "sandbox/src/main.ts"]
