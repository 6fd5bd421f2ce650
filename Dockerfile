# Binôme: build the release binary, then run it on a slim Debian.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --bin binome

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/binome /usr/local/bin/binome
RUN useradd --system --home /var/lib/binome --create-home binome
USER binome
WORKDIR /var/lib/binome
ENV BINOME_BIND=0.0.0.0:8080 BINOME_DATA_DIR=/var/lib/binome/data
EXPOSE 8080
ENTRYPOINT ["binome"]
CMD ["serve"]
