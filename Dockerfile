# syntax=docker/dockerfile:1
# serin's image: the `serin` binary alone, on distroless/cc (glibc and CA
# certificates, no shell), running as the non-root user 65532 that the Helm
# chart and `serin install` set. Entrypoint `serin`, command `controller`
# (the chart and `serin install` pass `controller ...` as arguments).
#
#   docker build -t ghcr.io/serin-dev/serin:0.1.0 .
#   docker run --rm ghcr.io/serin-dev/serin:0.1.0 --version
#
# Only Cargo.toml, Cargo.lock and crates/ are sent (.dockerignore).

ARG RUST_VERSION=1.95

FROM docker.io/library/rust:${RUST_VERSION}-slim-bookworm AS builder
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY crates ./crates
# The registry and target caches survive between builds (BuildKit); the
# binary is copied out of the cached target directory.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p serin --bin serin \
    && install -D -m 0755 target/release/serin /out/serin

# Debian 12, as the builder: the binary's glibc matches.
FROM gcr.io/distroless/cc-debian12:nonroot
LABEL org.opencontainers.image.title="serin" \
      org.opencontainers.image.description="Progressive delivery (canary and blue-green) for Kubernetes and single hosts" \
      org.opencontainers.image.source="https://github.com/serin-dev/serin" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=builder /out/serin /usr/local/bin/serin
USER 65532:65532
# /metrics, /healthz and /readyz of `serin controller --metrics-addr 0.0.0.0:8080`.
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/serin"]
CMD ["controller"]
