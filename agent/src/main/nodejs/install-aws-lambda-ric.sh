#!/bin/sh
# Installs AWS's Node.js runtime interface client (npm's aws-lambda-ric) into DEST/node_modules,
# and the runtime's entry (index.mjs beside this script) into DEST: what the agent runs nodejs22.x
# with. The client builds a native addon (curl and aws-lambda-cpp from its own sources, then
# node-gyp), so this needs the Node.js it will run on (22+) with npm, and g++, make, cmake,
# autoconf, automake, libtool and python3. Only the client's code is kept: node-gyp and the
# sources were for the build.
#
# 3.3.0, not 4.x: 4.x is the client of Lambda's nodejs24.x, which refuses callback handlers at Init
# (nodejs22.x runs them).
#
#   install-aws-lambda-ric.sh DEST              the runtime image's build stage
#   install-aws-lambda-ric.sh --optional DEST   the Maven build, for local mode: where something
#                                               is missing it says what and installs nothing
#
# With KLAMBDA_RIC_CACHE set, a build for the same client, Node.js major and machine is kept there
# and copied, so a rebuild of klambda does not compile it again.
set -eu
VERSION=3.3.0
optional=false
if [ "$1" = --optional ]; then
  optional=true
  shift
fi
dest="$1"

skip() {
  echo "klambda: nodejs22.x runtime client not installed in $dest: $1 (nodejs22.x functions in local mode" \
    "will fail Init saying so; install it later with $0 $dest)" >&2
  exit 0
}
if $optional; then
  for tool in node npm g++ make cmake autoreconf libtoolize python3; do
    command -v "$tool" >/dev/null 2>&1 || skip "needs $tool"
  done
  [ "$(node -p 'process.versions.node.split(".")[0] >= 22')" = true ] || skip "needs Node.js 22+, node is $(node --version)"
fi

node_major="$(node -p 'process.versions.node.split(".")[0]')"
key="aws-lambda-ric-$VERSION-node$node_major-$(uname -m)"
if [ -n "${KLAMBDA_RIC_CACHE:-}" ] && [ -f "$KLAMBDA_RIC_CACHE/$key/dist/rapid-client.node" ]; then
  built="$KLAMBDA_RIC_CACHE/$key"
else
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  # node-gyp wants the headers of the node it builds for; a Node.js unpacked from a release (or
  # npm's node-linux-*) has them beside its bin/, which spares a download from nodejs.org
  headers="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
  if [ -f "$headers/include/node/node_api.h" ]; then
    export npm_config_nodedir="$headers"
  fi
  npm install --prefix "$work" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
    "aws-lambda-ric@$VERSION" >&2 || { $optional && skip "npm install aws-lambda-ric@$VERSION failed"; exit 1; }
  built="$work/node_modules/aws-lambda-ric"
  if [ -n "${KLAMBDA_RIC_CACHE:-}" ]; then
    mkdir -p "$KLAMBDA_RIC_CACHE"
    rm -rf "$KLAMBDA_RIC_CACHE/$key.tmp"
    cp -R "$built" "$KLAMBDA_RIC_CACHE/$key.tmp"
    rm -rf "$KLAMBDA_RIC_CACHE/$key"
    mv "$KLAMBDA_RIC_CACHE/$key.tmp" "$KLAMBDA_RIC_CACHE/$key"
  fi
fi
# its dist/ bundles its JavaScript dependencies: the bundle and the addon are all it runs
mkdir -p "$dest/node_modules/aws-lambda-ric/dist"
cp "$built/package.json" "$built/LICENSE" "$built/NOTICE" "$dest/node_modules/aws-lambda-ric/"
cp "$built/dist/index.mjs" "$built/dist/rapid-client.node" "$dest/node_modules/aws-lambda-ric/dist/"
cp "$(dirname "$0")/index.mjs" "$dest/index.mjs"
