#!/usr/bin/env bash
# End-to-end: the embedded node agent runs the seed's pods in containers (runc, the test
# image imported as alpine:latest, a CNI bridge network) — the Node
# object, scheduling, the kube-api-access volume (`..data` scheme, modes), the in-pod client
# environment (the seed pod's 403 and SSAR from inside), a runner pod that creates a Job whose
# pod runs to completion, automountServiceAccountToken: false, a projected token (audience api,
# 600 s) that works and gets the exact 401 once its pod is deleted (processes killed, pod dir
# removed), hostPath, failing and unstartable containers, init containers, $(VAR) expansion,
# configMap/secret/downwardAPI volumes, logs (tailLines, container errors) and restarts.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
e2e_require_node

# the node agent runs pods; the "api" audience is accepted besides the issuer
SERVE_FLAGS="--api-audiences=https://kubernetes.default.svc.cluster.local,api"
server_start "$T/data" || exit 1
e2e_import_test_image "$SERVER_DIR"
NODE_DIR="$SERVER_DIR/node"

# phase POD NS REGEX: wait (<= 20 s) for the pod phase to match ^(REGEX)$ (e.g. 'Succeeded|Failed').
phase() { e2e_pod_phase "$1" "$2" "$3" 20; }
pod_uid() { kc get pod "$1" -n "$2" -o jsonpath='{.metadata.uid}'; }
jwt_claims() { cut -d. -f2 | "$PY" -c 'import sys,base64; s=sys.stdin.read().strip(); s+="="*(-len(s)%4); sys.stdout.write(base64.urlsafe_b64decode(s).decode())'; }

# ---- the Node -----------------------------------------------------------------------------
NODE=$(kc get nodes -o jsonpath='{.items[0].metadata.name}')
expect_ne "one Node is registered" "" "$NODE"
kc get node "$NODE" -o json >"$T/node.json"
expect_eq "Node labels hostname/os" "$NODE linux" "$(jget 'd["metadata"]["labels"]["kubernetes.io/hostname"]+" "+d["metadata"]["labels"]["kubernetes.io/os"]' "$T/node.json")"
expect_eq "Node Ready=True (KubeletReady)" "True KubeletReady" "$(jget '[c["status"]+" "+c["reason"] for c in d["status"]["conditions"] if c["type"]=="Ready"][0]' "$T/node.json")"
expect_eq "Node addresses (InternalIP: the pod bridge's address)" '[{"address":"10.88.0.1","type":"InternalIP"},{"address":"'"$NODE"'","type":"Hostname"}]' \
    "$(jget 'sorted(d["status"]["addresses"], key=lambda a: a["type"]!="InternalIP")' "$T/node.json" | "$PY" -c 'import json,sys; print(json.dumps([dict(sorted(a.items())) for a in json.load(sys.stdin)],separators=(",",":")))')"
expect_eq "Node kubeletVersion" "v1.32.0" "$(jget 'd["status"]["nodeInfo"]["kubeletVersion"]' "$T/node.json")"
expect_eq "kubectl get nodes shows Ready" "Ready" "$(kc get nodes --no-headers | awk '{print $2}')"
expect_eq "Node kubeProxyVersion (1.32 kubelets still set it)" "v1.32.0" "$(jget 'd["status"]["nodeInfo"]["kubeProxyVersion"]' "$T/node.json")"
# the Python client's typed decoding requires nodeInfo.kubeProxyVersion
PYNODE=$("$PY" - "$KCFG" "$NODE" <<'PYEOF' 2>&1
import sys, urllib3
urllib3.disable_warnings()
from kubernetes import client, config
config.load_kube_config(config_file=sys.argv[1])
n = client.CoreV1Api().read_node(sys.argv[2])
print(n.metadata.name, n.status.node_info.kubelet_version, n.status.node_info.kube_proxy_version)
PYEOF
)
expect_eq "python read_node decodes the Node" "$NODE v1.32.0 v1.32.0" "$PYNODE"

# ---- the node Lease (kubelet's lease controller) --------------------------------------------
kc get lease "$NODE" -n kube-node-lease -o json >"$T/lease.json" 2>"$T/lease.err"
expect_eq "Lease kube-node-lease/<node>: holder = node, 40 s" "$NODE 40" \
    "$(jget 'd["spec"]["holderIdentity"]+" "+str(d["spec"]["leaseDurationSeconds"])' "$T/lease.json")"
expect_eq "Lease owned by its Node" "v1 Node $NODE $(kc get node "$NODE" -o jsonpath='{.metadata.uid}')" \
    "$(jget '" ".join(d["metadata"]["ownerReferences"][0][k] for k in ("apiVersion","kind","name","uid"))' "$T/lease.json")"
expect_match "Lease renewTime is a MicroTime" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$' \
    "$(jget 'd["spec"]["renewTime"]' "$T/lease.json")"
RENEW1=$(jget 'd["spec"]["renewTime"]' "$T/lease.json")
lease_renewed() { [ "$(kc get lease "$NODE" -n kube-node-lease -o jsonpath='{.spec.renewTime}')" != "$RENEW1" ]; }
wait_until 60 lease_renewed
expect_ne "Lease renewed by the heartbeat (every 10 s)" "$RENEW1" "$(kc get lease "$NODE" -n kube-node-lease -o jsonpath='{.spec.renewTime}')"
DESC=$(kc describe node "$NODE" 2>&1)
expect_not_contains "describe node finds the Lease" "Failed to get lease" "$DESC"
expect_match "describe node: Lease HolderIdentity" "HolderIdentity:[[:space:]]+$NODE" "$(printf '%s\n' "$DESC" | grep HolderIdentity)"

# ---- the seed pod -------------------------------------------------------------------------
kc apply -f "$SEED/manifests.yaml" >/dev/null
wait_until 10 kc get sa default -n lab >/dev/null 2>&1
kc apply -f "$SEED/pod-seed.yaml" >/dev/null
expect_eq "seed pod test reaches Succeeded" "Succeeded" "$(phase test lab 'Succeeded|Failed')"
expect_eq "test is bound to the node" "$NODE" "$(kc get pod test -n lab -o jsonpath='{.spec.nodeName}')"
LOG=$(kc logs test -n lab)
expect_eq "test lists ca.crt namespace token" "ca.crt namespace token " "$(printf '%s\n' "$LOG" | head -3 | tr '\n' ' ')"
# curl's pretty JSON has no trailing newline (spec/06), so the next marker follows the `}`
between() { printf '%s' "$LOG" | "$PY" -c 'import sys; t=sys.stdin.read(); print(t.split(sys.argv[1],1)[1].split(sys.argv[2],1)[0])' "$1" "$2"; }
F403=$(between ---403--- ---SSAR---)
expect_eq "the pod's curl gets the seed's 403, field for field" "$(jnorm <"$SEED/forbidden.json")" "$(printf '%s' "$F403" | jnorm)"
SSAR=$(between ---SSAR--- ---END---)
expect_eq "the pod's SSAR says allowed: false" '{"allowed":false}' "$(printf '%s' "$SSAR" | jget 'd["status"]')"
kc get pod test -n lab -o json >"$T/test.json"
expect_eq "test containerStatus terminated Completed 0" "Completed 0" \
    "$(jget 'd["status"]["containerStatuses"][0]["state"]["terminated"]["reason"]+" "+str(d["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"])' "$T/test.json")"
expect_eq "test conditions (upstream order, completed pod)" \
    "PodReadyToStartContainers=False Initialized=True Ready=False ContainersReady=False PodScheduled=True" \
    "$(jget '" ".join(c["type"]+"="+c["status"] for c in d["status"]["conditions"])' "$T/test.json")"
expect_match "test hostIP/podIP: the pod has its own address on the bridge" '^10\.88\.0\.1 10\.88\.0\.([2-9]|[1-9][0-9]+)$' "$(jget 'd["status"]["hostIP"]+" "+d["status"]["podIP"]' "$T/test.json")"
expect_match "test imageID: repository@manifest digest" '^docker\.io/library/alpine@sha256:[0-9a-f]{64}$' "$(jget 'd["status"]["containerStatuses"][0]["imageID"]' "$T/test.json")"
expect_eq "test qosClass kept" "BestEffort" "$(jget 'd["status"]["qosClass"]' "$T/test.json")"
expect_match "test containerID anzen://UID-NAME-RESTARTS" "^anzen://$(pod_uid test lab)-main-0\$" "$(jget 'd["status"]["containerStatuses"][0]["containerID"]' "$T/test.json")"
# ---- kubelet Events about the pod ------------------------------------------------------------
kc get events -n lab -o json >"$T/events.json"
pod_events() { jget '"\n".join(e["source"]["component"]+" "+e["type"]+" "+e["reason"]+": "+e["message"] for e in d["items"] if e["involvedObject"]["name"]=="'"$1"'" and e["source"].get("component")=="kubelet")' "$T/events.json"; }
TEV=$(pod_events test)
expect_contains "kubelet Event Pulled (image present)" 'kubelet Normal Pulled: Container image "alpine:latest" already present on machine' "$TEV"
expect_contains "kubelet Event Created" "kubelet Normal Created: Created container: main" "$TEV"
expect_contains "kubelet Event Started" "kubelet Normal Started: Started container main" "$TEV"
SEV=$(jget '"\n".join(e["source"]["component"]+" "+e["type"]+" "+e["reason"]+": "+e["message"] for e in d["items"] if e["involvedObject"]["name"]=="test" and e["source"].get("component")=="default-scheduler")' "$T/events.json")
expect_match "scheduler Event Scheduled" "^default-scheduler Normal Scheduled: Successfully assigned lab/test to [^ ]+$" "$SEV"
expect_match "kubectl describe pod shows the kubelet's Events" '^ +Normal +Started +[^ ]+ +kubelet +Started container main$' "$(kc describe pod test -n lab)"

# ---- the runner pod launches the Job -----------------------------------------------------
kc apply -f "$SEED/pod-runner.yaml" >/dev/null
expect_eq "launcher reaches Succeeded" "Succeeded" "$(phase launcher lab 'Succeeded|Failed')"
expect_eq "launcher's curl got 201" "201" "$(kc logs launcher -n lab)"
job_done() { [ "$(kc get job sleep-job -n lab -o jsonpath='{.status.succeeded}' 2>/dev/null)" = 1 ]; }
wait_until 20 job_done
expect_eq "the Job's pod ran: status.succeeded=1" "1" "$(kc get job sleep-job -n lab -o jsonpath='{.status.succeeded}')"

# ---- automountServiceAccountToken: false --------------------------------------------------
kc apply -f "$SEED/pod-noauto-run.yaml" >/dev/null
phase noauto lab 'Succeeded|Failed' >/dev/null
expect_contains "noauto sees no token" "No such file" "$(kc logs noauto -n lab)"

# ---- projected token: audience api, 600 s; 401 after the pod is deleted ---------------------
kc apply -f "$SEED/pod-projected.yaml" >/dev/null
expect_eq "sleep reaches Running" "Running" "$(phase sleep lab Running)"
UID_SLEEP=$(pod_uid sleep lab)
# the kube-api-access volume on disk (a tmpfs while the pod runs): the ..data scheme and modes
VOL=$(ls -d "$NODE_DIR/pods/$UID_SLEEP/volumes/kube-api-access-"* 2>/dev/null | head -1)
expect_ne "kube-api-access volume dir exists" "" "$VOL"
expect_match "..data points at a timestamped dir" '^\.\.[0-9]{4}_[0-9]{2}_[0-9]{2}_[0-9]{2}_[0-9]{2}_[0-9]{2}\.[0-9]+$' "$(readlink "$VOL/..data")"
expect_eq "token/ca.crt/namespace are symlinks into ..data" "..data/ca.crt ..data/namespace ..data/token" \
    "$(readlink "$VOL/ca.crt") $(readlink "$VOL/namespace") $(readlink "$VOL/token")"
expect_eq "file modes 0644 (defaultMode 420)" "644 644 644" \
    "$(stat -L -c %a "$VOL/ca.crt" "$VOL/namespace" "$VOL/token" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "namespace file content" "lab|" "$(cat "$VOL/namespace"; echo -n '|')"
expect_eq "ca.crt is the cluster CA" "$(cat "$SERVER_DIR/pki/ca.crt")" "$(cat "$VOL/ca.crt")"
expect_eq "injected token: bound to the pod" "sleep $UID_SLEEP" \
    "$(jwt_claims <"$VOL/token" | jget 'd["kubernetes.io"]["pod"]["name"]+" "+d["kubernetes.io"]["pod"]["uid"]')"
UID_TEST=$(pod_uid test lab)
expect_eq "finished pod test: its volumes are unmounted (kubelet tears them down)" "" \
    "$(grep "$UID_TEST/volumes" /proc/self/mountinfo)"

expect_eq "kube-api-access is a tmpfs" "tmpfs" "$(stat -f -c %T "$VOL")"
TOK_FILE="$NODE_DIR/pods/$UID_SLEEP/volumes/token/token"
wait_until 10 test -s "$TOK_FILE"
TOKEN=$(cat "$TOK_FILE" 2>/dev/null)
expect_eq "projected token aud" '["api"]' "$(printf '%s' "$TOKEN" | jwt_claims | jget 'd["aud"]')"
expect_eq "projected token exp-iat" "600" "$(printf '%s' "$TOKEN" | jwt_claims | jget 'd["exp"]-d["iat"]')"
expect_eq "projected token bound to pod sleep" "sleep" "$(printf '%s' "$TOKEN" | jwt_claims | jget 'd["kubernetes.io"]["pod"]["name"]')"
CODE=$(curl -sk -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE/api")
expect_eq "projected token authenticates while the pod lives" "200" "$CODE"
# stdout only: kubectl's WebSocket client may log "Unknown stream id 1, discarding message" to
# stderr when the server's "streams are up" empty message (upstream wsstream sends it too)
# arrives before the client has registered its streams — a client-go race, not an error
expect_eq "container's PID 1 runs tail" "tail" "$(kc exec sleep -n lab -- cat /proc/1/comm 2>"$T/exec.err")"
expect_eq "container hostname is the pod name" "sleep" "$(kc exec sleep -n lab -- hostname 2>"$T/exec.err")"
expect_eq "KUBERNETES_PORT_443_TCP_PORT is the API port" "$SERVER_PORT" \
    "$(kc exec sleep -n lab -- sh -c 'echo $KUBERNETES_PORT_443_TCP_PORT' 2>&1)"
CID_SLEEP=$(kc get pod sleep -n lab -o jsonpath='{.status.containerStatuses[0].containerID}' | sed 's|anzen://||')
PID_SLEEP=$(runc --root "$NODE_DIR/runc" state "$CID_SLEEP" 2>/dev/null | jget 'd["pid"]')
kc delete pod sleep -n lab --wait=true --timeout=30s >/dev/null
OUT=$(curl -sk -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/namespaces/lab/pods/sleep")
expect_eq "after delete: the seed's exact 401" "$(jnorm <"$SEED/unauthorized.json")" "$(printf '%s' "$OUT" | jnorm)"
gone() { ! kill -0 "$PID_SLEEP" 2>/dev/null && [ ! -e "$NODE_DIR/pods/$UID_SLEEP" ]; }
wait_until 15 gone
expect_eq "deleted pod: process killed and pod dir removed" "gone" "$(gone && echo gone || echo still-there)"

# ---- hostPath in a namespace without Pod Security -----------------------------------------
kc create ns open >/dev/null
sed s/NS/open/ "$SEED/pod-hostpath.yaml" | kc apply -f - >/dev/null
phase escape open 'Succeeded|Failed' >/dev/null
expect_eq "hostPath pod prints the host's /etc/hostname" "$(cat /etc/hostname)" "$(kc logs escape -n open)"

# ---- failing, unstartable, init containers, env, volumes, restarts --------------------------
kc create configmap cfg -n open --from-literal=greeting=hello --from-literal=other=x >/dev/null
kc create secret generic sec -n open --from-literal=pw=s3cret >/dev/null
kc apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: fails, namespace: open}
spec:
  restartPolicy: Never
  containers:
  - {name: main, image: alpine:latest, command: ["sh", "-c", "echo out; echo err >&2; exit 3"]}
---
apiVersion: v1
kind: Pod
metadata: {name: nobinary, namespace: open}
spec:
  restartPolicy: Never
  containers:
  - {name: main, image: alpine:latest, command: ["/no/such/binary"]}
---
apiVersion: v1
kind: Pod
metadata: {name: multi, namespace: open, labels: {app: demo}}
spec:
  restartPolicy: Never
  initContainers:
  - {name: setup, image: alpine:latest, command: ["sh", "-c", "echo prepared > /work/state"], volumeMounts: [{name: work, mountPath: /work}]}
  containers:
  - name: main
    image: alpine:latest
    workingDir: /work
    command: ["sh", "-c"]
    args:
    - 'cat state; echo ''$(GREETING) $$(X) $(UNDEFINED)''; echo "env $GREETING $PW $POD $NS"; cat /cfg/greeting /sec/pw /info/labels; echo; ls /cfg; stat -L -c %a /sec/pw; for i in 1 2 3; do echo line$i; done'
    env:
    - {name: GREETING, valueFrom: {configMapKeyRef: {name: cfg, key: greeting}}}
    - {name: PW, valueFrom: {secretKeyRef: {name: sec, key: pw}}}
    - {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: NS, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
    volumeMounts:
    - {name: work, mountPath: /work}
    - {name: cfg, mountPath: /cfg, readOnly: true}
    - {name: sec, mountPath: /sec}
    - {name: info, mountPath: /info}
  - {name: side, image: alpine:latest, command: ["true"]}
  volumes:
  - {name: work, emptyDir: {}}
  - name: cfg
    configMap: {name: cfg, items: [{key: greeting, path: greeting}]}
  - {name: sec, secret: {secretName: sec, defaultMode: 0400}}
  - {name: info, downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}}
---
apiVersion: v1
kind: Pod
metadata: {name: crashy, namespace: open}
spec:
  restartPolicy: OnFailure
  containers:
  - {name: main, image: alpine:latest, command: ["sh", "-c", "echo run; exit 1"]}
EOF
expect_eq "restartPolicy Never + exit 3 → Failed" "Failed" "$(phase fails open 'Succeeded|Failed')"
kc get pod fails -n open -o json >"$T/fails.json"
expect_eq "failed container: terminated Error exit 3" "Error 3" \
    "$(jget 'd["status"]["containerStatuses"][0]["state"]["terminated"]["reason"]+" "+str(d["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"])' "$T/fails.json")"
# two pipes, read by the loop as containerd reads them: either order across the streams
expect_eq "stdout and stderr both logged" "err out" "$(kc logs fails -n open | sort | tr '\n' ' ' | sed 's/ $//')"
expect_eq "unstartable binary → Failed" "Failed" "$(phase nobinary open 'Succeeded|Failed')"
kc get pod nobinary -n open -o json >"$T/nobin.json"
expect_eq "unstartable: StartError exit 128" "StartError 128" \
    "$(jget 'd["status"]["containerStatuses"][0]["state"]["terminated"]["reason"]+" "+str(d["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"])' "$T/nobin.json")"
expect_contains "unstartable: message names the binary (containerd's wording)" 'OCI runtime create failed: runc create failed: unable to start container process: exec: "/no/such/binary": stat /no/such/binary: no such file or directory: unknown' \
    "$(jget 'd["status"]["containerStatuses"][0]["state"]["terminated"]["message"]' "$T/nobin.json")"
expect_eq "multi: init container then containers → Succeeded" "Succeeded" "$(phase multi open 'Succeeded|Failed')"
MLOG=$(kc logs multi -n open -c main)
expect_eq "multi: emptyDir shared with the init container, workingDir" "prepared" "$(printf '%s\n' "$MLOG" | sed -n 1p)"
expect_eq "multi: \$(VAR) expansion, \$\$ escape, undefined kept" 'hello $(X) $(UNDEFINED)' "$(printf '%s\n' "$MLOG" | sed -n 2p)"
expect_eq "multi: env from configMap/secret/fieldRef" "env hello s3cret multi open" "$(printf '%s\n' "$MLOG" | sed -n 3p)"
expect_eq "multi: configMap, secret, downwardAPI files" 'hellos3cretapp="demo"' "$(printf '%s\n' "$MLOG" | sed -n 4p)"
expect_eq "multi: configMap items select keys" "greeting" "$(printf '%s\n' "$MLOG" | sed -n 5p)"
expect_eq "logs tailLines=2" "line2 line3" "$(kc logs multi -n open -c main --tail=2 | tr '\n' ' ' | sed 's/ $//')"
expect_eq "logs --limit-bytes=5: the first 5 bytes" "prepa" "$(kc logs multi -n open -c main --limit-bytes=5)"
expect_eq "logs --tail=2 --limit-bytes=8" "line2
li" "$(kc logs multi -n open -c main --tail=2 --limit-bytes=8)"
# the CRI log format: a timestamp per line, kept on disk as kubelet/containerd keep it
expect_match "log file in the CRI format (RFC3339Nano stdout F line)" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z stdout F prepared$' \
    "$(head -1 "$NODE_DIR/pods/$(pod_uid multi open)/logs/main.log")"
TSLOG=$(kc logs multi -n open -c main --timestamps --tail=2)
expect_match "logs --timestamps: RFC3339Nano then the line" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]*[1-9])?Z line2$' "$(printf '%s\n' "$TSLOG" | sed -n 1p)"
expect_eq "logs --timestamps --tail=2: two lines" "2" "$(printf '%s\n' "$TSLOG" | wc -l | tr -d ' ')"
expect_eq "logs --since-time before the pod: everything" "$(kc logs multi -n open -c main)" "$(kc logs multi -n open -c main --since-time=2000-01-01T00:00:00Z)"
expect_eq "logs --since-time in the future: nothing" "" "$(kc logs multi -n open -c main --since-time=2100-01-01T00:00:00Z)"
expect_eq "logs --since=1h: everything" "$(kc logs multi -n open -c main)" "$(kc logs multi -n open -c main --since=1h)"
sleep 2 # the lines are now older than 1 s (and only get older)
expect_eq "logs --since=1s: nothing newer" "" "$(kc logs multi -n open -c main --since=1s)"
OUT=$(kc get --raw "/api/v1/namespaces/open/pods/multi/log?container=main&sinceSeconds=0" 2>&1)
expect_contains "pods/log sinceSeconds=0: upstream's validation text" "sinceSeconds: Invalid value: 0: must be greater than 0" "$OUT"
OUT=$(kc get --raw "/api/v1/namespaces/open/pods/multi/log?container=main&tailLines=-1&limitBytes=0" 2>&1)
expect_contains "pods/log tailLines=-1 limitBytes=0: both field errors, aggregated" \
    "[tailLines: Invalid value: -1: must be greater than or equal to 0, limitBytes: Invalid value: 0: must be greater than 0]" "$OUT"
OUT=$(kc get --raw "/api/v1/namespaces/open/pods/multi/log?container=main&sinceSeconds=5&sinceTime=2024-01-01T00:00:00Z" 2>&1)
expect_contains "pods/log sinceSeconds with sinceTime: Forbidden" ': Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified' "$OUT"
OUT=$(kc logs multi -n open -c main --previous 2>&1)
expect_eq "logs --previous of a container that never restarted: upstream's 400" \
    'Error from server (BadRequest): previous terminated container "main" in pod "multi" not found' "$OUT"
OUT=$(kc get --raw "/api/v1/namespaces/open/pods/multi/log?container=main&previous=true" 2>&1)
expect_contains "the same over the raw API" 'previous terminated container "main" in pod "multi" not found' "$OUT"
expect_eq "init container's log" "" "$(kc logs multi -n open -c setup)"
UID_MULTI=$(pod_uid multi open)
expect_eq "secret defaultMode 0400 (seen in the container)" "400" "$(printf '%s\n' "$MLOG" | sed -n 6p)"
OUT=$(kc get --raw "/api/v1/namespaces/open/pods/multi/log" 2>&1)
expect_contains "logs without container on a multi-container pod" \
    "a container name must be specified for pod multi, choose one of: [main side] or one of the init containers: [setup]" "$OUT"
OUT=$(kc get --raw "/api/v1/namespaces/open/pods/multi/log?container=nope" 2>&1)
expect_contains "logs of an unknown container" "container nope is not valid for pod multi" "$OUT"
restarted() { [ "$(kc get pod crashy -n open -o jsonpath='{.status.containerStatuses[0].restartCount}')" -ge 1 ] 2>/dev/null; }
wait_until 10 restarted
kc get pod crashy -n open -o json >"$T/crashy.json"
expect_eq "OnFailure: restarted, phase Running" "Running" "$(jget 'd["status"]["phase"]' "$T/crashy.json")"
expect_eq "OnFailure: lastState terminated exit 1" "1" "$(jget 'd["status"]["containerStatuses"][0]["lastState"]["terminated"]["exitCode"]' "$T/crashy.json")"
expect_eq "restarted container: logs show the current run only" "run" "$(kc logs crashy -n open)"
expect_eq "restarted container: logs --previous shows the run before" "run" "$(kc logs crashy -n open --previous)"
backoff_event() { kc get events -n open -o json >"$T/events-open.json" && [ "$(jget 'len([e for e in d["items"] if e["reason"]=="BackOff" and e["involvedObject"]["name"]=="crashy"])' "$T/events-open.json")" != 0 ]; }
wait_until 60 backoff_event
expect_eq "kubelet Event BackOff (Warning) for the crash-looping container" \
    "Warning Back-off restarting failed container main in pod crashy_open($(pod_uid crashy open))" \
    "$(jget '[e["type"]+" "+e["message"] for e in d["items"] if e["reason"]=="BackOff" and e["involvedObject"]["name"]=="crashy"][0]' "$T/events-open.json")"

# ---- an unscheduled pod created before the agent sees it is bound at start-up -----------------
server_stop
"$ANZEN" serve --data-dir "$SERVER_DIR" --listen "127.0.0.1:$SERVER_PORT" --no-node \
    --api-audiences=api >>"$T/server.log" 2>&1 &
SERVER_PID=$!
server_wait_ready
# no agent runs now: crashy's stored restartCount is frozen
CRASHY_N=$(kc get pod crashy -n open -o jsonpath='{.status.containerStatuses[0].restartCount}')
kc run later -n open --image=alpine:latest --restart=Never --command -- sh -c 'echo later' >/dev/null
sleep 0.5
expect_eq "--no-node: the pod stays Pending, unbound" "Pending|" \
    "$(kc get pod later -n open -o jsonpath='{.status.phase}|{.spec.nodeName}')"
server_stop
"$ANZEN" serve --data-dir "$SERVER_DIR" --listen "127.0.0.1:$SERVER_PORT" \
    --api-audiences=api >>"$T/server.log" 2>&1 &
SERVER_PID=$!
server_wait_ready
expect_eq "after restart with the agent: the pending pod runs" "Succeeded" "$(phase later open 'Succeeded|Failed')"
crashy_count() { kc get pod crashy -n open -o jsonpath='{.status.containerStatuses[0].restartCount}'; }
crashy_moved() { local n; n=$(crashy_count); [ -n "$n" ] && [ "$n" != "$CRASHY_N" ]; }
wait_until 60 crashy_moved
N2=$(crashy_count)
expect_gt "restartCount carried across a server restart (was $CRASHY_N, not back to 0)" "$N2" "$CRASHY_N"
expect_eq "finished pods are not re-run after a restart" "Completed" \
    "$(kc get pod test -n lab -o jsonpath='{.status.containerStatuses[0].state.terminated.reason}')"

e2e_finish
