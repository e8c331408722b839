# Offload in a container: `docker compose up` (docker-compose.yml) runs it beside PostgreSQL.
# Build stage: everything needed to compile; the runtime stage keeps only production dependencies and dist/.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run -s build && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
# OFFLOAD_HOME: without DATABASE_URL (a quick `docker run IMAGE`), the embedded PostgreSQL needs a directory the
# node user can write; compose sets DATABASE_URL to its PostgreSQL service.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    OFFLOAD_HOME=/home/node/.offload
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The dashboard is plain HTML/CSS/JS served from its source folder (tsc copies no static files).
COPY --from=build /app/src/dashboard ./src/dashboard
USER node
# 4000: HTTP (GraphQL, graphql-ws, REST, dashboard, /metrics); 2525: inbound SMTP when MAIL_TRANSPORT=smtp.
EXPOSE 4000 2525
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Run another role with e.g. `docker run IMAGE worker` or `docker run IMAGE accounts create --name acme --plan PAYG`.
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["serve"]
