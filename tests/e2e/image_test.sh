#!/usr/bin/env bash
# image_test.sh — the node's image store end to end, with the real binary, skopeo and umoci:
# scripts/make-test-image.sh builds the test image (busybox-static + curl); `anzen image
# import` takes it as an OCI layout directory (under alpine:latest, exactly as the acceptance
# script does), as an OCI archive and as a `docker save` tarball (made by skopeo); `anzen image
# ls` lists them as crictl does; concurrent imports all land; `anzen image unpack` writes a
# rootfs that works under chroot (sh, the busybox applets, curl with its libraries, users);
# `anzen image pull` fails fast with kubelet's wording when no registry can be reached (run in
# a network namespace of its own, so it holds wherever the test runs). Needs root (chroot).
set -u
. "$(dirname "$0")/lib.sh"
e2e_init

if [ "$(id -u)" != 0 ]; then
    e2e_fail "runs as root (chroot, ownership of the unpacked rootfs)" "uid 0" "uid $(id -u)"
    e2e_finish
fi
for tool in skopeo umoci; do
    command -v "$tool" >/dev/null || e2e_fail "$tool installed (scripts/install-deps.sh)" "$tool" "missing"
done

DIR=$T
# ---- build and import as the acceptance script does ----
out=$("$ANZEN_SRC/scripts/make-test-image.sh" "$DIR/test-image" 2>&1)
rc=$?
expect_eq "make-test-image.sh succeeds" 0 "$rc"
[ "$rc" = 0 ] || echo "$out" | tail -5 | sed 's/^/#   /'
expect_eq "the test image is an OCI layout" '{"imageLayoutVersion":"1.0.0"}' "$(tr -d ' \n' <"$DIR/test-image/oci-layout" 2>/dev/null)"

out=$("$ANZEN" image import --data-dir "$DIR" "$DIR/test-image" --name alpine:latest 2>&1)
expect_eq "import (acceptance form) exits 0" 0 "$?"
expect_contains "import reports the normalised name" "docker.io/library/alpine:latest" "$out"
expect_eq "the store is DATA_DIR/images with the normalised ref.name" "docker.io/library/alpine:latest" \
    "$(jget 'd["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"]' "$DIR/images/index.json")"

ls_out=$("$ANZEN" image ls --data-dir "$DIR" 2>&1)
expect_eq "ls exits 0" 0 "$?"
expect_match "ls header as crictl's" '^IMAGE +TAG +IMAGE ID +SIZE$' "$ls_out"
expect_match "ls lists alpine:latest with a 13-hex ID and a size" \
    '^docker\.io/library/alpine +latest +[0-9a-f]{13} +[0-9.]+MB$' "$ls_out"

# flags after the path, --image-dir
"$ANZEN" image import "$DIR/test-image" --name tools:v2 --image-dir "$DIR/images" >/dev/null 2>&1
expect_eq "import with flags after PATH and --image-dir" 0 "$?"
expect_match "tools:v2 listed" '^docker\.io/library/tools +v2 ' "$("$ANZEN" image ls --image-dir "$DIR/images")"

# ---- a docker save tarball and an OCI archive, made by skopeo ----
skopeo copy -q "oci:$DIR/test-image:latest" "docker-archive:$DIR/saved.tar:example.com/team/curl:1.0" 2>&1
expect_eq "skopeo writes a docker-archive" 0 "$?"
expect_contains "the docker-archive has a manifest.json" "manifest.json" "$(tar -tf "$DIR/saved.tar")"
out=$("$ANZEN" image import --data-dir "$DIR" "$DIR/saved.tar" 2>&1)
expect_eq "docker save tarball imports under its RepoTags" 0 "$?"
out=$("$ANZEN" image import --data-dir "$DIR" "$DIR/saved.tar" --name saved 2>&1)
expect_eq "docker save tarball imports under --name" 0 "$?"
skopeo copy -q "oci:$DIR/test-image:latest" "oci-archive:$DIR/oci.tar:latest" 2>&1
out=$("$ANZEN" image import --data-dir "$DIR" "$DIR/oci.tar" 2>&1)
expect_eq "an OCI archive with only a tag needs --name" 1 "$?"
expect_contains "and says so" "give one with --name" "$out"
out=$("$ANZEN" image import --data-dir "$DIR" "$DIR/oci.tar" --name localhost:5000/oci/arch:t 2>&1)
expect_eq "OCI archive imports under --name" 0 "$?"
ls_out=$("$ANZEN" image ls --data-dir "$DIR")
expect_match "docker-archive image listed under its RepoTag" '^example\.com/team/curl +1\.0 ' "$ls_out"
expect_match "docker-archive image listed under --name" '^docker\.io/library/saved +latest ' "$ls_out"
expect_match "OCI archive image listed" '^localhost:5000/oci/arch +t ' "$ls_out"
expect_eq "ls is sorted by reference" "$(echo "$ls_out" | tail -n +2 | sort)" "$(echo "$ls_out" | tail -n +2)"
expect_eq "no import leftovers in the store" "" "$(ls -A "$DIR/images" | grep -v -E '^(blobs|index.json|oci-layout|\.lock)$')"

# ---- errors ----
out=$("$ANZEN" image import --data-dir "$DIR" "$DIR/test-image" --name 'Bad:Name' 2>&1)
expect_eq "invalid name: exit 1" 1 "$?"
expect_contains "invalid name: message" 'invalid reference format: "Bad:Name"' "$out"
out=$("$ANZEN" image import --data-dir "$DIR" "$DIR/nothing-here" --name x 2>&1)
expect_eq "missing path: exit 1" 1 "$?"
expect_contains "missing path: message" "No such file or directory" "$out"
"$ANZEN" image import --data-dir "$DIR" 2>/dev/null
expect_eq "import without PATH: usage, exit 2" 2 "$?"

# ---- concurrent imports into one store (the lock) ----
pids=""
for i in 1 2 3 4; do
    "$ANZEN" image import --data-dir "$DIR" "$DIR/test-image" --name "race$i:v" >"$DIR/race$i.out" 2>&1 &
    pids="$pids $!"
done
fails=0
for p in $pids; do wait "$p" || fails=$((fails + 1)); done
expect_eq "4 concurrent imports succeed" 0 "$fails"
ls_out=$("$ANZEN" image ls --data-dir "$DIR")
expect_eq "all 4 concurrent imports are listed" 4 "$(echo "$ls_out" | grep -c -E '^docker\.io/library/race[1-4] +v ')"

# ---- unpack and run without a runtime (chroot) ----
cfg=$("$ANZEN" image unpack --data-dir "$DIR" example.com/team/curl:1.0 "$DIR/rootfs" 2>&1)
expect_eq "unpack the docker-archive image exits 0" 0 "$?"
expect_eq "unpack prints the config's Cmd" '["sh"]' "$(echo "$cfg" | jget 'd["Cmd"]')"
expect_contains "unpack prints the config's PATH" "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "$cfg"
out=$(chroot "$DIR/rootfs" /bin/sh -c 'curl --version; id' 2>&1)
expect_eq "chroot sh -c 'curl --version; id' exits 0" 0 "$?"
expect_match "curl runs with its libraries" '^curl [0-9]+\.[0-9]+' "$out"
expect_contains "id as root" "uid=0(root) gid=0(root)" "$out"
out=$(chroot --userspec=1000:1000 "$DIR/rootfs" /bin/sh -c 'id; echo x >/tmp/f && cat /tmp/f' 2>&1)
expect_contains "uid 1000 is 'user'" "uid=1000(user) gid=1000(user)" "$out"
expect_contains "uid 1000 can write /tmp" "x" "$out"
out=$(chroot "$DIR/rootfs" /bin/sh -c 'for a in sh ls cat id ps grep sleep tail echo hostname ip wget nc touch mkdir env test head sed tr wc date; do command -v $a >/tmp/which || echo "missing $a"; done; curl -sS file:///etc/group' 2>&1)
expect_not_contains "the busybox applets are there" "missing" "$out"
expect_contains "curl reads a file: URL" "nogroup:x:65534:" "$out"
expect_eq "/tmp is 1777" 1777 "$(stat -c %a "$DIR/rootfs/tmp")"
expect_eq "/home/user is owned by 1000" "1000:1000" "$(stat -c %u:%g "$DIR/rootfs/home/user")"
expect_eq "CA bundle present" 0 "$([ -s "$DIR/rootfs/etc/ssl/certs/ca-certificates.crt" ]; echo $?)"

"$ANZEN" image unpack --data-dir "$DIR" alpine "$DIR/rootfs2" >/dev/null 2>&1
expect_eq "unpack by short name (alpine)" 0 "$?"
rm -f "$DIR/rootfs/tmp/f" "$DIR/rootfs/tmp/which"
expect_eq "both unpacks have the same files" "$(cd "$DIR/rootfs" && find . -printf '%p %m %u %l\n' | sort | md5sum)" \
    "$(cd "$DIR/rootfs2" && find . -printf '%p %m %u %l\n' | sort | md5sum)"
out=$("$ANZEN" image unpack --data-dir "$DIR" alpine "$DIR/rootfs2" 2>&1)
expect_eq "unpack into an existing directory: exit 1" 1 "$?"
expect_contains "and says it exists" "File exists" "$out"
out=$("$ANZEN" image unpack --data-dir "$DIR" nosuch:1 "$DIR/rootfs3" 2>&1)
expect_eq "unpack of a missing image: exit 1" 1 "$?"
expect_contains "and says not found" 'image "docker.io/library/nosuch:1" not found' "$out"
expect_eq "no rootfs left behind" 1 "$([ -e "$DIR/rootfs3" ]; echo $?)"

# ---- pull without a reachable registry ----
# A network namespace of our own (only a down loopback): no registry can be reached. The
# `timeout` is a safety net only; skopeo fails at the first DNS lookup.
if unshare -n true 2>/dev/null; then
    out=$(timeout 300 unshare -n "$ANZEN" image pull --data-dir "$DIR" nginx:1.25 2>&1)
    rc=$?
    expect_eq "pull without a registry: exit 1 (not a hang)" 1 "$rc"
    expect_contains "pull error worded as kubelet reports it" \
        'rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/nginx:1.25": failed to resolve reference "docker.io/library/nginx:1.25"' "$out"
    expect_not_contains "no pulled image listed" "nginx" "$("$ANZEN" image ls --data-dir "$DIR")"
else
    e2e_fail "unshare -n works (root)" "a network namespace" "unshare failed"
fi
out=$("$ANZEN" image pull --data-dir "$DIR" 'UPPER/case' 2>&1)
expect_eq "pull of an invalid reference: exit 1" 1 "$?"
expect_contains "pull of an invalid reference: message" "invalid reference format" "$out"

e2e_finish
