# Herald's image: one image, three roles (worker, api, status) chosen by the command.
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ ca-certificates curl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts ./scripts
# No Go in the image: the postinstall step says so and moves on; containers talk to the Temporal service.
RUN npm ci --no-audit --no-fund
COPY . .
# Compiled once here (build/<fingerprint>/); the containers run it and never write it.
RUN node scripts/compiled.js
ENV HERALD_DATA_DIR=/data HERALD_BIND=0.0.0.0 NODE_ENV=production
VOLUME ["/data"]
USER node
CMD ["node", "scripts/compiled.js", "worker/main"]
