# syntax=docker/dockerfile:1
# phi-guard: multi-stage build. Reproducible (--locked), small non-root runtime image, no
# HEALTHCHECK (Kubernetes probes /healthz and /readyz instead), works with a read-only root
# filesystem (the embedded store lives on a mounted volume at /var/lib/phi-guard).

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# Build dependencies first for layer caching.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src benches && echo 'fn main() {}' > src/main.rs && echo '' > src/lib.rs \
    && echo 'fn main() {}' > benches/detect.rs \
    && cargo build --release --locked \
    && rm -rf src benches
COPY src ./src
COPY benches ./benches
COPY config ./config
COPY patterns ./patterns
RUN touch src/main.rs src/lib.rs && cargo build --release --locked --bin phi-guard

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 phiguard \
    && useradd --system --uid 10001 --gid phiguard --home-dir /nonexistent --shell /usr/sbin/nologin phiguard \
    && mkdir -p /var/lib/phi-guard /etc/phi-guard \
    && chown phiguard:phiguard /var/lib/phi-guard
COPY --from=build /src/target/release/phi-guard /usr/local/bin/phi-guard
# Rules are embedded in the binary; a mounted /etc/phi-guard/patterns (ConfigMap) overrides them
# when PHI_GUARD_PATTERNS__DIR points at it.
ENV PHI_GUARD_SERVER__LISTEN=0.0.0.0:8080 \
    PHI_GUARD_STORE__PATH=/var/lib/phi-guard \
    PHI_GUARD_LOG__FORMAT=json
USER 10001:10001
EXPOSE 8080
VOLUME ["/var/lib/phi-guard"]
ENTRYPOINT ["/usr/local/bin/phi-guard"]
CMD ["serve"]
