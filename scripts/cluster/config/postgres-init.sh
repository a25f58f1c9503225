#!/bin/sh
# docker-compose.yml: run once by the postgres image when it creates its data directory. The roles
# and Herald's database that `npm run start:cluster` creates (scripts/cluster/postgres.ts).
set -e
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE temporal WITH LOGIN CREATEDB PASSWORD '$TEMPORAL_DB_PASSWORD';
CREATE ROLE herald WITH LOGIN PASSWORD '$HERALD_DB_PASSWORD';
CREATE DATABASE herald OWNER herald;
SQL
