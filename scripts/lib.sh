# Shared by scripts/serve and scripts/test: a project virtualenv that is reinstalled only
# when pyproject.toml changes.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

say() { echo "== $*" >&2; }

ensure_venv() {
  local extras="$1"  # "" or "[test]"
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating virtualenv in .venv"
    python3 -m venv "$VENV"
  fi
  local stamp="$VENV/.installed$extras"
  local want
  want="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "installing partnercontact$extras into .venv"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -e "$ROOT$extras"
    echo "$want" > "$stamp"
  fi
}
