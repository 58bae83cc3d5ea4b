# Switchboard image: built on the official Swift image with the same C libraries the
# local scripts install (scripts/setup): rabbitmq-c, SQLite, zlib and libpq; tzdata for
# sources' working hours in their time zones.
FROM swift:6.3-bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends librabbitmq-dev libsqlite3-dev zlib1g-dev libpq-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
COPY Benchmarks ./Benchmarks
RUN swift build -c release --product switchboard \
 && swift build -c release --product switchboardctl \
 && mkdir -p /out \
 && cp "$(swift build -c release --show-bin-path)/switchboard" "$(swift build -c release --show-bin-path)/switchboardctl" /out/

FROM swift:6.3-bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends librabbitmq4 libsqlite3-0 zlib1g libpq5 tzdata curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home switchboard \
 && mkdir -p /data /archive && chown switchboard /data /archive
COPY --from=build /out/switchboard /out/switchboardctl /usr/local/bin/
USER switchboard
VOLUME /data
ENV SWITCHBOARD_DB=/data/switchboard.sqlite
# Probes, metrics and the dashboard; inside a container the port is reached from outside it.
ENV SWITCHBOARD_HTTP=0.0.0.0:8080
EXPOSE 8080
# SIGTERM finishes the batch in hand and exits 0.
STOPSIGNAL SIGTERM
# Ready: consuming with a writable database (503 with the reason otherwise).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s CMD ["curl", "-fsS", "http://127.0.0.1:8080/readyz"]
ENTRYPOINT ["switchboard"]
