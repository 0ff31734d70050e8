#!/bin/sh
# Prints the path of a Python that can build .venv: one in the range pyproject.toml's requires-python
# claims (the range requirements/dev.lock resolves on), with venv and ensurepip (Debian's python3-venv).
#
#   sh requirements/find-python.sh            python3 if it fits, else python3.13 ... python3.10 on the
#                                             PATH, else pyenv's (newest first); says which it took
#   sh requirements/find-python.sh PYTHON     that one only
#
# Anything else: one line on stderr naming the Python found and the ones that would work; exit 1.
set -u
here=$(dirname "$0")
claim=$(sed -n 's/^requires-python *= *"\(.*\)"/\1/p' "$here/../pyproject.toml")
lo=$(echo "$claim" | sed -n 's/.*>= *\([0-9]*\.[0-9]*\).*/\1/p')
hi=$(echo "$claim" | sed -n 's/.*< *\([0-9]*\.[0-9]*\).*/\1/p')
if [ -z "$lo" ] || [ -z "$hi" ]; then
    echo "find-python: cannot read the range from requires-python = \"$claim\" in pyproject.toml" >&2
    exit 1
fi
last=$(echo "$hi" | awk -F. '{print $1 "." $2 - 1}')
range="$lo to $last"

# "<version> ok" or "<version> <what is wrong>" for the Python $1; nothing if it does not run.
probe() {
    "$1" - "$lo" "$hi" 2>/dev/null <<'EOF'
import sys
lo, hi = (tuple(map(int, v.split("."))) for v in sys.argv[1:3])
version = "%d.%d.%d" % sys.version_info[:3]
if not lo <= sys.version_info[:2] < hi:
    print(version, "outside")
else:
    try:
        import ensurepip, venv  # noqa: F401 - Debian ships them apart (python3-venv)
        print(version, "ok")
    except ImportError:
        print(version, "no-venv")
EOF
}

defaults="python3 python3.13 python3.12 python3.11 python3.10"
for p in $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.* 2>/dev/null | sort -t. -k2,2nr -k3,3nr); do
    defaults="$defaults $p/bin/python3"
done

# Sets $works (paths that fit, in order, with versions) and $found (those that do not, and why).
scan() {
    works="" found=""
    for c in "$@"; do
        path=$(command -v "$c" 2>/dev/null) || continue
        out=$(probe "$path")
        [ -n "$out" ] || continue
        case "$works$found" in *"$path "*|*"$c="*) continue ;; esac
        version=${out% *}
        case ${out#* } in
            ok) works="$works $path ($version)," ;;
            outside) case $c in */versions/*) ;; *) found="$found $c=$version," ;; esac ;;
            *) found="$found $c=$version without venv (apt install python3-venv)," ;;
        esac
    done
    works=${works%,} found=${found%,}
}

if [ $# -gt 0 ] && [ -n "$1" ]; then
    scan "$1"
    if [ -z "$works" ]; then
        given=${found:-" $1 (not found)"}
        scan $defaults
        echo "find-python:$given is not a Python $range with venv; these are:${works:- none here (pyenv install 3.12)}" >&2
        exit 1
    fi
else
    scan $defaults
fi
if [ -z "$works" ]; then
    echo "find-python: no Python $range with venv here (found:${found:- none}); install one (apt install python3 python3-venv, or pyenv install 3.12) or run make PYTHON=/path/to/python3.12" >&2
    exit 1
fi
first=$(echo "$works" | cut -d, -f1 | sed 's/^ //')
echo "find-python: using $first${found:+ (not:$found)}" >&2
echo "${first% (*}"
