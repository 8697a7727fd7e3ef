# perscom-bridge container image (docs/deploy.md).
#
#   buildah bud --layers -t perscom-bridge:0.1.0 .     (or: docker build -t perscom-bridge .)
#
# Two stages on Debian 13 (trixie): "build" compiles the bridge and runs its unit tests
# against trixie's librdkafka 2.8, libcurl 8.14 and avro-c 1.12 (the image is not built when
# a test fails); the runtime stage holds the binary, the shared libraries it links and
# ca-certificates. It runs as the numeric user 65532, writes nothing to its root filesystem
# (run it with a read-only root) and is PID 1 itself: the bridge installs its own SIGTERM and
# SIGINT handlers and starts no child process, so it needs no init.
#
# tests/deploy/build_image.sh builds it without a registry (a base bootstrapped with
# mmdebstrap and imported as debian:trixie-slim).

ARG DEBIAN_IMAGE=debian:trixie-slim

FROM ${DEBIAN_IMAGE} AS build
# Versions come from the suite (no pins): a rebuild picks up Debian's security updates.
# python3 runs the layout check among the unit tests.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        gcc libc6-dev make cmake pkg-config python3 \
        librdkafka-dev libavro-dev libcurl4-openssl-dev libssl-dev libyaml-dev \
        libjansson-dev libcmocka-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The unit tests read examples/bridge.yaml, schemas/ and docs/configuration.md (its key and
# metric tables are checked against the code; tests/unit/fixtures is their working directory).
COPY CMakeLists.txt ./
COPY bridge/ bridge/
COPY examples/ examples/
COPY schemas/ schemas/
COPY tests/layout/ tests/layout/
COPY tests/unit/ tests/unit/
COPY tests/fuzz/schemas/ tests/fuzz/schemas/
COPY docs/configuration.md docs/configuration.md
ARG BUILD_JOBS=2
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    && cmake --build build -j"${BUILD_JOBS}" \
    && ctest --test-dir build --output-on-failure -j"${BUILD_JOBS}" \
    && objcopy --strip-debug build/perscom-bridge /perscom-bridge

FROM ${DEBIAN_IMAGE} AS runtime
# The runtime libraries of the build stage's -dev packages, and the CA bundle for https hooks,
# registries and brokers.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        ca-certificates librdkafka1 libavro24 libcurl4t64 libssl3t64 libyaml-0-2 libjansson4 \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log
COPY --from=build /perscom-bridge /usr/local/bin/perscom-bridge
# Fails the build when a library is missing.
RUN perscom-bridge --version
USER 65532:65532
# The admin listener (/healthz, /readyz, /metrics) when bridge.yaml has admin.listen: ":9400".
EXPOSE 9400
STOPSIGNAL SIGTERM
# Last, so that a new revision does not invalidate the cached package layers.
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="perscom-bridge" \
      org.opencontainers.image.description="PERSCOM webhooks from Avro record changes in Kafka" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.documentation="docs/deploy.md" \
      org.opencontainers.image.base.name="docker.io/library/debian:trixie-slim"
ENTRYPOINT ["perscom-bridge"]
CMD ["run", "--config", "/etc/perscom-bridge/bridge.yaml"]
