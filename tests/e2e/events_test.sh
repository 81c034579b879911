#!/usr/bin/env bash
# End-to-end: Events written by the Job controller's recorder, as kubectl 1.32 shows them
# (describe job, get events, events, events --for), and deduplication into one Event with a
# count. The server runs without a node agent; the test completes the Job's pod itself.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
server_start "$T/data" || exit 1

expect_eq "job created" "job.batch/j1 created" "$(kcv 32 create job j1 --image=busybox -- true 2>&1)"
has_pod() { [ -n "$(kcv 32 get pods -l job-name=j1 -o name 2>/dev/null)" ] || [ -n "$(kcv 32 get pods -o name 2>/dev/null)" ]; }
wait_until 60 has_pod
POD=$(kcv 32 get pods -o 'jsonpath={.items[0].metadata.name}')
has_event() { kcv 32 get events -o 'jsonpath={.items[*].reason}' 2>/dev/null | grep -qw "$1"; }
wait_until 60 has_event SuccessfulCreate
out=$(kcv 32 describe job j1 2>&1)
expect_match "describe job: the SuccessfulCreate event" "^  Normal +SuccessfulCreate +[0-9][0-9smh]* +job-controller  Created pod: $POD\$" "$out"

# the pod succeeds: Completed
kcv 32 patch pod "$POD" --subresource=status --type=merge -p '{"status":{"phase":"Succeeded"}}' >/dev/null 2>&1
wait_until 60 has_event Completed
out=$(kcv 32 describe job j1 2>&1)
expect_match "describe job: the Completed event" "^  Normal +Completed +[0-9][0-9smh]* +job-controller  Job completed\$" "$out"
out=$(kcv 32 get events 2>&1)
expect_match "get events: header" "^LAST SEEN +TYPE +REASON +OBJECT +MESSAGE\$" "$out"
expect_match "get events: SuccessfulCreate row" "^[0-9][0-9smh]* +Normal +SuccessfulCreate +job/j1 +Created pod: $POD\$" "$out"
expect_match "get events: Completed row" "^[0-9][0-9smh]* +Normal +Completed +job/j1 +Job completed\$" "$out"
out=$(kcv 32 events 2>&1)
expect_match "kubectl events: header" "^LAST SEEN +TYPE +REASON +OBJECT +MESSAGE\$" "$out"
expect_match "kubectl events: Completed row" "^[0-9][0-9smh]* +Normal +Completed +Job/j1 +Job completed\$" "$out"
out=$(kcv 32 events --for job/j1 --types=Normal 2>&1)
expect_match "kubectl events --for job/j1" "^[0-9][0-9smh]* +Normal +SuccessfulCreate +Job/j1 +Created pod: $POD\$" "$out"
expect_eq "event fields" "job-controller job-controller Job batch/v1 1" \
    "$(kcv 32 get events --field-selector reason=Completed -o 'jsonpath={.items[0].source.component} {.items[0].reportingComponent} {.items[0].involvedObject.kind} {.items[0].involvedObject.apiVersion} {.items[0].count}')"
expect_match "event name is OBJECT.HEX" "^j1\.[0-9a-f]{16}\$" "$(kcv 32 get events --field-selector reason=Completed -o 'jsonpath={.items[0].metadata.name}')"

# a Job whose pods fail: BackoffLimitExceeded (Warning), after one SuccessfulCreate per pod
kcv 32 create -f - >/dev/null 2>&1 <<'Y'
apiVersion: batch/v1
kind: Job
metadata: {name: jf}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox, command: ["false"]}]
Y
has_jf_pod() { [ -n "$(kcv 32 get pods -l batch.kubernetes.io/job-name=jf -o name 2>/dev/null)" ] || kcv 32 get pods -o name | grep -q '^pod/jf-'; }
wait_until 60 has_jf_pod
FP=$(kcv 32 get pods -o name | grep '^pod/jf-' | head -1)
kcv 32 patch "$FP" --subresource=status --type=merge -p '{"status":{"phase":"Failed"}}' >/dev/null 2>&1
wait_until 60 has_event BackoffLimitExceeded
out=$(kcv 32 describe job jf 2>&1)
expect_match "describe job: BackoffLimitExceeded warning" "^  Warning +BackoffLimitExceeded +[0-9][0-9smh]* +job-controller  Job has reached the specified backoff limit\$" "$out"
expect_match "get events --field-selector type=Warning" "^[0-9][0-9smh]* +Warning +BackoffLimitExceeded +job/jf +Job has reached the specified backoff limit\$" \
    "$(kcv 32 get events --field-selector type=Warning 2>&1)"

# a Job that fails with a pod still running deletes it: SuccessfulDelete
kcv 32 create -f - >/dev/null 2>&1 <<'Y'
apiVersion: batch/v1
kind: Job
metadata: {name: jp}
spec:
  completions: 2
  parallelism: 2
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox, command: ["true"]}]
Y
two_jp_pods() { [ "$(kcv 32 get pods -o name | grep -c '^pod/jp-')" = 2 ]; }
wait_until 60 two_jp_pods
JP1=$(kcv 32 get pods -o name | grep '^pod/jp-' | sed -n 1p)
JP2=$(kcv 32 get pods -o name | grep '^pod/jp-' | sed -n 2p)
kcv 32 patch "$JP1" --subresource=status --type=merge -p '{"status":{"phase":"Failed"}}' >/dev/null 2>&1
wait_until 60 has_event SuccessfulDelete
out=$(kcv 32 describe job jp 2>&1)
expect_match "describe job: SuccessfulDelete of the still-running pod" "^  Normal +SuccessfulDelete +[0-9][0-9smh]* +job-controller  Deleted pod: ${JP2#pod/}\$" "$out"
expect_match "describe job: SuccessfulCreate of the first pod" "^  Normal +SuccessfulCreate +[0-9][0-9smh]* +job-controller  Created pod: ${JP1#pod/}\$" "$out"
expect_match "describe job: SuccessfulCreate of the second pod" "^  Normal +SuccessfulCreate +[0-9][0-9smh]* +job-controller  Created pod: ${JP2#pod/}\$" "$out"
expect_contains "the running pod is gone" "not found" "$(kcv 32 get "$JP2" 2>&1)"
expect_eq "the failed pod stays" "Failed" "$(kcv 32 get "$JP1" -o 'jsonpath={.status.phase}' 2>&1)"

# --- events.k8s.io/v1: the same Events through the other group, fields converted
expect_match "api-resources lists events.k8s.io/v1 events" "^events +ev +events.k8s.io/v1 +true +Event\$" "$(kcv 32 api-resources 2>&1)"
expect_match "api-resources lists core events" "^events +ev +v1 +true +Event\$" "$(kcv 32 api-resources 2>&1)"
expect_match "get events.events.k8s.io: Completed row" "^[0-9][0-9smh]* +Normal +Completed +job/j1 +Job completed\$" "$(kcv 32 get events.events.k8s.io 2>&1)"
req GET "/apis/events.k8s.io/v1/namespaces/default/events?fieldSelector=reason%3DCompleted"
expect_eq "events.k8s.io list: 200" "200" "$CODE"
expect_eq "events.k8s.io list kind" "EventList events.k8s.io/v1" "$(jget 'd["kind"]+" "+d["apiVersion"]' "$T/body")"
expect_eq "events.k8s.io fields: reason note regarding deprecatedCount reportingController deprecatedSource" \
    "Completed|Job completed|Job/j1|1|job-controller|job-controller|None" \
    "$(jget '"|".join(str(x) for x in [d["items"][0]["reason"], d["items"][0]["note"], d["items"][0]["regarding"]["kind"]+"/"+d["items"][0]["regarding"]["name"], d["items"][0]["deprecatedCount"], d["items"][0]["reportingController"], d["items"][0]["deprecatedSource"]["component"], d["items"][0]["eventTime"]])' "$T/body")"
expect_eq "events.k8s.io: no core field names" "[]" \
    "$(jget 'sorted(k for k in d["items"][0] if k in ("message","involvedObject","count","source","firstTimestamp","lastTimestamp","reportingComponent"))' "$T/body")"
NAME=$(jget 'd["items"][0]["metadata"]["name"]' "$T/body")
req GET "/apis/events.k8s.io/v1/namespaces/default/events/$NAME"
expect_eq "events.k8s.io get: kind, note" "Event events.k8s.io/v1 Job completed" "$(jget 'd["kind"]+" "+d["apiVersion"]+" "+d["note"]' "$T/body")"
cat >"$T/ev.json" <<'J'
{"apiVersion":"events.k8s.io/v1","kind":"Event","metadata":{"name":"e1"},"eventTime":"2026-01-02T03:04:05.000000Z","reportingController":"example.com/ctl","reportingInstance":"i1","action":"Act","reason":"Why","note":"hello","type":"Normal","regarding":{"kind":"Job","name":"j1","namespace":"default"}}
J
req POST /apis/events.k8s.io/v1/namespaces/default/events -H 'Content-Type: application/json' --data-binary @"$T/ev.json"
expect_eq "events.k8s.io create: 201" "201" "$CODE"
expect_eq "events.k8s.io create: answered in events.k8s.io/v1" "events.k8s.io/v1 hello" "$(jget 'd["apiVersion"]+" "+d["note"]' "$T/body")"
expect_eq "events.k8s.io create: seen as core/v1" "hello Job/j1 example.com/ctl Act" \
    "$(kcv 32 get event e1 -o 'jsonpath={.message} {.involvedObject.kind}/{.involvedObject.name} {.reportingComponent} {.action}' 2>&1)"
out=$(curl -sS -N --max-time 5 --cacert "$SERVER_DIR/pki/ca.crt" --cert "$SERVER_DIR/pki/admin.crt" --key "$SERVER_DIR/pki/admin.key" \
    "$BASE/apis/events.k8s.io/v1/namespaces/default/events?watch=true&fieldSelector=metadata.name%3De1" 2>/dev/null | head -n 1)
expect_eq "events.k8s.io watch: converted objects" "ADDED events.k8s.io/v1 hello" \
    "$(printf '%s' "$out" | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["type"], d["object"]["apiVersion"], d["object"]["note"])' 2>&1)"
# PATCH through events.k8s.io: the patch speaks the group's field names
req PATCH /apis/events.k8s.io/v1/namespaces/default/events/e1 -H 'Content-Type: application/merge-patch+json' \
    --data-binary '{"note":"patched","series":{"count":2,"lastObservedTime":"2026-01-02T03:04:06.000000Z"}}'
expect_eq "events.k8s.io merge patch: 200" "200" "$CODE"
expect_eq "events.k8s.io merge patch: answered in the group's form" "events.k8s.io/v1 patched 2" \
    "$(jget 'd["apiVersion"]+" "+d["note"]+" "+str(d["series"]["count"])' "$T/body")"
expect_eq "events.k8s.io merge patch: the core Event's message" "patched" "$(kcv 32 get event e1 -o jsonpath='{.message}')"
req PATCH /apis/events.k8s.io/v1/namespaces/default/events/e1 -H 'Content-Type: application/json-patch+json' \
    --data-binary '[{"op":"replace","path":"/regarding/name","value":"j2"}]'
expect_eq "events.k8s.io JSON patch of regarding: 200" "200 j2" "$CODE $(jget 'd["regarding"]["name"]' "$T/body")"
expect_eq "... the core Event's involvedObject" "j2" "$(kcv 32 get event e1 -o jsonpath='{.involvedObject.name}')"
req PATCH /apis/events.k8s.io/v1/namespaces/default/events/e1 -H 'Content-Type: application/strategic-merge-patch+json' \
    --data-binary '{"reason":"Other"}'
expect_eq "events.k8s.io strategic merge patch: 200" "200 Other" "$CODE $(jget 'd["reason"]' "$T/body")"
req PATCH /apis/events.k8s.io/v1/namespaces/default/events/e1 -H 'Content-Type: application/json-patch+json' \
    --data-binary '[{"op":"test","path":"/note","value":"nope"}]'
expect_eq "events.k8s.io failed JSON patch test: 422" "422" "$CODE"
kpatch=$(kcv 32 patch events.v1.events.k8s.io e1 --type=merge -p '{"note":"from kubectl"}' 2>&1)
expect_eq "kubectl patch events.events.k8s.io" "event.events.k8s.io/e1 patched" "$kpatch"
expect_eq "kubectl patch: the note" "from kubectl" "$(kcv 32 get events.v1.events.k8s.io e1 -o jsonpath='{.note}')"

# field selectors in the group's labels (upstream's field label conversion for events.k8s.io)
fsel() { req GET "/apis/events.k8s.io/v1/namespaces/default/events?fieldSelector=$1"; jget '" ".join(sorted(i["metadata"]["name"] for i in d.get("items",[])))' "$T/body"; }
expect_eq "fieldSelector regarding.name" "e1" "$(fsel 'regarding.name%3Dj2')"
expect_eq "fieldSelector regarding.kind + reportingController" "e1" "$(fsel 'regarding.kind%3DJob,reportingController%3Dexample.com%2Fctl')"
expect_eq "fieldSelector reportingController!=" "" "$(fsel 'reportingController%3Dexample.com%2Fctl,metadata.name!%3De1')"
expect_eq "fieldSelector type, reason" "e1" "$(fsel 'type%3DNormal,reason%3DOther')"
req GET "/apis/events.k8s.io/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dj2"
expect_eq "events.k8s.io: the core label is refused" "400 field label not supported: involvedObject.name" \
    "$CODE $(jget 'd["message"]' "$T/body")"
req GET "/apis/events.k8s.io/v1/namespaces/default/events?fieldSelector=note%3Dx"
expect_eq "events.k8s.io: an unselectable field" "400 field label not supported: note BadRequest" \
    "$CODE $(jget 'd["message"]+" "+d["reason"]' "$T/body")"
expect_eq "kubectl get events.events.k8s.io --field-selector regarding.name" "e1" \
    "$(kcv 32 get events.v1.events.k8s.io --field-selector regarding.name=j2 -o name 2>&1 | sed 's|.*/||')"

req DELETE /apis/events.k8s.io/v1/namespaces/default/events/e1
expect_eq "events.k8s.io delete: 200" "200" "$CODE"
expect_contains "deleted through events.k8s.io: gone from core" 'events "e1" not found' "$(kcv 32 get event e1 2>&1)"

ensure_alive "server alive"
e2e_finish
