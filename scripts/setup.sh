#!/usr/bin/env bash
# Create .venv with Python 3.10 and install the project (plus dev extras with --dev).
# Re-running is cheap: the install is skipped while pyproject.toml is unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python310() {
    if command -v python3.10 >/dev/null 2>&1 && python3.10 -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
        command -v python3.10; return 0
    fi
    if command -v pyenv >/dev/null 2>&1; then
        local root; root=$(pyenv root)
        local cand; cand=$(ls -d "$root"/versions/3.10.* 2>/dev/null | sort -V | tail -n 1 || true)
        if [ -n "$cand" ] && [ -x "$cand/bin/python" ]; then echo "$cand/bin/python"; return 0; fi
    fi
    return 1
}

extras=""
[ "${1:-}" = "--dev" ] && extras="[dev]"

if [ ! -x .venv/bin/python ]; then
    PY310=$(find_python310) || {
        echo "ERROR: Python 3.10 is required (Rasa 3.6 supports Python <3.11)." >&2
        echo "Install python3.10 on PATH, or with pyenv: pyenv install 3.10" >&2
        exit 1
    }
    echo "==> Creating .venv with $PY310"
    "$PY310" -m venv .venv
    .venv/bin/python -m pip install -q --upgrade pip wheel
fi

stamp=".venv/.installed${extras:+-dev}"
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "==> Installing dependencies (first run takes ~1-2 minutes)"
    if ! .venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extras}" >.venv/pip.log 2>&1; then
        grep -v "is ignored: it is neither a file nor a directory" .venv/pip.log >&2
        echo "ERROR: dependency installation failed (full log: .venv/pip.log)" >&2
        exit 1
    fi
    .venv/bin/python -m pip check >/dev/null
    echo "$want" > "$stamp"
fi
