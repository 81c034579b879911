#!/bin/sh
# layers.sh — prints the include graph between the folders of src/ and fails (exit 1) when it
# has a cycle or an edge that points up (or sideways) the documented layer order:
#
#   cmd          start-up wiring: the const tables of authorizers, admission plugins,
#                routes and controllers (cmd/serve.c)
#   http         the HTTPS front end; it serves pods/log and pods/exec by calling the node
#                agent (upstream: the API server's kubelet client), so it sits above node
#   controllers  node  analyze      (peers: none includes another)
#   client       the in-process entry to the request path: client_call() authorizes
#                controllers, scheduler and node agent as their own identities
#   audit
#   authn
#   authz
#   admission
#   registry
#   machinery
#   store
#   util
#
# A folder may include only folders on a lower line. A folder of src/ not named here fails
# too: place it in the order first (and in docs/internals/layers.md). It also fails when
# controllers/ or node/ write through the registry directly instead of client_call().
# Usage: scripts/layers.sh [SRC_DIR]   (default: the src/ beside this script)
set -u
src=${1:-$(dirname "$0")/../src}
order='util:0 store:1 machinery:2 registry:3 admission:4 authz:5 authn:6 audit:7 client:8 controllers:9 node:9 analyze:9 http:10 cmd:11'
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
cd "$src"
# every '#include "FOLDER/..."' between two different folders, one line "from to" each
find . -name '*.[ch]' | sed 's|^\./||' | sort | while read -r f; do
    from=${f%%/*}
    if [ "$from" = "$f" ]; then from=.; fi
    sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"/]*\)\/.*/\1/p' "$f" |
        while read -r to; do
            if [ "$to" != "$from" ] && [ -d "$to" ]; then echo "$from $to"; fi
        done
done > "$edges"
status=0
echo "folder include graph of src/ (from -> to: files including)"
sort "$edges" | uniq -c | awk '{printf "  %-12s -> %-12s %d\n", $2, $3, $1}'
for d in $(find . -mindepth 1 -maxdepth 1 -type d | sed 's|^\./||' | sort); do
    case " $order " in
    *" $d:"*) ;;
    *) echo "layers: src/$d is not in the layer order (scripts/layers.sh)"; status=1 ;;
    esac
done
rank() { echo "$order" | tr ' ' '\n' | awk -F: -v d="$1" '$1 == d {print $2}'; }
for e in $(sort -u "$edges" | tr ' ' ':'); do
    from=${e%%:*}
    to=${e#*:}
    rf=$(rank "$from")
    rt=$(rank "$to")
    [ -n "$rf" ] && [ -n "$rt" ] || continue
    if [ "$rf" -le "$rt" ]; then
        echo "layers: src/$from includes src/$to, which is not below it:"
        grep -ln "^[[:space:]]*#[[:space:]]*include[[:space:]]*\"$to/" $(find "$from" -name '*.[ch]') | sed 's/^/    /'
        status=1
    fi
done
# tsort names the folders of any cycle
if ! sort -u "$edges" | tsort >/dev/null 2>"$edges.err"; then
    echo "layers: the folder graph has a cycle:"
    sed 's/^/    /' "$edges.err"
    status=1
fi
rm -f "$edges.err"
# the controllers and the node agent write only through the internal call, which authorizes
# them as their own identities (their reads stand for informer caches: direct lister reads)
direct=$(grep -nE '(^|[^a-z_])rest_(create|update|patch|apply|delete|deletecollection)\(' \
             controllers/*.c node/*.c 2>/dev/null)
if [ -n "$direct" ]; then
    echo "layers: in-process writes must go through client_call() (client/client.h):"
    echo "$direct" | sed 's/^/    /'
    status=1
fi
[ $status -eq 0 ] && echo "layers: acyclic, every edge points down"
exit $status
