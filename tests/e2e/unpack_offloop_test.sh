#!/usr/bin/env bash
# End-to-end: a big image's first unpack and the pod sandbox run off the event loop. A pod
# whose image has a large layer is created; while the node unpacks it (its temporary cache dir
# exists under DATA/node/images/), /healthz and a GET through kubectl answer — and the unpack
# is still going on after they answered, so they were not served after it. Then the pod runs.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init
e2e_node_server
# the test image plus a layer with a big file (compressible: small to build and import, slow
# enough to write out)
"$ANZEN_SRC/scripts/make-test-image.sh" "$T/big" >"$T/big.log" 2>&1 || { echo "FAIL - make-test-image"; exit 1; }
(cd "$T" && umoci unpack --image big:latest bundle >>"$T/big.log" 2>&1 &&
    dd if=/dev/zero of=bundle/rootfs/big.bin bs=1M count=1024 status=none &&
    umoci repack --image big:latest bundle >>"$T/big.log" 2>&1) || { echo "FAIL - building the big image"; tail -5 "$T/big.log"; exit 1; }
"$ANZEN" image import --data-dir "$SERVER_DIR" "$T/big" --name big:1 >>"$T/big.log" 2>&1 || { echo "FAIL - import"; exit 1; }
IMGS="$SERVER_DIR/node/images"
unpacking() { compgen -G "$IMGS/*.tmp*" >/dev/null; }
k run bigpod --image=big:1 --restart=Never --command -- sh -c 'ls -la /big.bin | wc -l' >/dev/null
wait_until 120 unpacking || echo "# the unpack was not seen in progress"
expect_eq "the image is being unpacked (its temporary dir exists)" "yes" "$(unpacking && echo yes)"
req GET /healthz
expect_eq "/healthz answers during the unpack" "200 ok" "$CODE $BODY"
expect_eq "kubectl get pod answers during the unpack: ContainerCreating" "ContainerCreating" \
    "$(k get pod bigpod -o jsonpath='{.status.containerStatuses[0].state.waiting.reason}')"
expect_eq "... and the unpack was still going on after they answered" "yes" "$(unpacking && echo yes)"
expect_eq "the pod runs once the image is unpacked" "Succeeded" "$(e2e_pod_phase bigpod default 'Succeeded|Failed' 300)"
expect_eq "its log" "1" "$(k logs bigpod 2>&1)"
expect_eq "no temporary dir left behind" "no" "$(unpacking && echo yes || echo no)"
k delete pod bigpod --grace-period=0 --force >/dev/null 2>&1
e2e_finish
