# The proxy (the default target) and the Bedrock emulator (`--target emulator`, a dev tool for compose's
# emulator profile). Bun runs the TypeScript sources directly: no build step for the proxy.
# The sandbox service has its own image (sandbox/service.Dockerfile), and so has what its sandboxes run
# (sandbox/runtime.Dockerfile). Offline, `bun run images` builds all of them from a local base.
ARG BASE_IMAGE=oven/bun:1.4-slim

# The root package's production dependencies only: no dockerode (the sandbox workspace's), no aws-cdk-lib
# (deploy/'s), no dev tools. The lockfile names every workspace, so their package.json files come along.
FROM ${BASE_IMAGE} AS deps
WORKDIR /app
COPY package.json bun.lock bunfig.toml ./
COPY sandbox/package.json ./sandbox/
COPY deploy/package.json ./deploy/
RUN bun install --frozen-lockfile --production --filter anthropic-bedrock-proxy

# The emulator reads the proxy's model and beta tables (src/bedrock/): bundling it keeps exactly what it
# imports, whatever that becomes, and nothing else of src/.
FROM deps AS emulator-bundle
COPY lib ./lib
COPY src ./src
COPY emulator ./emulator
RUN bun build emulator/main.ts --target=bun --outfile=/emulator.js

FROM ${BASE_IMAGE} AS emulator
WORKDIR /app
COPY --from=emulator-bundle /emulator.js ./emulator.js
USER bun
EXPOSE 4010
HEALTHCHECK --interval=15s --timeout=3s CMD bun -e "fetch('http://127.0.0.1:4010/_emulator/requests').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
CMD ["bun", "emulator.js", "--port", "4010", "--host", "0.0.0.0"]

FROM ${BASE_IMAGE} AS proxy
WORKDIR /app
ENV NODE_ENV=production PORT=8080
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY lib ./lib
COPY src ./src
# The SQLite store and the usage spool default to ./data: the unprivileged user must be able to write there.
RUN mkdir -p data && chown bun:bun data
USER bun
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s CMD bun -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
CMD ["bun", "src/main.ts"]
