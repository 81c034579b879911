#!/bin/bash
# etcd_wrap.sh TEST [ARGS...]: runs one e2e test with anzen's store on a fresh one-member etcd
# (CTest's e2e-etcd/* variants: the API suite run a second time, on etcd). ANZEN is replaced
# by a shim that adds --etcd-servers to `anzen serve`, with one --etcd-prefix per data dir
# (a restart on the same dir finds its objects; a fresh dir starts empty) and short leader
# leases (a restart after kill -9 does not wait out the dead holder). Tests run unchanged.
. "$(dirname "$0")/lib.sh"
e2e_init >/dev/null
etcd_start 1 || exit 1
cat >"$T/anzen" <<EOF
#!/bin/bash
if [ "\$1" = serve ]; then
    dir=.anzen prev=
    for a in "\$@"; do
        [ "\$prev" = --data-dir ] && dir=\$a
        case \$a in --data-dir=*) dir=\${a#--data-dir=} ;; esac
        prev=\$a
    done
    id=\$(realpath -m "\$dir" | md5sum | cut -c1-12)
    exec "$ANZEN" "\$@" --etcd-servers "$ETCD_ENDPOINTS" --etcd-prefix "/registry-\$id" \\
        --leader-elect-lease-duration 3s --leader-elect-renew-deadline 2s --leader-elect-retry-period 500ms
fi
exec "$ANZEN" "\$@"
EOF
chmod +x "$T/anzen"
ANZEN="$T/anzen" "$@"
rc=$?
# the run must really have gone through etcd
if [ -z "$(ectl get --prefix /registry- --keys-only --limit 1)" ]; then
    echo "FAIL - no object under /registry- in etcd: the test did not use the etcd store"
    exit 1
fi
echo "# etcd: $(ectl get --prefix /registry- --keys-only | grep -c .) keys under /registry-*"
exit $rc
