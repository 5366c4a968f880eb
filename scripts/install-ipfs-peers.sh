#!/usr/bin/env bash
# Installs the real IPFS programs the interop tests talk to (Kubo, IPFS Cluster) into a cache
# folder, from their Go module sources, with the machine's Go. Idempotent: a program already built
# at its pinned version is kept. p2pcdn itself never needs Go; only these test peers do.
#
#   scripts/install-ipfs-peers.sh            # builds what is missing into $P2PCDN_PEERS_DIR/bin
#   P2PCDN_PEERS_DIR=/opt/peers scripts/install-ipfs-peers.sh
#
# The tests find each binary by its environment variable (P2PCDN_KUBO_BIN, P2PCDN_CLUSTER_SERVICE_BIN,
# P2PCDN_CLUSTER_CTL_BIN, P2PCDN_CLUSTER_FOLLOW_BIN), else in $P2PCDN_PEERS_DIR/bin (default ~/.cache/p2pcdn-peers/bin), else
# on PATH (test/helpers/peers.ts). First build: several minutes per program; later runs: seconds.
set -euo pipefail

KUBO_VERSION=v0.43.1
CLUSTER_VERSION=v1.1.6
# Kubo v0.43.1's go.mod replaces go-libp2p with a fork (a quic-go/webtransport-go bump) that the Go
# module proxy does not serve; go-libp2p v0.52.0 is the upstream release that carries the same
# bump, so the build drops the replace and takes it (printed by `ipfs version --all` as 0.43.1).
KUBO_LIBP2P=v0.52.0

PEERS_DIR="${P2PCDN_PEERS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/p2pcdn-peers}"
BIN="$PEERS_DIR/bin"
SRC="$PEERS_DIR/src"
mkdir -p "$BIN" "$SRC"

if ! command -v go >/dev/null; then
  echo "install-ipfs-peers: Go is not installed; it is needed only to build the IPFS test peers (Kubo, IPFS Cluster)." >&2
  echo "Install Go 1.26 (or put ipfs, ipfs-cluster-service, ipfs-cluster-follow and ipfs-cluster-ctl on PATH) and run this again." >&2
  exit 1
fi

# The module's source, unpacked by `go mod download`, copied where it may be edited and built.
module_source() {
  local module="$1" version="$2" name="$3"
  local dest="$SRC/$name-$version"
  if [ ! -f "$dest/go.mod" ]; then
    local dir
    dir="$(cd "$SRC" && go mod download -json "$module@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
    if [ -z "$dir" ] || [ ! -f "$dir/go.mod" ]; then
      echo "install-ipfs-peers: could not download $module@$version from the Go module proxy." >&2
      exit 1
    fi
    rm -rf "$dest.tmp"
    cp -r "$dir" "$dest.tmp"
    chmod -R u+w "$dest.tmp"
    mv "$dest.tmp" "$dest"
  fi
  echo "$dest"
}

# Builds packages of a module source into $BIN, each to a temporary name first, then renamed.
build() {
  local src="$1"
  shift
  local out="$BIN/.build-$$"
  mkdir -p "$out"
  (cd "$src" && go build -mod=mod -trimpath -o "$out/" "$@")
  mv "$out"/* "$BIN/"
  rmdir "$out"
}

stamp_ok() { [ -x "$BIN/$1" ] && [ "$(cat "$BIN/.$1.version" 2>/dev/null)" = "$2" ]; }
stamp() { echo "$2" >"$BIN/.$1.version"; }

if stamp_ok ipfs "$KUBO_VERSION"; then
  echo "kubo $KUBO_VERSION: $BIN/ipfs (already built)"
else
  echo "kubo $KUBO_VERSION: building (a few minutes)…"
  src="$(module_source github.com/ipfs/kubo "$KUBO_VERSION" kubo)"
  if grep -q '^replace github.com/libp2p/go-libp2p =>' "$src/go.mod"; then
    (cd "$src" && go mod edit -dropreplace github.com/libp2p/go-libp2p &&
      go get "github.com/libp2p/go-libp2p@$KUBO_LIBP2P" >/dev/null 2>&1)
  fi
  build "$src" ./cmd/ipfs
  stamp ipfs "$KUBO_VERSION"
  echo "kubo $KUBO_VERSION: $BIN/ipfs"
fi

# The cluster peers (ipfs-cluster-service, and ipfs-cluster-follow for volunteers) are a test
# build: go-libp2p's NAT port mapping, which IPFS Cluster always turns on and no setting turns off,
# runs UPnP and NAT-PMP discovery against the machine's LAN gateway at start-up; the tests must
# not contact anything beyond 127.0.0.1, so that one option is taken out of clusterhost.go. The
# build id (`--version` prints 1.1.6+git<id>) marks it; test/helpers/cluster-daemon.ts refuses a
# cluster binary without it. ipfs-cluster-ctl (an HTTP client) is built unchanged.
CLUSTER_BUILD=p2pcdn-no-natpmp
CLUSTER_STAMP="$CLUSTER_VERSION+$CLUSTER_BUILD"
if stamp_ok ipfs-cluster-service "$CLUSTER_STAMP" && stamp_ok ipfs-cluster-follow "$CLUSTER_STAMP" &&
  stamp_ok ipfs-cluster-ctl "$CLUSTER_VERSION"; then
  echo "ipfs-cluster $CLUSTER_VERSION: $BIN/ipfs-cluster-service, ipfs-cluster-follow, ipfs-cluster-ctl (already built)"
else
  echo "ipfs-cluster $CLUSTER_VERSION: building (a few minutes)…"
  src="$(module_source github.com/ipfs-cluster/ipfs-cluster "$CLUSTER_VERSION" ipfs-cluster)"
  if grep -q '^\s*libp2p.NATPortMap(),$' "$src/clusterhost.go"; then
    sed -i 's|^\t\tlibp2p.NATPortMap(),$|\t\t// p2pcdn test build: no libp2p.NATPortMap() (its UPnP/NAT-PMP discovery contacts the LAN gateway)|' "$src/clusterhost.go"
  fi
  if grep -q '^\s*libp2p.NATPortMap(),$' "$src/clusterhost.go" || ! grep -q 'p2pcdn test build' "$src/clusterhost.go"; then
    echo "install-ipfs-peers: could not take NATPortMap out of $src/clusterhost.go; the cluster peers would contact the LAN gateway." >&2
    exit 1
  fi
  build "$src" ./cmd/ipfs-cluster-ctl
  stamp ipfs-cluster-ctl "$CLUSTER_VERSION"
  build "$src" "-ldflags=-X main.commit=$CLUSTER_BUILD" ./cmd/ipfs-cluster-service ./cmd/ipfs-cluster-follow
  stamp ipfs-cluster-service "$CLUSTER_STAMP"
  stamp ipfs-cluster-follow "$CLUSTER_STAMP"
  echo "ipfs-cluster $CLUSTER_VERSION: $BIN/ipfs-cluster-service, $BIN/ipfs-cluster-follow, $BIN/ipfs-cluster-ctl"
fi

"$BIN/ipfs" version
"$BIN/ipfs-cluster-service" --version
"$BIN/ipfs-cluster-follow" --version
