#!/usr/bin/env bash
# Set up everything mnist-sgd-report needs; safe to run again (it only does what is missing).
#
#   1. Debian packages for the PDF report and its tests (poppler-utils, fonts, Pango):
#      installed with apt-get when missing and running as root, otherwise listed.
#   2. .venv: a virtual environment with a supported Python (3.11 to 3.13, the newest found
#      preferred), created if absent (or broken).
#   3. requirements.txt installed into .venv when the venv is new or the file changed
#      (stamp: .venv/.requirements.sha256).
#
# Environment: PYTHON=/path/to/python3.X to choose the interpreter.
# Used by `make report`, `make test`, ... ; run by hand with `bash setup/bootstrap.sh`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV=.venv
REQUIREMENTS=requirements.txt
STAMP="$VENV/.requirements.sha256"
PIP_LOG="$VENV/pip-install.log"
DEBIAN_PACKAGES=(poppler-utils fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0)

say() { printf 'bootstrap: %s\n' "$*"; }
die() {
    printf 'bootstrap: error: %s\n' "$*" >&2
    exit 1
}

# ---- 1. Debian packages -----------------------------------------------------------------

missing_debian_packages() {
    # Prints the packages of DEBIAN_PACKAGES that are not installed.
    local pkg
    if command -v dpkg-query >/dev/null 2>&1; then
        for pkg in "${DEBIAN_PACKAGES[@]}"; do
            if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
                echo "$pkg"
            fi
        done
    elif ! command -v pdftotext >/dev/null 2>&1; then
        echo poppler-utils # not Debian: only the PDF tools can be checked
    fi
}

mapfile -t missing < <(missing_debian_packages)
if ((${#missing[@]} > 0)); then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        say "installing Debian packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
        say "Debian packages installed"
    else
        say "warning: missing system packages: ${missing[*]}"
        say "  install them as root, e.g.: sudo apt-get install --no-install-recommends ${missing[*]}"
        say "  (other systems: poppler's pdftotext/pdfinfo/pdftoppm, the DejaVu fonts, Pango >= 1.44)"
        say "  without them the PDF report or its tests fail; continuing"
    fi
fi

# ---- 2. the virtual environment ---------------------------------------------------------

# The Python versions the pinned requirements install on and the quick configuration was
# run with (TensorFlow 2.21 and PyTorch 2.13 wheels exist for each), newest first.
SUPPORTED_PYTHONS=(3.13 3.12 3.11)
supported_check="import sys; sys.exit(f'{sys.version_info[0]}.{sys.version_info[1]}' not in '${SUPPORTED_PYTHONS[*]}'.split())"

find_python() {
    # Prints a supported interpreter: $PYTHON if set, else the newest python3.X found, else python3.
    local candidate candidates=()
    if [[ -n "${PYTHON:-}" ]]; then
        candidates=("$PYTHON")
    else
        for version in "${SUPPORTED_PYTHONS[@]}"; do candidates+=("python$version"); done
        candidates+=(python3)
    fi
    for candidate in "${candidates[@]}"; do
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c "$supported_check" 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

venv_ok() {
    [[ -x "$VENV/bin/python" ]] && "$VENV/bin/python" -c "$supported_check" 2>/dev/null
}

new_venv=false
if venv_ok && [[ -n "${PYTHON:-}" ]]; then
    wanted_version=$("$PYTHON" -c 'import sys; print(*sys.version_info[:2], sep=".")' 2>/dev/null || echo "?")
    venv_version=$("$VENV/bin/python" -c 'import sys; print(*sys.version_info[:2], sep=".")')
    if [[ "$wanted_version" != "$venv_version" ]]; then
        say "warning: PYTHON=$PYTHON (Python $wanted_version) is not used: $VENV exists with Python $venv_version"
        say "  to rebuild it with $PYTHON: rm -rf $VENV, then run this again"
    fi
fi
if ! venv_ok; then
    python=$(find_python) || die "no supported Python (${SUPPORTED_PYTHONS[*]}) found (looked at ${PYTHON:-python3.13, python3.12, python3.11, python3}).
  Install one, then run this again:
    Debian 13 / Ubuntu 24.04:  apt-get install python3-venv        (Python 3.13 / 3.12)
    Debian 12:                 apt-get install python3.11-venv
    pyenv:                     pyenv install 3.13 && pyenv local 3.13
    conda/mamba:               mamba env create -f environment.yml (then run snakemake/pytest in that env)
  or point PYTHON at an interpreter: PYTHON=/path/to/python3.X bash setup/bootstrap.sh"
    if [[ -e "$VENV" ]]; then
        say "$VENV exists but has no supported Python: recreating it"
        rm -rf "$VENV"
    fi
    say "creating $VENV with $python ($("$python" --version 2>&1))"
    "$python" -m venv "$VENV" ||
        die "'$python -m venv $VENV' failed (on Debian/Ubuntu: apt-get install python3-venv)"
    new_venv=true
fi

# ---- 3. the Python packages -------------------------------------------------------------

wanted=$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)
installed=$(cat "$STAMP" 2>/dev/null || true)
if $new_venv || [[ "$wanted" != "$installed" ]]; then
    rm -f "$STAMP"
    say "installing $REQUIREMENTS into $VENV (a few minutes the first time; full log: $PIP_LOG)"
    set +o pipefail
    PYTHONUNBUFFERED=1 "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off -r "$REQUIREMENTS" 2>&1 |
        tee "$PIP_LOG" |
        grep --line-buffered -E '^(Collecting|Processing) .*\(from -r |^Successfully installed' |
        sed -u -E 's/^Successfully installed .*/  done/; s/^Collecting ([^ ]+).*/  collecting \1/;
                   s/^Processing .*\/([^/ -]+-[^/ -]+)-.*/  collecting \1/'
    status=${PIPESTATUS[0]}
    set -o pipefail
    if ((status != 0)); then
        tail -n 30 "$PIP_LOG" >&2
        die "pip install -r $REQUIREMENTS failed (exit $status); full log: $PIP_LOG"
    fi
    if ! "$VENV/bin/python" -m pip check >>"$PIP_LOG" 2>&1; then
        say "warning: 'pip check' reports inconsistent dependencies (see the end of $PIP_LOG)"
    fi
    echo "$wanted" >"$STAMP"
    say "Python packages installed"
else
    say "$VENV is up to date with $REQUIREMENTS"
fi
