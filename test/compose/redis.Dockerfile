# For the compose test only (test/compose/): a stand-in for redis:7-alpine, built offline from the Debian base
# scripts/sandbox-image.ts makes (no registry here). Debian's redis-server, as its own user, in /data.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
# No init in a build: policy-rc.d keeps the package from starting its service.
RUN printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \
 && apt-get update && apt-get install -y --no-install-recommends redis-server \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d \
 && mkdir /data && chown redis:redis /data
WORKDIR /data
USER redis
EXPOSE 6379
# As the official image's entrypoint does when no config file is given: reached over the stack's network, not
# loopback, Redis in protected mode would refuse every client.
ENTRYPOINT ["sh", "-c", "if [ \"$1\" = redis-server ]; then shift; set -- redis-server --protected-mode no \"$@\"; fi; exec \"$@\"", "redis"]
HEALTHCHECK --interval=5s --timeout=3s CMD redis-cli ping | grep -q PONG
CMD ["redis-server"]
