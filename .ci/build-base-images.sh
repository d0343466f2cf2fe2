#!/usr/bin/env bash
# The local base images of klambda's images. Nothing can be pulled on these machines, so CI builds
# agent/Dockerfile and operator/Dockerfile FROM images made here from Debian's packages
# (debootstrap) and the JDK already on the machine (jlink):
#   klambda/base-debian:bookworm   Debian minbase + bash, curl, CA certificates, tini
#   klambda/base-jre:25            the above + a jlink'd JRE in /opt/java (JAVA_HOME)
# Idempotent: an image that exists is kept (remove it to rebuild). Needs root, debootstrap, docker.
set -euo pipefail

JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
DEBIAN_IMAGE="${DEBIAN_IMAGE:-klambda/base-debian:bookworm}"
JRE_IMAGE="${JRE_IMAGE:-klambda/base-jre:25}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# A JRE for functions, not only for the agent: Java SE plus the JDK modules libraries commonly use
# (Unsafe, the HTTP server, zip file systems, DNS, PKCS#11, extra charsets, JFR), no dev tools.
JRE_MODULES="java.se,jdk.unsupported,jdk.httpserver,jdk.zipfs,jdk.naming.dns,jdk.crypto.ec,\
jdk.crypto.cryptoki,jdk.charsets,jdk.localedata,jdk.net,jdk.management,jdk.jfr,jdk.management.jfr,\
jdk.security.auth,jdk.security.jgss,jdk.xml.dom"

exists() { docker image inspect "$1" >/dev/null 2>&1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if exists "$DEBIAN_IMAGE"; then
  echo "base images: $DEBIAN_IMAGE exists"
else
  echo "base images: debootstrap bookworm (minbase) -> $DEBIAN_IMAGE"
  debootstrap --variant=minbase --include=curl,ca-certificates,tini bookworm "$work/rootfs" "$MIRROR" \
    >"$work/debootstrap.log" 2>&1 || { cat "$work/debootstrap.log"; exit 1; }
  # as Debian's slim images: no package cache and lists (nothing runs apt in it), no manuals,
  # docs (the copyright files stay) or message translations
  root="$work/rootfs"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
    "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/*
  find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  tar -C "$work/rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' - "$DEBIAN_IMAGE" >/dev/null
  rm -rf "$work/rootfs"
fi

if exists "$JRE_IMAGE"; then
  echo "base images: $JRE_IMAGE exists"
else
  echo "base images: jlink $("$JAVA_HOME/bin/java" -version 2>&1 | head -1) -> $JRE_IMAGE"
  mkdir -p "$work/jre"
  # no compression: a cold start pays for inflating classes; the CDS archive keeps -Xshare useful
  "$JAVA_HOME/bin/jlink" --add-modules "$JRE_MODULES" --strip-debug --no-man-pages \
    --no-header-files --generate-cds-archive --output "$work/jre/java"
  # the archive for heaps of 32 GB and more (no compressed oops): no function is that large
  rm -f "$work/jre/java/lib/server/classes_nocoops.jsa"
  cat >"$work/jre/Dockerfile" <<EOF
FROM $DEBIAN_IMAGE
COPY java /opt/java
ENV JAVA_HOME=/opt/java PATH=/opt/java/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
EOF
  docker build -q -t "$JRE_IMAGE" "$work/jre" >/dev/null
fi

docker images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep '^klambda/base-' || true
