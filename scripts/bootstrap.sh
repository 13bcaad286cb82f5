#!/usr/bin/env bash
# Installs what MemeSense needs on a Debian/Ubuntu machine, idempotently, then caches the npm
# dependencies pinned in deno.lock. Called by the deno tasks that need it; safe to run by hand.
#
#   bash scripts/bootstrap.sh [core|test|notebooks|report]
#
# core       Deno's npm dependencies and OpenBLAS (the fast `blas` training backend)
# notebooks  core + Debian's jupyter-nbconvert / python3-nbclient (headless notebook runs)
# report     core + Chromium (PNG screenshots of HTML reports; optional)
# test       core + notebooks + report + Debian's python3-protobuf (a second reader of the
#            TensorBoard event files), python3-pandas (the result files read as documented),
#            Jupyter Notebook and python3-venv, then JupyterLab and
#            plotly's JupyterLab extension with pip into .cache/jupyter/ (best effort: skipped,
#            saying why, where no Python package index answers) — the frontends of the
#            real-browser notebook test. Slurm's packages are installed by its own test, which
#            needs root
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-core}"

# --- Deno: from npm (the suite is pinned to this version) --------------------------------------
DENO_VERSION=2.9.6
if ! command -v deno >/dev/null 2>&1; then
  echo "bootstrap: installing deno@${DENO_VERSION} from npm" >&2
  if [ "$(id -u)" = 0 ]; then npm install -g "deno@${DENO_VERSION}" >/dev/null
  else npm install -g --prefix "$HOME/.local" "deno@${DENO_VERSION}" >/dev/null
    export PATH="$HOME/.local/bin:$PATH"
  fi
fi

# --- Debian packages ---------------------------------------------------------------------------
packages=()
need() { # need <package> <test-command...>
  local pkg=$1; shift
  if ! "$@" >/dev/null 2>&1; then packages+=("$pkg"); fi
}
case "$profile" in
  core|notebooks|report|test) ;;
  *) echo "bootstrap: unknown profile '$profile' (core|test|notebooks|report)" >&2; exit 2 ;;
esac
need libopenblas0 bash -c 'ldconfig -p | grep -q libopenblas.so.0'
if [ "$profile" = notebooks ] || [ "$profile" = test ]; then
  need jupyter-nbconvert test -x /usr/bin/jupyter-nbconvert
  need python3-nbclient /usr/bin/python3 -c 'import nbclient'
fi
if [ "$profile" = report ] || [ "$profile" = test ]; then
  need chromium bash -c 'command -v chromium || command -v chromium-browser'
fi
if [ "$profile" = test ]; then
  need python3-protobuf /usr/bin/python3 -c 'import google.protobuf'
  need python3-pandas /usr/bin/python3 -c 'import pandas'
  need jupyter-notebook test -x /usr/bin/jupyter-notebook
  need python3-venv /usr/bin/python3 -c 'import ensurepip, venv'
fi
if [ ${#packages[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  if [ -n "$sudo" ] && ! command -v sudo >/dev/null 2>&1; then
    echo "bootstrap: please install as root: apt-get install ${packages[*]}" >&2
  elif command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: apt-get install ${packages[*]}" >&2
    $sudo apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
      "${packages[@]}" >/dev/null
  else
    echo "bootstrap: no apt-get here; install ${packages[*]} (macOS: brew install openblas jupyter)" >&2
  fi
fi

# --- npm dependencies, exactly as locked -------------------------------------------------------
deno install --frozen --quiet

# --- JupyterLab, project-local (pip; optional) ---------------------------------------------------
if [ "$profile" = test ]; then
  deno run --allow-all --frozen scripts/notebook_frontends.ts install >&2 ||
    echo "bootstrap: JupyterLab not installed (the notebook browser test skips it)" >&2
fi
