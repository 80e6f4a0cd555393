# The runtime image: what every docker-runtime sandbox runs (SANDBOX_IMAGE), not the service itself
# (that is service.Dockerfile). python3, prlimit (util-linux, in every Debian base) and the runner at
# /runner, read-only.
# Production:  docker build -t abp-sandbox:latest -f sandbox/runtime.Dockerfile sandbox/
# Offline (tests, CI): `bun run sandbox:image` builds it FROM a base made by debootstrap, which
# already has python3, so the install step is skipped.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
RUN command -v python3 >/dev/null \
 || (apt-get update && apt-get install -y --no-install-recommends python3 && rm -rf /var/lib/apt/lists/*)
COPY runner/*.py /runner/
RUN chmod 0755 /runner && chmod 0644 /runner/*.py
ENV LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1
USER 65534:65534
WORKDIR /work
# Not a service: each container runs one session's code and nothing else may run inside it (its pids
# limit and its clock are the code's). The service watches it through its stdio instead.
HEALTHCHECK NONE
CMD ["python3", "-I", "/runner/runner.py"]
