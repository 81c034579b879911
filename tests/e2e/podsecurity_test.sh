#!/usr/bin/env bash
# End-to-end: Pod Security Admission (spec/12) through kubectl against the real binary:
# the seed's guarded namespace (enforce=baseline refuses the hostPath pod with upstream's
# message), warn mode (kubectl prints `Warning: would violate PodSecurity ...`), restricted
# enforcement with the worked-example text and a compliant pod, Job templates warned but
# never enforced, a privileged namespace allowing everything, namespace label validation
# (422) and the warnings when tightening a namespace with violating pods.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
server_start "$T/data" || exit 1

# pod_yaml NAME NS: the seed's hostPath pod (acceptance/seed/pod-hostpath.yaml) renamed.
hostpath_pod()
{
    sed -e "s/NS/$2/" -e "s/name: escape/name: $1/" "$SEED/pod-hostpath.yaml"
}

# --- the seed step: enforce=baseline refuses hostPath ------------------------------------
kc create ns guarded >/dev/null
kc label ns guarded pod-security.kubernetes.io/enforce=baseline >/dev/null
out=$(sed s/NS/guarded/ "$SEED/pod-hostpath.yaml" | kc apply -f - 2>&1)
expect_contains "seed: baseline refuses hostPath" 'violates PodSecurity "baseline:latest": hostPath volumes' "$out"
expect_contains "seed: the full upstream message" \
    'pods "escape" is forbidden: violates PodSecurity "baseline:latest": hostPath volumes (volume "host")' "$out"
expect_eq "seed: the pod was not created" "" "$(kc get pod escape -n guarded -o name 2>/dev/null)"

req POST /api/v1/namespaces/guarded/pods -H 'Content-Type: application/yaml' \
    --data-binary "$(sed s/NS/guarded/ "$SEED/pod-hostpath.yaml")"
expect_eq "raw POST: 403" 403 "$CODE"
expect_eq "raw POST: reason Forbidden" Forbidden "$(printf '%s' "$BODY" | jget "d['reason']")"
expect_eq "raw POST: details" '{"name":"escape","kind":"pods"}' "$(printf '%s' "$BODY" | jget "d['details']")"

out=$(kc run web -n guarded --image=nginx --restart=Never 2>&1)
expect_contains "baseline: a plain pod is created" 'pod/web created' "$out"
expect_not_contains "baseline: a plain pod gets no warning" 'Warning' "$out"

# --- warn mode ---------------------------------------------------------------------------
kc create ns soft >/dev/null
kc label ns soft pod-security.kubernetes.io/warn=baseline >/dev/null
out=$(hostpath_pod escape soft | kc apply -f - 2>&1)
expect_contains "warn: kubectl shows the warning" \
    'Warning: would violate PodSecurity "baseline:latest": hostPath volumes (volume "host")' "$out"
expect_contains "warn: the pod is still created" 'pod/escape created' "$out"
req POST /api/v1/namespaces/soft/pods -H 'Content-Type: application/yaml' \
    --data-binary "$(hostpath_pod escape2 soft)"
expect_eq "warn: raw POST 201" 201 "$CODE"
expect_eq "warn: Warning header" \
    '299 - "would violate PodSecurity \"baseline:latest\": hostPath volumes (volume \"host\")"' "$(header warning)"

# --- restricted --------------------------------------------------------------------------
kc create ns strict >/dev/null
kc label ns strict pod-security.kubernetes.io/enforce=restricted >/dev/null
out=$(kc run nginx -n strict --image=nginx --restart=Never 2>&1)
expect_contains "restricted: the worked example" 'pods "nginx" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "nginx" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "nginx" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "nginx" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "nginx" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")' "$out"
out=$(hostpath_pod escape strict | kc apply -f - 2>&1)
expect_contains "restricted: hostPath as a restricted volume type" \
    'restricted volume types (volume "host" uses restricted volume type "hostPath")' "$out"
expect_not_contains "restricted: no hostPath volumes reason" 'hostPath volumes' "$out"
out=$(kc apply -n strict -f - 2>&1 <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: good
spec:
  securityContext:
    runAsNonRoot: true
    seccompProfile:
      type: RuntimeDefault
  containers:
  - name: app
    image: alpine
    securityContext:
      allowPrivilegeEscalation: false
      capabilities:
        drop: ["ALL"]
YAML
)
expect_contains "restricted: a compliant pod is created" 'pod/good created' "$out"
expect_not_contains "restricted: a compliant pod gets no warning" 'Warning' "$out"
out=$(kc apply -n strict -f - 2>&1 <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: root
spec:
  securityContext:
    runAsNonRoot: true
    runAsUser: 0
    seccompProfile:
      type: RuntimeDefault
  containers:
  - name: app
    image: alpine
    securityContext:
      privileged: true
      allowPrivilegeEscalation: false
      capabilities:
        drop: ["ALL"]
YAML
)
expect_contains "restricted: privileged and runAsUser=0" 'violates PodSecurity "restricted:latest": privileged (container "app" must not set securityContext.privileged=true), runAsUser=0 (pod must not set runAsUser=0)' "$out"

# --- Jobs: template warned, never enforced -----------------------------------------------
out=$(kc apply -n guarded -f - 2>&1 <<'YAML'
apiVersion: batch/v1
kind: Job
metadata:
  name: j
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: alpine
      volumes:
      - name: host
        hostPath:
          path: /
YAML
)
expect_contains "job: warned with the enforce level" \
    'Warning: would violate PodSecurity "baseline:latest": hostPath volumes (volume "host")' "$out"
expect_contains "job: created anyway" 'job.batch/j created' "$out"

# --- privileged namespace ---------------------------------------------------------------
kc create ns open >/dev/null
kc label ns open pod-security.kubernetes.io/enforce=privileged pod-security.kubernetes.io/warn=privileged >/dev/null
out=$(hostpath_pod escape open | kc apply -f - 2>&1)
expect_contains "privileged: hostPath pod created" 'pod/escape created' "$out"
expect_not_contains "privileged: no warning" 'Warning' "$out"

# --- namespace labels ------------------------------------------------------------------
out=$(kc label ns open pod-security.kubernetes.io/enforce=strict --overwrite 2>&1)
expect_contains "labels: bad level refused" 'Namespace "open" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted' "$out"
out=$(kc label ns open pod-security.kubernetes.io/enforce-version=1.32 2>&1)
expect_contains "labels: bad version refused" 'Invalid value: "1.32": must be "latest" or "v1.x"' "$out"
out=$(kc label ns open pod-security.kubernetes.io/enforce=baseline pod-security.kubernetes.io/warn=baseline --overwrite 2>&1)
expect_contains "tighten: header warning" \
    'Warning: existing pods in namespace "open" violate the new PodSecurity enforce level "baseline:latest"' "$out"
expect_contains "tighten: per-pod warning" 'Warning: escape: hostPath volumes' "$out"
expect_contains "tighten: the label is applied" 'namespace/open labeled' "$out"
expect_eq "tighten: existing pod kept" "pod/escape" "$(kc get pod escape -n open -o name 2>&1)"

e2e_finish
