# Sourced by scripts/serve and scripts/test, not run on its own: the project root, progress
# lines, and the project virtualenv.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

# Progress goes to stderr so it never mixes with what the service or pytest prints.
say() { printf '== %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# What WeasyPrint needs from Debian to render PDFs (the consent form, letters): fonts, font
# subsetting (without it, silently six times slower) and text layout.
PDF_PACKAGES=(fonts-dejavu-core libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0)

# "installed" and nothing else: a package removed but not purged is still known to dpkg (state
# config-files) and `dpkg -s` succeeds for it, yet its files are gone.
is_installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }

# missing_debian_packages PKG...: prints those not installed, one per line.
missing_debian_packages() {
  local package
  for package in "$@"; do
    is_installed "$package" || printf '%s\n' "$package"
  done
}

# ensure_debian_packages PKG...: installs what is missing (as root); dies if it cannot.
ensure_debian_packages() {
  local missing apt_log
  mapfile -t missing < <(missing_debian_packages "$@")
  [ ${#missing[@]} -gt 0 ] || return 0
  [ "$(id -u)" -eq 0 ] || die "missing Debian packages (${missing[*]}); run as root to install them"
  say "installing system packages: ${missing[*]}"
  apt_log="$(mktemp)"
  # apt's chatter goes to a log that is shown only if something fails.
  if ! { apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}"; } >"$apt_log" 2>&1 </dev/null; then
    cat "$apt_log" >&2
    die "could not install ${missing[*]}"
  fi
  rm -f "$apt_log"
}

# ensure_venv EXTRAS: .venv holds `pip install -e ".EXTRAS"` ("" or "[test]") for the current
# pyproject.toml. pip takes seconds even when there is nothing to do, so it runs only when the
# hash of pyproject.toml differs from the one recorded after the last successful install with
# those extras. The stamp is inside .venv, so deleting .venv resets everything.
ensure_venv() {
  local extras="${1:-}"
  (
    # scripts/serve and scripts/test may start at the same moment (several people work in this
    # tree); two pips writing into one venv break it. The lock is on pyproject.toml itself, so
    # no lock file appears in the tree, and it lives in this subshell only, so the server that
    # scripts/serve execs afterwards does not hold it.
    flock 9

    # A venv without pip is what an interrupted `python3 -m venv` leaves; running venv again
    # over it completes it.
    if [ ! -x "$VENV/bin/python" ] || [ ! -x "$VENV/bin/pip" ]; then
      say "creating virtualenv in .venv"
      python3 -m venv "$VENV"
    fi

    local want
    want="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
    local stamp="$VENV/.installed$extras"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
      say "installing partnercontact$extras into .venv"
      "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-input -e "$ROOT$extras"
      echo "$want" >"$stamp"
      # [test] is a superset of the plain install, so scripts/serve need not install again.
      [ -z "$extras" ] || echo "$want" >"$VENV/.installed"
    fi
  ) 9<"$ROOT/pyproject.toml"
}

# --- a throwaway PostgreSQL cluster (scripts/test, bench/run) ----------------------------------
# The newest server under /usr/lib/postgresql (Debian's postgresql package).
newest_postgres_bin() { printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1; }

# PostgreSQL refuses to run as root. `cd /` because the postgres user may not be allowed into
# the directory the script was started from (a clone under /root, say).
as_postgres() { (cd / && runuser -u postgres -- "$@"); }

# remove_cluster DIR: stop a cluster of ours and remove its directory. -m immediate: the data
# is thrown away anyway.
remove_cluster() {
  if [ -f "$1/data/postmaster.pid" ]; then
    as_postgres "$PG_BIN/pg_ctl" -D "$1/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$1"
}

# start_throwaway_postgres: a PostgreSQL cluster of this run's own on 127.0.0.1, removed when
# the calling script exits (it sets the EXIT, HUP, INT and TERM traps). Sets PG_BIN, PG_DIR and
# PG_PORT. The superuser `postgres` logs in without a password (over loopback and the socket in
# PG_DIR); every other role needs its password, as in production. As root, run it as root.
start_throwaway_postgres() {
  PG_BIN="$(newest_postgres_bin)"
  [ -x "$PG_BIN/initdb" ] || die "no PostgreSQL server under /usr/lib/postgresql"

  # A run killed with SIGKILL cannot clean up after itself, and its server keeps running. Every
  # run writes its PID into its cluster directory; clusters whose run has gone are removed here.
  # Clusters of runs still going (another terminal, another engineer) are left alone.
  local old
  for old in /tmp/partnercontact-pg.*; do
    [ -f "$old/run.pid" ] || continue
    kill -0 "$(cat "$old/run.pid")" 2>/dev/null && continue
    say "removing a cluster left by an earlier run: $old"
    remove_cluster "$old"
  done

  # A short path under /tmp: the Unix socket lives here and its path may not exceed 107 bytes.
  PG_DIR="$(mktemp -d /tmp/partnercontact-pg.XXXXXX)"
  echo $$ >"$PG_DIR/run.pid"
  # On any exit (a failure, set -e, Ctrl-C, kill) the cluster goes. The signal traps turn the
  # signal into an exit so that the EXIT trap runs once and the script stops there.
  trap 'remove_cluster "$PG_DIR"' EXIT
  trap 'exit 129' HUP
  trap 'exit 130' INT
  trap 'exit 143' TERM
  chown postgres: "$PG_DIR"

  # UTF-8 with the C.UTF-8 locale, which glibc always has, as the development cluster uses;
  # --no-sync and the settings below trade durability nobody needs here for speed.
  if ! as_postgres "$PG_BIN/initdb" --pgdata="$PG_DIR/data" --username=postgres --auth=trust \
    --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$PG_DIR/initdb.log" 2>&1; then
    cat "$PG_DIR/initdb.log" >&2
    die "initdb failed"
  fi
  cat >>"$PG_DIR/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_DIR'
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
  cat >"$PG_DIR/data/pg_hba.conf" <<HBA
local all postgres                 trust
host  all postgres    127.0.0.1/32 trust
host  all all         127.0.0.1/32 scram-sha-256
HBA

  # A free port from 55432 up, far from the development server on 5433. Another run may take
  # the same port between the probe and the start, so a failed start moves on to the next port.
  local port=55432 started=no _
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    while (: <"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
    if as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -o "-p $port" \
      -w -t 60 start >/dev/null 2>&1; then
      started=yes
      break
    fi
    port=$((port + 1))
  done
  if [ "$started" != yes ]; then
    cat "$PG_DIR/server.log" >&2 || true
    die "PostgreSQL did not start"
  fi
  PG_PORT="$port"
  say "started PostgreSQL $("$PG_BIN/postgres" -V | awk '{print $3}') on 127.0.0.1:$PG_PORT ($PG_DIR)"
}
