# syntax=docker/dockerfile:1
# escape=\
ARG PY=3.11
ARG BASE=python:${PY}-slim
FROM --platform=$BUILDPLATFORM ${BASE} AS build
ARG PY TARGETARCH
ENV APP=/srv PORT=8000 \
    LEGACY_FREE=1
LABEL org.opencontainers.image.title="demo" v=1
WORKDIR $APP
COPY --chown=1000:1000 --chmod=0644 --link requirements.txt ./
RUN <<EOF
set -e
pip install -r requirements.txt
EOF
COPY <<-"CFG" /etc/app.conf
	port=${PORT}
	CFG
RUN --network=none python -c 'print(1)' && \
    # comment in a continuation

    echo done
FROM build AS test
RUN python -m pytest
FROM scratch
COPY --from=build /srv /srv
COPY --from=0 /x /y
COPY --from=busybox:1 /bin/busybox /bin/
EXPOSE $PORT 53/udp 9000-9002
USER app:app
VOLUME ["/data"]
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=3s --retries=3 CMD ["/bin/check"]
ONBUILD COPY . /src
SHELL ["/bin/bash", "-c"]
ENTRYPOINT exec python -m app
CMD ["--port", "8000"]
