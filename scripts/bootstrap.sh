# Sourced by bin/run and bin/test (from the repository root): find Python 3.11 and keep .venv
# installed from pyproject.toml. Both commands install the same extras, so the install stamp is
# shared and switching between them never reinstalls.

PORTAL_EXTRAS="dev,embedded"
PORTAL_VENV=".venv"
PORTAL_STAMP="$PORTAL_VENV/.portal-install-stamp"

portal_say() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }

portal_is_py311() {
    "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' >/dev/null 2>&1
}

portal_find_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.11 python3; do
        if [[ -n "$candidate" ]] && command -v "$candidate" >/dev/null 2>&1 \
            && portal_is_py311 "$candidate"; then
            command -v "$candidate"
            return 0
        fi
    done
    portal_say "Python 3.11 not found (tried \$PYTHON, python3.11, python3)"
    return 1
}

portal_create_venv() {
    local python
    python="$(portal_find_python)" || return 1
    portal_say "creating $PORTAL_VENV with $python"
    rm -rf "$PORTAL_VENV"
    if "$python" -m venv "$PORTAL_VENV"; then
        return 0
    fi
    # Debian splits ensurepip into its own package; as root we can add it and try again.
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        portal_say "installing Debian's venv support"
        rm -rf "$PORTAL_VENV"
        DEBIAN_FRONTEND=noninteractive apt-get -qq update \
            && DEBIAN_FRONTEND=noninteractive apt-get -qq install -y python3.11-venv >/dev/null \
            && "$python" -m venv "$PORTAL_VENV" && return 0
    fi
    portal_say "could not create $PORTAL_VENV (on Debian/Ubuntu: apt-get install python3.11-venv)"
    return 1
}

# Installs only when pyproject.toml (or the extras) changed since the last successful install.
portal_ensure_venv() {
    if [[ ! -x "$PORTAL_VENV/bin/python" ]] || ! portal_is_py311 "$PORTAL_VENV/bin/python"; then
        portal_create_venv || return 1
    fi
    local want
    want="$("$PORTAL_VENV/bin/python" -c 'import hashlib, sys
print(hashlib.sha256(open("pyproject.toml", "rb").read()).hexdigest(), sys.argv[1])' \
        "$PORTAL_EXTRAS")" || return 1
    if [[ -f "$PORTAL_STAMP" && "$(cat "$PORTAL_STAMP")" == "$want" ]]; then
        return 0
    fi
    portal_say "installing the project into $PORTAL_VENV (pyproject.toml changed or first run)"
    "$PORTAL_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        --no-input -e ".[$PORTAL_EXTRAS]" || return 1
    printf '%s\n' "$want" >"$PORTAL_STAMP"
}
