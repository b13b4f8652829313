# shellcheck shell=bash
# Shared venv setup, sourced by scripts/test and scripts/run (they set -euo pipefail).
# Leaves the shell in the repository root with .venv ready and the project installed.

cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV=.venv
STAMP="$VENV/.installed-stamp"

# A venv of our own keeps the project's dependencies off the system Python.
if [ ! -x "$VENV/bin/python" ]; then
    echo "[venv] creating $VENV" >&2
    python3 -m venv "$VENV"
fi

# Reinstall only when pyproject.toml changed since the last good install, so a
# second run costs nothing. The lock stops two scripts installing at once.
if [ ! -e "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
    exec 9<"$VENV"
    if command -v flock >/dev/null 2>&1; then flock 9; fi
    if [ ! -e "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
        # uv installs in seconds where pip takes tens of seconds; pip stays as fallback.
        if [ ! -x "$VENV/bin/uv" ]; then
            echo "[venv] installing uv" >&2
            "$VENV/bin/python" -m pip install --quiet uv >&2 || echo "[venv] could not install uv; using pip" >&2
        fi
        echo "[venv] installing the project with its dev extras" >&2
        if [ -x "$VENV/bin/uv" ]; then
            "$VENV/bin/uv" pip install --python "$VENV/bin/python" -e '.[dev]' >&2
        else
            "$VENV/bin/python" -m pip install --quiet -e '.[dev]' >&2
        fi
        touch "$STAMP"
    fi
    exec 9<&-
fi
