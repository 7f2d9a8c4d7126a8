# syntax=docker/dockerfile:1
# Build: the same steps .ci/run proves on every change (npm ci, npm run build).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json vitest.config.ts ./
COPY server server
COPY views views
COPY bench bench
COPY test test
COPY migrations migrations
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
# ffmpeg: video posters and transcodes; perl: exiftool; libheif/libjxl: iPhone HEIC and JPEG XL.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg perl libheif-examples libjxl-tools tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY migrations migrations
COPY views/static views/static
RUN chmod +x dist/server/cli.js && ln -s /app/dist/server/cli.js /usr/local/bin/heirloom \
 && mkdir -p /data && chown node:node /data
# Two malloc arenas: libvips' worker threads otherwise fragment memory into hundreds of MB of RSS.
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    HEIRLOOM_DATA_DIR=/data \
    HEIRLOOM_KEY_FILE=/run/secrets/heirloom_master_key \
    HEIRLOOM_PORT=8080
USER node
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["heirloom", "healthcheck"]
ENTRYPOINT ["/usr/bin/tini", "--", "heirloom"]
CMD ["serve"]
