# The m2o-bot image: the production binary (no console, no emulator) on a slim Debian, run as a
# non-root user with its data in the /data volume. `docker build -t m2o-bot .`; docker-compose.yml
# runs it, and is what Coolify deploys (README: "Deploy on Coolify"). tests/deploy.rs checks this
# file against docker-compose.yml, .ci/run and the binary.

# The toolchain Cargo.toml's rust-version asks for, on the Debian the runtime stage uses (same glibc).
FROM rust:1.95-bookworm AS build
WORKDIR /src
# .dockerignore lets in only what the build reads: no target/, .git, .env or tests.
COPY . .
# The production build, exactly as .ci/run makes it. BuildKit's cache mounts keep the downloaded
# crates and the compiled dependencies from one build to the next; the binary is copied out of the
# cached target dir, which is not part of the image.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --locked --release --no-default-features \
    && cp target/release/m2o-bot /usr/local/bin/m2o-bot

# Nothing to install: TLS is rustls with the webpki root certificates built into the binary.
FROM debian:bookworm-slim
# A fixed uid/gid (10001), so a host directory mounted at /data can be chowned to match. A new
# named volume takes /data's owner and mode from the image.
RUN groupadd --system --gid 10001 m2o \
    && useradd --system --uid 10001 --gid m2o --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin m2o \
    && mkdir /data && chown m2o:m2o /data && chmod 0700 /data
COPY --from=build /usr/local/bin/m2o-bot /usr/local/bin/m2o-bot
# The store (and the daily backups, if M2O_BACKUP_DIR is under it) on the volume; the HTTP API
# (/healthz, the agents' API, the webhook) on all interfaces, for Coolify's proxy.
ENV M2O_DATA_DIR=/data \
    M2O_HTTP_ADDR=0.0.0.0:8080
VOLUME /data
EXPOSE 8080
USER 10001:10001
# `m2o-bot health` asks /healthz on M2O_HTTP_ADDR (0.0.0.0 is asked on 127.0.0.1): exit 0 when the
# bot is ready, 1 with the reason when not. It waits 5 s at most for an answer.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["m2o-bot", "health"]
# On SIGTERM (docker stop) the bot finishes the updates in flight, flushes its store and exits 0
# within 10 s.
STOPSIGNAL SIGTERM
ENTRYPOINT ["m2o-bot"]
CMD ["run"]
