#!/usr/bin/env bash
# End-to-end: `kubectl debug` with ephemeral containers (kubectl 1.32, the embedded node agent):
#   - `kubectl debug pod/x --image=... -- CMD` adds an ephemeral container through
#     pods/ephemeralcontainers (a strategic merge patch); the node runs it once in the pod's
#     sandbox, status.ephemeralContainerStatuses reports it, `kubectl logs x -c debugger-...`
#     shows its output; the pod stays Running and its own container is untouched;
#   - --target=c: the debugger sees c's processes (c's PID namespace); without it, it does not;
#   - validation as upstream's ValidatePodEphemeralContainersUpdate (forbidden fields, unknown
#     target, existing ones neither removed nor changed) and GET of the subresource;
#   - RBAC: kubectl debug needs `patch` on pods/ephemeralcontainers.
#   - `kubectl debug -i`: kubectl attaches to the ephemeral container's stdin and output.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
e2e_node_server
phase() { e2e_pod_phase "$1" default "$2" 60; }

k run app --image=alpine:latest --restart=Never --command -- sleep 3600 >/dev/null
expect_eq "app: Running" "Running" "$(phase app Running)"

# ---- non-interactive debug -------------------------------------------------------------------
out=$(k debug pod/app --image=alpine:latest -- sh -c 'echo hi from debug; id -u; ps -o comm | grep -c sleep; true' 2>&1)
DBG=$(printf '%s\n' "$out" | sed -n 's/^Defaulting debug container name to \(debugger-[a-z0-9]*\)\.$/\1/p')
expect_match "kubectl debug: the container name it chose" "^debugger-[a-z0-9]{5}$" "$DBG"
expect_eq "kubectl debug: the ephemeral container in the spec" "$DBG alpine:latest" \
    "$(k get pod app -o jsonpath='{.spec.ephemeralContainers[0].name} {.spec.ephemeralContainers[0].image}')"
eterm() { [ -n "$(k get pod app -o jsonpath='{.status.ephemeralContainerStatuses[0].state.terminated.reason}')" ]; }
wait_until 60 eterm
expect_eq "ephemeralContainerStatuses: ran and completed" "$DBG Completed 0" \
    "$(k get pod app -o jsonpath='{.status.ephemeralContainerStatuses[0].name} {.status.ephemeralContainerStatuses[0].state.terminated.reason} {.status.ephemeralContainerStatuses[0].state.terminated.exitCode}')"
expect_eq "kubectl logs -c DEBUGGER: its output (own PID namespace: no sleep)" "hi from debug
0
0" "$(k logs app -c "$DBG" 2>&1)"
expect_eq "kubectl logs without -c: still the pod's container (nothing logged)" "" "$(k logs app 2>/dev/null)"
expect_eq "kubectl logs without -c: kubectl's note lists the ephemeral one" \
    "Defaulted container \"app\" out of: app, $DBG (ephem)" "$(k logs app 2>&1 >/dev/null)"
expect_eq "the pod stays Running, ready, its container not restarted" "Running true 0" \
    "$(k get pod app -o jsonpath='{.status.phase} {.status.containerStatuses[0].ready} {.status.containerStatuses[0].restartCount}')"
expect_eq "ephemeral containers are not restarted" "0" \
    "$(k get pod app -o jsonpath='{.status.ephemeralContainerStatuses[0].restartCount}')"
expect_contains "kubectl describe: Ephemeral Containers" "Ephemeral Containers:
  $DBG:" "$(k describe pod app 2>&1)"

# ---- --target: the target's PID namespace -----------------------------------------------------
out=$(k debug pod/app --image=alpine:latest --target=app -- sh -c 'ps -o comm,args | grep "sleep 3600" | grep -v grep' 2>&1)
expect_contains "kubectl debug --target: kubectl's note" 'Targeting container "app".' "$out"
DBG2=$(printf '%s\n' "$out" | sed -n 's/^Defaulting debug container name to \(debugger-[a-z0-9]*\)\.$/\1/p')
eterm2() { [ "$(k get pod app -o jsonpath="{.status.ephemeralContainerStatuses[?(@.name==\"$DBG2\")].state.terminated.reason}")" != "" ]; }
wait_until 60 eterm2
expect_eq "--target: the targetContainerName" "app" \
    "$(k get pod app -o jsonpath="{.spec.ephemeralContainers[?(@.name==\"$DBG2\")].targetContainerName}")"
expect_match "--target: the debugger sees the target's process" "sleep +sleep 3600" "$(k logs app -c "$DBG2" 2>&1)"

# ---- the subresource with curl -------------------------------------------------------------------
req GET /api/v1/namespaces/default/pods/app/ephemeralcontainers
expect_eq "GET pods/ephemeralcontainers: the Pod" "200 Pod 2" "$CODE $(jget 'd["kind"]+" "+str(len(d["spec"]["ephemeralContainers"]))' "$T/body")"
req PATCH /api/v1/namespaces/default/pods/app/ephemeralcontainers -H 'Content-Type: application/json-patch+json' \
    -d '[{"op":"add","path":"/spec/ephemeralContainers/-","value":{"name":"bad","image":"alpine:latest","ports":[{"containerPort":80}],"resources":{"limits":{"cpu":"1"}},"targetContainerName":"nope"}}]'
expect_eq "forbidden fields: 422" "422 Invalid" "$CODE $(jget 'd["reason"]' "$T/body")"
expect_eq "forbidden fields: upstream's texts" \
    'Pod "app" is invalid: [spec.ephemeralContainers[2].targetContainerName: Not found: "nope", spec.ephemeralContainers[2].ports: Forbidden: cannot be set for an Ephemeral Container, spec.ephemeralContainers[2].resources: Forbidden: cannot be set for an Ephemeral Container]' \
    "$(jget 'd["message"]' "$T/body")"
req PATCH /api/v1/namespaces/default/pods/app/ephemeralcontainers -H 'Content-Type: application/json-patch+json' \
    -d '[{"op":"remove","path":"/spec/ephemeralContainers/0"}]'
expect_eq "removing one: 422 with upstream's text" "422 Pod \"app\" is invalid: spec.ephemeralContainers: Forbidden: existing ephemeral containers \"$DBG\" may not be removed" \
    "$CODE $(jget 'd["message"].rstrip()' "$T/body")"
req PATCH /api/v1/namespaces/default/pods/app/ephemeralcontainers -H 'Content-Type: application/json-patch+json' \
    -d '[{"op":"replace","path":"/spec/ephemeralContainers/0/image","value":"other:1"}]'
expect_eq "changing one: 422" "422" "$CODE"
expect_contains "changing one: upstream's text" "spec.ephemeralContainers[$DBG]: Forbidden: existing ephemeral containers \"$DBG\" may not be changed" "$(jget 'd["message"]' "$T/body")"
req PATCH /api/v1/namespaces/default/pods/app -H 'Content-Type: application/merge-patch+json' \
    -d '{"spec":{"ephemeralContainers":null}}'
expect_eq "the pod itself cannot change its ephemeral containers" "422" "$CODE"
expect_contains "... with the Pod update text" "pod updates may not change fields other than" "$(jget 'd["message"]' "$T/body")"

# ---- RBAC -------------------------------------------------------------------------------------
k create sa dbg >/dev/null
k create role pod-reader --verb=get,list,patch --resource=pods >/dev/null
k create rolebinding dbg-read --role=pod-reader --serviceaccount=default:dbg >/dev/null
TOK=$(k create token dbg)
dk() { "$K" --kubeconfig /dev/null --server "$BASE" --certificate-authority "$SERVER_DIR/pki/ca.crt" --token "$TOK" "$@"; }
out=$(dk debug pod/app --image=alpine:latest -- true 2>&1)
expect_contains "without pods/ephemeralcontainers: forbidden" \
    'pods "app" is forbidden: User "system:serviceaccount:default:dbg" cannot patch resource "pods/ephemeralcontainers" in API group "" in the namespace "default"' "$out"
k create role debugger --verb=patch --resource=pods/ephemeralcontainers >/dev/null
k create rolebinding dbg-debug --role=debugger --serviceaccount=default:dbg >/dev/null
out=$(dk debug pod/app --image=alpine:latest -- true 2>&1)
expect_match "with patch on pods/ephemeralcontainers: added" "Defaulting debug container name to debugger-[a-z0-9]{5}\." "$out"
expect_eq "three ephemeral containers now" "3" "$(k get pod app -o jsonpath='{.spec.ephemeralContainers[*].name}' | wc -w)"

# ---- other kubectl versions add ephemeral containers the same way ------------------------------
for v in 1.27 1.33; do
    KV=/usr/lib/google-cloud-sdk/bin/kubectl.$v
    [ -x "$KV" ] || continue
    out=$("$KV" --kubeconfig "$KCFG" --cache-dir "$T/kcache$v" debug pod/app --image=alpine:latest -- sh -c "echo from $v" 2>&1)
    name=$(printf '%s\n' "$out" | sed -n 's/^Defaulting debug container name to \(debugger-[a-z0-9]*\)\.$/\1/p')
    expect_match "kubectl $v debug: added" "^debugger-[a-z0-9]{5}$" "$name"
    done_v() { [ "$(k get pod app -o jsonpath="{.status.ephemeralContainerStatuses[?(@.name==\"$name\")].state.terminated.reason}")" = Completed ]; }
    wait_until 60 done_v
    expect_eq "kubectl $v debug: its output" "from $v" "$(k logs app -c "$name" 2>&1)"
done

# ---- interactive: kubectl attaches to the ephemeral container -------------------------------------
out=$(printf 'echo from-stdin-$((6*7))\nexit\n' | k debug -i pod/app --image=alpine:latest -- sh 2>&1)
expect_contains "kubectl debug -i: the shell read stdin and its output came back" "from-stdin-42" "$out"

k delete pod app --grace-period=0 --force >/dev/null 2>&1
e2e_finish
