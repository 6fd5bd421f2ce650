# Binôme: build the release binary, then run it on a slim Debian.
#   docker build -t binome .
# Images are pinned to a release, not a floating tag: bump them on purpose (and rebuild) to
# take security updates.

FROM rust:1.95.0-bookworm AS build
WORKDIR /src
# Dependencies first, in a layer of their own: only the manifests and the lock file, with
# empty sources in place of ours, so that a change to Binôme's code rebuilds Binôme alone and
# every crate it depends on comes from the cache until Cargo.toml or Cargo.lock change.
COPY Cargo.toml Cargo.lock ./
COPY migrations/Cargo.toml migrations/
COPY crates/lti/Cargo.toml crates/lti/
COPY crates/coaching/Cargo.toml crates/coaching/
COPY crates/pairing/Cargo.toml crates/pairing/
RUN set -eu; \
    mkdir -p src migrations/src tests/api benches crates/lti/src crates/coaching/src crates/pairing/src; \
    echo 'fn main() {}' > src/main.rs; \
    touch src/lib.rs migrations/src/lib.rs tests/api/main.rs \
      crates/lti/src/lib.rs crates/coaching/src/lib.rs crates/pairing/src/lib.rs; \
    for b in launch login_flood live pairing grades; do echo 'fn main() {}' > "benches/$b.rs"; done; \
    cargo build --release --locked --bin binome; \
    rm -rf src migrations/src tests benches crates/*/src
# Then the sources. Their timestamps may be older than the empty stand-ins just built, so
# touch them: cargo must see them as changed.
COPY . .
RUN find src migrations/src crates -name '*.rs' -exec touch {} + \
    && cargo build --release --locked --bin binome

FROM debian:12.11-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/binome /usr/local/bin/binome
# The data folder (the SQLite database, when DATABASE_URL does not name PostgreSQL) exists,
# belongs to the service's user, and is a volume: a new container keeps the data.
RUN useradd --system --home /var/lib/binome --create-home binome \
    && mkdir -p /var/lib/binome/data \
    && chown binome:binome /var/lib/binome/data
USER binome
WORKDIR /var/lib/binome
ENV BINOME_BIND=0.0.0.0:8080 BINOME_DATA_DIR=/var/lib/binome/data
VOLUME ["/var/lib/binome/data"]
EXPOSE 8080
# The binary asks itself (GET /readyz on BINOME_BIND): no shell, curl or wget needed.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["binome", "health"]
# SIGTERM (docker stop's signal) stops it gracefully in under 10 s.
STOPSIGNAL SIGTERM
ENTRYPOINT ["binome"]
CMD ["serve"]
