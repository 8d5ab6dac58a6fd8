#!/bin/sh
# Print the path of a Python >= 3.12 interpreter, or explain and exit 1.
#
# A command answering on the PATH is not proof: pyenv shims such as
# `python3.12` exist even when that version is not selected, and then refuse
# to run. So every candidate is actually executed with a version check.
#
# Order: $PYTHON if set (and then nothing else); python3.13, python3.12,
# python3, python on the PATH; then pyenv's versions/*/bin/python3 (under
# `pyenv root`, $PYENV_ROOT and $HOME/.pyenv), newest first.

CHECK='import sys; assert sys.version_info >= (3, 12)'
MSG='partnersim needs Python 3.12 or newer; none found on the PATH or under pyenv. Install one (e.g. `pyenv install 3.12`) or run `make PYTHON=/path/to/python3.12 ...`'

works() {
    "$1" -c "$CHECK" >/dev/null 2>&1
}

if [ -n "${PYTHON:-}" ]; then
    if works "$PYTHON"; then
        command -v "$PYTHON" 2>/dev/null || printf '%s\n' "$PYTHON"
        exit 0
    fi
    echo "partnersim: PYTHON=$PYTHON does not run as Python 3.12 or newer." >&2
    exit 1
fi

for name in python3.13 python3.12 python3 python; do
    path=$(command -v "$name" 2>/dev/null) || continue
    if works "$path"; then
        printf '%s\n' "$path"
        exit 0
    fi
done

# pyenv-installed interpreters, tried directly (bypassing the shims).
roots=""
if command -v pyenv >/dev/null 2>&1; then
    r=$(pyenv root 2>/dev/null) && roots="$r"
fi
[ -n "${PYENV_ROOT:-}" ] && roots="$roots
$PYENV_ROOT"
[ -n "${HOME:-}" ] && roots="$roots
$HOME/.pyenv"

found=$(
    printf '%s\n' "$roots" | while IFS= read -r root; do
        [ -n "$root" ] && [ -d "$root/versions" ] || continue
        for py in "$root"/versions/*/bin/python3; do
            [ -x "$py" ] || continue
            v=$(basename "$(dirname "$(dirname "$py")")")
            printf '%s\t%s\n' "$v" "$py"
        done
    done | sort -t. -k1,1nr -k2,2nr -k3,3nr | cut -f2- |
    while IFS= read -r py; do
        if works "$py"; then
            printf '%s\n' "$py"
            break
        fi
    done
)

if [ -n "$found" ]; then
    printf '%s\n' "$found"
    exit 0
fi

echo "$MSG" >&2
exit 1
