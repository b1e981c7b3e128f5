#!/bin/sh
# Set up the district's PostgreSQL database for Rathaus-Kiosk (run once as root; running it again
# changes nothing that is there). Needs Debian's postgresql package and /opt/rathaus installed.
#
#   sh /opt/rathaus/deploy/server/setup-postgres.sh            # database "rathaus"
#   RATHAUS_DB=kreis sh /opt/rathaus/deploy/server/setup-postgres.sh
#
# Makes two system users, which are also the database roles (peer authentication on the local
# socket, so no password exists anywhere):
#   rathaus_admin   owns the schema: migrations, approving and revoking kiosks, backups (IT only);
#                   root may connect as it too (IT runs `rathaus keys approve` with sudo), the
#                   server's user never can
#   rathaus_server  runs the server and the staff inboxes: may read, but never write, the enrolled kiosks
set -eu

DB="${RATHAUS_DB:-rathaus}"
RATHAUS="${RATHAUS_BIN:-/opt/rathaus/.venv/bin/rathaus}"
HERE="$(cd "$(dirname "$0")" && pwd)"

if [ "$(id -u)" != 0 ]; then echo "Run as root." >&2; exit 1; fi
command -v psql >/dev/null || { echo "Install PostgreSQL first: apt-get install postgresql" >&2; exit 1; }
case "$DB" in *[!a-z0-9_]*|'') echo "Database name: lowercase letters, digits, _ only." >&2; exit 1;; esac

install -d -o root -g root -m 0755 /var/lib/rathaus
for user in rathaus_admin rathaus_server; do
    id "$user" >/dev/null 2>&1 || adduser --system --group --home /var/lib/rathaus --no-create-home "$user"
done
install -d -o rathaus_server -g rathaus_server -m 0700 /var/lib/rathaus/towns
install -d -o rathaus_admin -g rathaus_admin -m 0700 /var/backups/rathaus

runuser -u postgres -- psql -v ON_ERROR_STOP=1 -q <<'SQL'
DO $$ BEGIN CREATE ROLE rathaus_admin LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE rathaus_server LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE rathaus_staff NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
SQL
if ! runuser -u postgres -- psql -tAq -c "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
    runuser -u postgres -- createdb --owner=rathaus_admin --encoding=UTF8 "$DB"
fi
runuser -u postgres -- psql -v ON_ERROR_STOP=1 -q -d "$DB" -c "ALTER SCHEMA public OWNER TO rathaus_admin"

# root (IT, with sudo) and rathaus_admin may log in as rathaus_admin; nobody else may.
HBA="$(runuser -u postgres -- psql -tAq -c 'SHOW hba_file')"
IDENT="$(runuser -u postgres -- psql -tAq -c 'SHOW ident_file')"
if ! grep -q '^local[[:space:]].*rathaus_admin[[:space:]].*map=rathaus_admin' "$HBA"; then
    sed -i "1i local   $DB   rathaus_admin   peer map=rathaus_admin" "$HBA"
fi
for who in root rathaus_admin; do
    grep -q "^rathaus_admin[[:space:]]\+$who[[:space:]]\+rathaus_admin" "$IDENT" \
        || printf 'rathaus_admin   %s   rathaus_admin\n' "$who" >> "$IDENT"
done
runuser -u postgres -- psql -q -c 'SELECT pg_reload_conf()' >/dev/null

# The schema, then the privileges (again after every upgrade: new tables need their grants).
runuser -u rathaus_admin -- env RATHAUS_DATABASE_URL="postgresql:///$DB" "$RATHAUS" database migrate --data-dir /var/backups/rathaus
runuser -u rathaus_admin -- psql -v ON_ERROR_STOP=1 -q -d "$DB" -f "$HERE/roles.sql"

echo "Database $DB is ready: the server connects as rathaus_server to postgresql:///$DB"
