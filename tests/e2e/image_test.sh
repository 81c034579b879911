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

e2e_require_root "chroot, ownership of the unpacked rootfs"
e2e_require_cmd skopeo umoci

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

# a tarball with two RepoTags for one image: both names
skopeo copy -q --additional-tag example.com/team/curl:latest "oci:$DIR/test-image:latest" \
    "docker-archive:$DIR/two-tags.tar:example.com/team/curl:2.0" 2>&1
out=$("$ANZEN" image import --image-dir "$DIR/two" "$DIR/two-tags.tar" 2>&1)
expect_eq "docker save tarball with two RepoTags imports" 0 "$?"
ls_out=$("$ANZEN" image ls --image-dir "$DIR/two")
expect_match "first RepoTag listed" '^example\.com/team/curl +2\.0 ' "$ls_out"
expect_match "second RepoTag listed" '^example\.com/team/curl +latest ' "$ls_out"

# rm: a name goes, the blobs another name uses stay; the last name takes its blobs along
blobs_before=$(ls "$DIR/two/blobs/sha256" | wc -l)
out=$("$ANZEN" image rm --image-dir "$DIR/two" example.com/team/curl:2.0 2>&1)
expect_eq "rm exits 0" 0 "$?"
expect_eq "rm says what it deleted (as crictl rmi)" "Deleted: example.com/team/curl:2.0" "$out"
expect_no_match "the removed name is not listed" '^example\.com/team/curl +2\.0 ' "$("$ANZEN" image ls --image-dir "$DIR/two")"
expect_eq "blobs still used by the other name stay" "$blobs_before" "$(ls "$DIR/two/blobs/sha256" | wc -l)"
"$ANZEN" image rm --image-dir "$DIR/two" example.com/team/curl >/dev/null 2>&1
expect_eq "rm of the last name deletes its blobs" 0 "$(ls "$DIR/two/blobs/sha256" | wc -l)"
out=$("$ANZEN" image rm --image-dir "$DIR/two" example.com/team/curl 2>&1)
expect_eq "rm of a missing image: exit 1" 1 "$?"
expect_contains "rm of a missing image: message" 'image "example.com/team/curl:latest" not found' "$out"

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

# ---- staging directories: a crashed copy's is removed at the next commit, a live one kept ----
mkdir -p "$DIR/images/.staging-crashed/layout"
mkdir -p "$DIR/images/.staging-live"
exec {live_fd}<"$DIR/images/.staging-live"   # this shell holds the live one's lock
flock -x "$live_fd"
"$ANZEN" image import --data-dir "$DIR" "$DIR/test-image" --name after-crash:1 >/dev/null 2>&1
expect_eq "import after a crash exits 0" 0 "$?"
expect_eq "a crashed copy's staging directory is removed" 1 "$([ -e "$DIR/images/.staging-crashed" ]; echo $?)"
expect_eq "a live copy's staging directory is kept" 0 "$([ -d "$DIR/images/.staging-live" ]; echo $?)"
exec {live_fd}<&-
rm -rf "$DIR/images/.staging-live"

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

# ---- malicious images: a layer may not write on the host ----
# Hand-made OCI layouts (python3 tarfile): "symlinks" points a symlink at a host directory
# (absolute and relative) and writes through it, links the host's file and replaces a symlink
# to it; "dotdot" names a path with "..". The first unpacks with everything inside the rootfs,
# the second is refused; the host directory is unchanged either way.
HOST="$DIR/host-marker"
mkdir -p "$HOST" && echo original >"$HOST/file"
"$PY" - "$DIR" "$HOST" <<'PYEOF'
import hashlib, io, json, os, sys, tarfile
top, host = sys.argv[1], sys.argv[2]
def layout(path, entries):
    os.makedirs(path + "/blobs/sha256")
    def blob(data):
        d = hashlib.sha256(data).hexdigest()
        open(f"{path}/blobs/sha256/{d}", "wb").write(data)
        return {"digest": "sha256:" + d, "size": len(data)}
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, kind, arg in entries:
            ti = tarfile.TarInfo(name)
            data = b""
            if kind == "file":
                data = arg.encode(); ti.size = len(data)
            elif kind == "symlink":
                ti.type, ti.linkname = tarfile.SYMTYPE, arg
            elif kind == "hardlink":
                ti.type, ti.linkname = tarfile.LNKTYPE, arg
            t.addfile(ti, io.BytesIO(data))
    layer = blob(bio.getvalue()); layer["mediaType"] = "application/vnd.oci.image.layer.v1.tar"
    cfg = blob(json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
                           "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]}}).encode())
    cfg["mediaType"] = "application/vnd.oci.image.config.v1+json"
    man = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": cfg, "layers": [layer]}).encode())
    man["mediaType"] = "application/vnd.oci.image.manifest.v1+json"
    man["annotations"] = {"org.opencontainers.image.ref.name": "latest"}
    json.dump({"schemaVersion": 2, "manifests": [man]}, open(path + "/index.json", "w"))
    open(path + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
up = "../" * 12
layout(top + "/evil-symlinks", [
    ("abs", "symlink", host), ("abs/pwned-abs", "file", "x"), ("abs/file", "file", "overwritten"),
    ("rel", "symlink", up + host.lstrip("/")), ("rel/pwned-rel", "file", "x"),
    ("tofile", "symlink", host + "/file"), ("tofile", "file", "overwritten"),
    ("abs/.wh.file", "file", ""),
])
layout(top + "/evil-dotdot", [("ok", "file", "x"), ("a/../../../../../.." + host + "/pwned", "file", "x")])
layout(top + "/evil-hardlink", [("hl", "hardlink", host + "/file")])
PYEOF
"$ANZEN" image import --data-dir "$DIR" "$DIR/evil-symlinks" --name evil/symlinks >/dev/null 2>&1
"$ANZEN" image import --data-dir "$DIR" "$DIR/evil-dotdot" --name evil/dotdot >/dev/null 2>&1
"$ANZEN" image import --data-dir "$DIR" "$DIR/evil-hardlink" --name evil/hardlink >/dev/null 2>&1
expect_match "the crafted images are imported" '^docker\.io/evil/symlinks +latest ' "$("$ANZEN" image ls --data-dir "$DIR")"
out=$("$ANZEN" image unpack --data-dir "$DIR" evil/symlinks "$DIR/evil-root1" 2>&1)
expect_eq "symlink tricks: unpack succeeds (inside the rootfs)" 0 "$?"
expect_eq "symlink tricks: absolute symlink resolved inside the rootfs" "x" "$(cat "$DIR/evil-root1$HOST/pwned-abs" 2>&1)"
expect_eq "symlink tricks: relative symlink resolved inside the rootfs" "x" "$(cat "$DIR/evil-root1$HOST/pwned-rel" 2>&1)"
expect_eq "symlink tricks: the whited-out file was the rootfs' own" 1 "$([ -e "$DIR/evil-root1$HOST/file" ]; echo $?)"
expect_eq "symlink tricks: the replaced symlink is a file in the rootfs" "overwritten" "$(cat "$DIR/evil-root1/tofile")"
out=$("$ANZEN" image unpack --data-dir "$DIR" evil/dotdot "$DIR/evil-root2" 2>&1)
expect_eq "'..' in a layer: unpack refused" 1 "$?"
expect_contains "'..' in a layer: message" "escapes the root filesystem" "$out"
expect_eq "'..' in a layer: no rootfs left" 1 "$([ -e "$DIR/evil-root2" ]; echo $?)"
out=$("$ANZEN" image unpack --data-dir "$DIR" evil/hardlink "$DIR/evil-root3" 2>&1)
expect_eq "hard link to a host file: unpack refused" 1 "$?"
expect_eq "the host directory holds only its file" "file" "$(ls -A "$HOST" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "the host file is unchanged" "original" "$(cat "$HOST/file")"
expect_eq "the host file has one link" 1 "$(stat -c %h "$HOST/file")"

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
