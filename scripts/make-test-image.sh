#!/usr/bin/env bash
# make-test-image.sh OUT — builds a small test image into the OCI image layout OUT (tag
# "latest"), from the machine's Debian packages only (nothing is downloaded):
#   - busybox-static: /bin/busybox and its applets as symlinks where busybox puts them
#     (sh, ls, cat, id, ps, grep, sleep, tail, echo, hostname, ip, wget, nc, ...);
#   - curl with every shared library ldd lists, the dynamic loader and the CA bundle;
#   - /etc/passwd and /etc/group (root, nobody, user 1000), /etc/hosts, /etc/nsswitch.conf,
#     /tmp (1777), /root, /home/user, and empty /proc /sys /dev for the runtime's mounts;
#   - the config: Env PATH=..., Cmd ["sh"], WorkingDir /.
# Needs umoci, busybox-static, curl and ca-certificates (scripts/install-deps.sh), and root
# (the layer records root ownership). Import it with:
#   anzen image import OUT --name alpine:latest
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 OUT" >&2
  exit 2
fi
OUT=$1
if [ -e "$OUT" ]; then
  echo "make-test-image: $OUT exists" >&2
  exit 1
fi
for tool in umoci ldd; do
  command -v "$tool" >/dev/null || { echo "make-test-image: $tool not found (scripts/install-deps.sh)" >&2; exit 1; }
done
BUSYBOX=""
for b in /bin/busybox /usr/bin/busybox; do
  [ -x "$b" ] || continue
  ldd_out=$(LC_ALL=C ldd "$b" 2>&1 || true)
  if [[ "$ldd_out" == *"not a dynamic executable"* ]]; then
    BUSYBOX=$b
    break
  fi
done
[ -n "$BUSYBOX" ] || { echo "make-test-image: a static busybox is needed (busybox-static)" >&2; exit 1; }
CURL=$(command -v curl) || { echo "make-test-image: curl not found" >&2; exit 1; }
CA=/etc/ssl/certs/ca-certificates.crt
[ -r "$CA" ] || { echo "make-test-image: $CA not found (ca-certificates)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/anzen-test-image.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
R=$WORK/rootfs
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,etc/ssl/certs,dev,proc,sys,root,home/user,var/run,run,tmp}
chmod 1777 "$R/tmp"
chmod 0700 "$R/root"

# busybox and its applets (symlinks at the paths `busybox --list-full` gives)
cp "$BUSYBOX" "$R/bin/busybox"
chmod 0755 "$R/bin/busybox"
"$BUSYBOX" --list-full | while read -r applet; do
  [ -n "$applet" ] || continue
  case "$applet" in bin/busybox) continue ;; esac
  [ -e "$R/$applet" ] || [ -L "$R/$applet" ] && continue
  mkdir -p "$R/$(dirname "$applet")"
  ln -s /bin/busybox "$R/$applet"
done
[ -L "$R/bin/sh" ] || ln -s /bin/busybox "$R/bin/sh"

# curl, its libraries (at the paths ldd names) and the dynamic loader
copy_file() { # SRC DEST-PATH-IN-ROOTFS
  mkdir -p "$R/$(dirname "$2")"
  cp -L "$1" "$R/$2"
}
rm -f "$R/usr/bin/curl"
copy_file "$CURL" /usr/bin/curl
chmod 0755 "$R/usr/bin/curl"
LC_ALL=C ldd "$CURL" | while read -r line; do
  case "$line" in
    *"=> not found"*) echo "make-test-image: curl needs a missing library: $line" >&2; exit 1 ;;
    *"=> /"*) lib=${line#*=> }; lib=${lib%% (*}; copy_file "$lib" "$lib" ;;
    /*) lib=${line%% (*}; copy_file "$lib" "$lib" ;;
  esac
done
cp "$CA" "$R/etc/ssl/certs/ca-certificates.crt"

# users, groups, name resolution
cat >"$R/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
user:x:1000:1000:user:/home/user:/bin/sh
EOF
cat >"$R/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
user:x:1000:
EOF
chmod 0644 "$R/etc/passwd" "$R/etc/group"
chown 1000:1000 "$R/home/user"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$R/etc/hosts"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$R/etc/nsswitch.conf"
: >"$R/etc/resolv.conf"
echo anzen-test-image >"$R/etc/hostname"

# the OCI layout: an empty image, the rootfs as one layer, the config
umoci init --layout "$OUT"
umoci new --image "$OUT:latest"
umoci insert --image "$OUT:latest" "$R" /
umoci config --image "$OUT:latest" \
  --config.env "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --config.cmd sh --config.workingdir / \
  --os linux --architecture "$(dpkg --print-architecture 2>/dev/null || echo amd64)"
umoci gc --layout "$OUT"
echo "make-test-image: built $OUT (tag latest)"
