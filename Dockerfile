# syntax=docker/dockerfile:1.7
# One parameterised image recipe for every Careloop service:
#   docker build --build-arg SERVICE=gateway -t careloop/gateway .
# (skaffold.yaml builds one artifact per service from this file.) Build context: the repository root.
#
# Stages: build (npm ci + esbuild bundle of one service), prod-deps (production node_modules only),
# runtime (distroless Node 20: no shell, no package manager, non-root uid 65532).
# The runtime runs `node --require ./instrumentation.js main.js`: OpenTelemetry is preloaded so it
# can patch http, express, grpc, mongodb and ioredis before the service loads them.
# It writes nothing outside /tmp, so it runs with a read-only root filesystem (the chart mounts
# an emptyDir at /tmp). Health: the ops port serves /healthz, /readyz and /metrics.

ARG NODE_IMAGE=node:20.19-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs20-debian12:nonroot

FROM ${NODE_IMAGE} AS build
WORKDIR /src
ENV NX_DAEMON=false NX_NO_CLOUD=true CI=true
COPY package.json package-lock.json ./
COPY libs ./libs
COPY services ./services
COPY e2e/package.json ./e2e/package.json
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.base.json ./
COPY scripts ./scripts
ARG SERVICE
# The bundle, plus the data directories a service reads next to it at run time (triage's
# protocols, analytics' dashboard page), gathered in /out.
RUN test -n "${SERVICE}" && test -f "services/${SERVICE}/src/main.ts" \
 && node scripts/build.mjs "${SERVICE}" \
 && mkdir -p /out && cp -R "dist/services/${SERVICE}/." /out/ \
 && for asset in protocols src/dashboard; do \
      if [ -d "services/${SERVICE}/${asset}" ]; then cp -R "services/${SERVICE}/${asset}" /out/; fi; \
    done

FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /src
COPY --from=build /src/package.json /src/package-lock.json ./
COPY --from=build /src/libs ./libs
COPY --from=build /src/services ./services
COPY --from=build /src/e2e/package.json ./e2e/package.json
# Third-party packages stay external to the bundle (OTel must patch them): install them, without
# dev dependencies; the workspace links are dropped (the libraries are inlined in main.js).
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts \
 && rm -rf node_modules/@careloop node_modules/.bin \
 && npm cache clean --force

FROM ${RUNTIME_IMAGE} AS runtime
ARG SERVICE
LABEL org.opencontainers.image.title="careloop-${SERVICE}" \
      org.opencontainers.image.source="https://github.com/careloop/careloop" \
      org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /app
ENV NODE_ENV=production \
    OTEL_SERVICE_NAME=${SERVICE} \
    PROTO_ROOT=/app/proto \
    OPS_PORT=9090 \
    NODE_OPTIONS="--enable-source-maps"
COPY --from=prod-deps --chown=0:0 /src/node_modules ./node_modules
COPY --from=build --chown=0:0 /out/ ./
COPY --chown=0:0 proto ./proto
# Files belong to root and are read-only for the service's user.
USER 65532:65532
EXPOSE 8080 9090 50051
# Docker-only health check (Kubernetes uses the chart's probes): GET /healthz on the ops port.
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD ["/nodejs/bin/node", "-e", "fetch('http://127.0.0.1:'+(process.env.OPS_PORT||9090)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/nodejs/bin/node", "--require", "./instrumentation.js"]
CMD ["main.js"]
