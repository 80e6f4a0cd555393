#!/usr/bin/env bash
# Everything `bun test` needs on a fresh Debian machine, as root; idempotent.
#  - redis-server, and Java for DynamoDB Local: the gateway's store and limiter suites start their own;
#  - bubblewrap, python3 (+ prlimit/setpriv from util-linux): the sandbox's bwrap runtime (and `cdk synth` offline);
#  - openssl: the certificate of the Redis that takes TLS only (test/e2e/redis-tls.test.ts);
#  - chromium: the portal's browser tests (test/portal/) drive it with playwright-core;
#  - docker.io and debootstrap: the sandbox's docker runtime, with dockerd started here and the
#    test image (abp-sandbox:test) built offline from a debootstrapped Debian.
#  - docker-compose (Debian's 1.29): the compose test (test/compose/) runs compose.yaml with it, from
#    images it builds offline on the same Debian.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || missing+=(debootstrap)
[ -x /usr/bin/docker-compose ] || missing+=(docker-compose)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

if ! docker info >/dev/null 2>&1; then
  echo "starting dockerd (log: /tmp/dockerd.log)"
  nohup dockerd >/tmp/dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { tail -20 /tmp/dockerd.log; echo "dockerd did not start"; exit 1; }
fi

command -v bun >/dev/null 2>&1 || npm i -g bun
[ -d node_modules ] || bun install --frozen-lockfile
bun scripts/sandbox-image.ts abp-sandbox:test
