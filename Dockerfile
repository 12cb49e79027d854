# Image of the AP automation platform: `apctl`, `ap-auth`, `ap-invoice` and `ap-gateway` on Debian slim,
# with the built web app (web/) that the gateway serves at `/`.
# One image serves every role; the command picks it:
#   apctl serve all | apctl serve auth | apctl serve gateway | apctl migrate | apctl audit verify
# Build: docker build -t ap:dev .

ARG RUST_VERSION=1.89
ARG DEBIAN_RELEASE=bookworm
ARG NODE_VERSION=20

# ---- web app -------------------------------------------------------------------------------
FROM node:${NODE_VERSION}-${DEBIAN_RELEASE}-slim AS web
WORKDIR /src/web
# Dependencies first, so a source change reuses this layer.
COPY web/package.json web/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY web/ ./
# Hashed assets, plus gzip copies the gateway serves to clients that accept them.
RUN npm run build \
 && find dist/assets -type f \( -name '*.js' -o -name '*.css' -o -name '*.svg' -o -name '*.mjs' \) \
      -size +1k -exec gzip -9 -k -f {} +

# ---- build ---------------------------------------------------------------------------------
FROM rust:${RUST_VERSION}-${DEBIAN_RELEASE} AS builder
WORKDIR /src
# No system protoc, libpq or OpenSSL is needed: protobuf is compiled by protox, diesel uses
# the pure-Rust postgres backend, TLS is rustls with aws-lc-rs (built by cc).
COPY . .
# The registry and target directories are BuildKit caches, so rebuilds after a code change
# recompile only the workspace crates. Binaries are copied out of the cache mount.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin apctl --bin ap-auth --bin ap-invoice --bin ap-gateway \
 && mkdir -p /out \
 && cp target/release/apctl target/release/ap-auth target/release/ap-invoice target/release/ap-gateway /out/

# ---- runtime -------------------------------------------------------------------------------
FROM debian:${DEBIAN_RELEASE}-slim AS runtime
# ca-certificates: TLS to a managed PostgreSQL, Sentry and OTLP collectors.
# curl: the HTTP health check below (the slim image ships none).
# util-linux: `prlimit`, which runs each extraction helper under memory/CPU/file limits
# (essential in Debian, named so that it is never dropped).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl poppler-utils \
      tesseract-ocr tesseract-ocr-eng tesseract-ocr-deu tesseract-ocr-fra util-linux \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 ap \
 && useradd --system --uid 10001 --gid ap --home-dir /nonexistent --no-create-home \
            --shell /usr/sbin/nologin ap \
 && mkdir -p /var/lib/ap/objects \
 && chown -R ap:ap /var/lib/ap

COPY --from=builder /out/apctl /out/ap-auth /out/ap-invoice /out/ap-gateway /usr/local/bin/
COPY --from=web /src/web/dist /usr/share/ap/web

# Production by default: without real configuration the process refuses to start and names
# what is missing. For a quick local try: docker run -e APP_ENV=development -p 8080:8080 IMAGE
ENV APP_ENV=production \
    GATEWAY_ADDR=0.0.0.0:8080 \
    DATA_DIR=/var/lib/ap \
    WEB_DIR=/usr/share/ap/web

USER 10001:10001
WORKDIR /var/lib/ap
EXPOSE 8080 50051

# Liveness of the HTTP gateway (`serve all` and `serve gateway`). Containers running
# `serve auth` have no HTTP port: override the check there (docker-compose.prod.yml does).
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/health/live"]

ENTRYPOINT ["apctl"]
CMD ["serve", "all"]
