#!/usr/bin/env bash
# End-to-end: the Go type descriptions served in /openapi/v3 (the one table in
# src/machinery/schema_core.c that strict field validation, the protobuf decoder and the
# OpenAPI documents read) against upstream's generated definitions as Debian's
# python3-kubernetes client carries them: every field of every type the client knows, by JSON
# name and shape (schema_upstream_compare.py; the client is Kubernetes 1.22, so the few
# renames since are listed there). Also shows that the comparison catches a changed table.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
/usr/bin/python3 -c 'import kubernetes' 2>/dev/null || e2e_skip "python3-kubernetes not installed (scripts/install-deps.sh)"
server_start "$T/data" || exit 1
CMP="$(dirname "$0")/schema_upstream_compare.py"

kc get --raw /openapi/v3 >"$T/index.json" 2>&1
docs=()
for url in $(/usr/bin/python3 -c 'import json,sys; [print(v["serverRelativeURL"]) for v in json.load(open(sys.argv[1]))["paths"].values()]' "$T/index.json"); do
    f="$T/doc${#docs[@]}.json"
    kc get --raw "$url" >"$f" 2>&1
    docs+=("$f")
done
expect_eq "/openapi/v3 lists the served group-versions" 7 "${#docs[@]}"

out=$(/usr/bin/python3 "$CMP" "${docs[@]}" 2>&1)
expect_eq "no difference from upstream's definitions" "" "$(grep -v '^checked ' <<<"$out")"
checked=$(grep '^checked ' <<<"$out")
n_types=$(awk '{print $2}' <<<"$checked")
n_fields=$(awk '{print $4}' <<<"$checked")
expect_gt "types compared (>150)" "${n_types:-0}" 150
expect_gt "fields compared (>800)" "${n_fields:-0}" 800

# the comparison sees a field dropped from the table and a field of another type
core=$(grep -l '"io.k8s.api.core.v1.PodSpec"' "${docs[@]}" | head -n 1)
/usr/bin/python3 - "$core" "$T/broken.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["components"]["schemas"]
del s["io.k8s.api.core.v1.PodSpec"]["properties"]["hostNetwork"]
s["io.k8s.api.core.v1.Container"]["properties"]["name"] = {"type": "integer"}
json.dump(d, open(sys.argv[2], "w"))
PY
out=$(/usr/bin/python3 "$CMP" "$T/broken.json" 2>&1)
expect_eq "a changed table is reported" \
    "io.k8s.api.core.v1.Container.name: upstream str, anzen {\"type\": \"integer\"}
io.k8s.api.core.v1.PodSpec.hostNetwork: missing" "$(grep -v '^checked ' <<<"$out")"

e2e_finish
