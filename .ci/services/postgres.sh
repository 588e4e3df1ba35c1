# Sourced by .ci/run: starts a throwaway PostgreSQL cluster for the tests of
# store/postgres and exports KT_POSTGRES_DSN. Uses Debian's postgresql
# package (installed when no initdb is found), runs the server as the
# postgres user (initdb refuses root) on a Unix socket in a temp dir with
# trust auth, and registers its stop with on_exit.

pg_bindir() {
  local d
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"
    return 0
  fi
  for d in /usr/lib/postgresql/*/bin; do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
      echo "$d"
      return 0
    fi
  done
  return 1
}

pg_bin=$(pg_bindir || true)
if [ -z "$pg_bin" ]; then
  apt_install postgresql
  pg_bin=$(pg_bindir)
fi

pg_user=$(id -un)
pg_run=()
if [ "$(id -u)" = 0 ]; then
  pg_user=postgres
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  pg_run=(runuser -u postgres --)
fi

pg_dir=$(mktemp -d /tmp/kt-pg.XXXXXX)
chmod 755 "$pg_dir"
mkdir -p "$pg_dir/data" "$pg_dir/sock"
chown -R "$pg_user" "$pg_dir"
chmod 777 "$pg_dir/sock"

"${pg_run[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust --no-sync >"$pg_dir/initdb.log" 2>&1 ||
  { cat "$pg_dir/initdb.log" >&2; return 1 2>/dev/null || exit 1; }
"${pg_run[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
  -o "-c listen_addresses='' -k $pg_dir/sock -c fsync=off -c max_connections=200" start ||
  { cat "$pg_dir/server.log" >&2; return 1 2>/dev/null || exit 1; }
on_exit "${pg_run[*]} $pg_bin/pg_ctl -D $pg_dir/data -m fast -w stop; rm -rf $pg_dir"

export KT_POSTGRES_DSN="host=$pg_dir/sock user=postgres dbname=postgres sslmode=disable"
echo "postgres: $("$pg_bin/postgres" --version) at $KT_POSTGRES_DSN"
