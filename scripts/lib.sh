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
