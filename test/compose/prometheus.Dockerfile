# For the compose test only (test/compose/): a stand-in for prom/prometheus, built offline from the Debian base
# scripts/sandbox-image.ts makes. Debian's prometheus (2.42), laid out as the official image has it: the binary
# the entrypoint, /prometheus its working directory (compose.yaml's volume), run as nobody.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
RUN printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \
 && apt-get update && apt-get install -y --no-install-recommends prometheus \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d \
 && mkdir /prometheus && chown nobody:nogroup /prometheus
WORKDIR /prometheus
USER nobody
EXPOSE 9090
HEALTHCHECK --interval=5s --timeout=3s CMD bash -c 'exec 3<>/dev/tcp/127.0.0.1/9090 && printf "GET /-/healthy HTTP/1.0\r\n\r\n" >&3 && head -1 <&3 | grep -q " 200 "'
# Debian's build keeps its data in /var/lib/prometheus by default; the official image's default is data/ in
# its working directory, inside compose.yaml's volume. Said here, so compose.yaml's command works with either.
ENTRYPOINT ["/usr/bin/prometheus", "--storage.tsdb.path=/prometheus/data"]
CMD ["--config.file=/etc/prometheus/prometheus.yml"]
