/* sandbox.h — a pod's sandbox: the namespaces its containers share (kubelet's "pod sandbox";
 * containerd keeps them in a pause container, anzen keeps them as namespace files):
 *
 *   DIR/ns/net   network namespace, set up by CNI (loopback + bridge with host-local IPAM)
 *   DIR/ns/ipc   IPC namespace (unless hostIPC)
 *   DIR/ns/uts   UTS namespace with the pod's host name (unless hostNetwork)
 *   DIR/ns/portmap.json  the portmap plugin's configuration (hostPorts), kept for CNI DEL
 *
 * Each file is a bind mount of /proc/PID/ns/X of a short-lived helper process that unshared
 * them (what `ip netns add` does), so the namespaces live without any process in them until
 * sandbox_destroy() unmounts them. Containers join them through config.json "path" entries.
 *
 * CNI (the plugins' SPEC.md): plugins are executables in net->cni_dir, given the network
 * configuration on stdin and CNI_COMMAND / CNI_CONTAINERID / CNI_NETNS / CNI_IFNAME /
 * CNI_PATH in the environment; ADD prints a result whose ips[0].address is the pod's IP.
 * hostPorts: the portmap plugin chained after the bridge (iptables DNAT on the node). */
#ifndef ANZEN_NODE_SANDBOX_H
#define ANZEN_NODE_SANDBOX_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct sandbox_net {
    const char *cni_dir;   /* plugin binaries: /usr/lib/cni */
    const char *ipam_dir;  /* host-local's dataDir (shared by every agent on the host) */
    const char *subnet;    /* the node's pod CIDR, IPv4 "10.88.0.0/24" */
    const char *bridge;    /* bridge name, "anzen0" */
};

/* Creates the sandbox under dir (dir/ns/...). host_net: no network/UTS namespace (pod IP =
 * the node's: *ret_ip NULL). port_mappings (may be NULL): hostPort entries for the portmap
 * plugin, [{hostPort, containerPort, protocol ("tcp"/"udp"), hostIP}]. On success *ret_ip (malloc'd) is the pod's IPv4 address. On
 * failure everything created is undone, *ret_err (malloc'd) says why. */
int sandbox_create(const struct sandbox_net *net, const char *dir, const char *id,
                   const char *hostname, bool host_net, bool host_ipc, json_t *port_mappings,
                   char **ret_ip, char **ret_err);
/* shareProcessNamespace: a process that holds a new PID namespace as its PID 1 (what the pause
 * container is for containerd): `sleep infinity` of the host, with no fds, in a new session.
 * Containers join /proc/PID/ns/pid. The caller kills and reaps it (it is reparented to the
 * calling process, which must be a child subreaper). */
int sandbox_pid_holder(pid_t *ret_pid, char **ret_err);
/* CNI DEL and unmount of whatever sandbox_create made under dir. Idempotent. */
void sandbox_destroy(const struct sandbox_net *net, const char *dir, const char *id);

/* The namespace file dir/ns/<type> if it exists (malloc'd), else NULL. */
char *sandbox_ns_path(const char *dir, const char *type);

/* The pod's IP from a CNI ADD result (JSON). Returns 0 and *ret_ip (malloc'd, no prefix
 * length), or AZ_EINVALID. */
int cni_parse_result(const char *json, size_t len, char **ret_ip);
/* The bridge's (gateway) address of subnet: its first host address. Returns 0 or AZ_EINVALID. */
int cni_gateway(const char *subnet, char out[16]);
/* Whether the plugins the sandbox needs (bridge, host-local, loopback) are in cni_dir. */
bool cni_plugins_present(const char *cni_dir, char **ret_missing);

#endif
