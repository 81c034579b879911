#!/usr/bin/env bash
# Installs the Debian packages anzen needs to build, run and test. Idempotent and fast when
# everything is present: it only calls apt-get for packages dpkg does not report installed.
set -eu
PKGS="build-essential cmake pkg-config clang libclang-rt-14-dev
  libssl-dev openssl libh2o-evloop-dev libwslay-dev libjansson-dev libfyaml-dev libsqlite3-dev sqlite3
  libcurl4-openssl-dev libcmocka-dev zlib1g-dev
  curl python3 python3-kubernetes python3-yaml etcd-server etcd-client wrk nginx-light graphviz
  runc crun containernetworking-plugins umoci skopeo busybox-static ca-certificates gzip zstd"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "install-deps: installing:$missing"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
command -v kubectl >/dev/null || echo "install-deps: warning: kubectl not found; e2e tests that need it will fail" >&2
