/* ocispec.h — a container's OCI runtime configuration (runtime-spec `config.md`, the
 * `config.json` of a bundle) from its pod, its container spec and its image, as kubelet +
 * containerd's CRI plugin build it:
 *
 *   process.args      kubelet: command ? command+args : image Entrypoint + (args ? args : Cmd)
 *   process.env       image Env, then the kubelet's variables (same name: the kubelet's wins)
 *   process.cwd       workingDir, else the image's WorkingDir, else "/"
 *   process.user      runAsUser/runAsGroup (container over pod), else the image's User (names
 *                     resolved in the rootfs' /etc/passwd, /etc/group); additionalGids: the
 *                     user's groups in /etc/group + supplementalGroups + fsGroup
 *   capabilities      containerd's default set, add/drop (drop ALL first); privileged: all
 *   seccomp           RuntimeDefault (also when unset: kubelet's seccompDefault), Unconfined,
 *                     Localhost (a Docker/OCI JSON profile under the node's seccomp dir)
 *   noNewPrivileges   allowPrivilegeEscalation: false (upstream: only when asked)
 *   root.readonly     readOnlyRootFilesystem
 *   masked/readonly   containerd's lists unless procMount: Unmasked or privileged
 *   namespaces        mount, pid (new; or the pod's with shareProcessNamespace; host with
 *                     hostPID), net/ipc/uts joined from the pod sandbox (host with
 *                     hostNetwork/hostIPC)
 *   resources         limits.memory, limits.cpu (CFS quota), requests.cpu (shares)
 *
 * Pure: reads only the rootfs' /etc/passwd and /etc/group and the seccomp dir. */
#ifndef ANZEN_NODE_OCISPEC_H
#define ANZEN_NODE_OCISPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct oci_mount {
    const char *source;       /* host path */
    const char *destination;  /* path in the container */
    bool readonly;
};

struct ocispec_input {
    json_t *pod;              /* the Pod object */
    json_t *container;        /* its container spec */
    json_t *image_config;     /* the image's "config" (Env, Entrypoint, Cmd, ...), may be NULL */
    char *const *env;         /* the kubelet's environment, "K=V", NULL-terminated */
    const char *rootfs;       /* the container's root filesystem (absolute) */
    const struct oci_mount *mounts; /* volumes, /etc/hosts, ... */
    size_t nmounts;
    const char *netns;        /* sandbox namespace files; NULL: the host's (hostNetwork) */
    const char *ipcns;        /* NULL: the host's (hostIPC) */
    const char *utsns;        /* NULL: the host's (hostNetwork) */
    const char *pidns;        /* the pod's PID namespace (shareProcessNamespace) or NULL: new */
    const char *cgroups_path; /* linux.cgroupsPath */
    const char *seccomp_dir;  /* where Localhost profiles live */
    json_t *host_devices;     /* privileged: the host's devices as linux.devices entries
                               * (ocispec_host_devices), or NULL */
};

/* The host's device nodes under dev_dir ("/dev") as OCI linux.devices entries (path, type,
 * major, minor, fileMode, uid, gid), as containerd's WithHostDevices gives a privileged
 * container: character and block devices, recursively, leaving out pts/, shm/, fd/, mqueue/,
 * .lxc/, .lxd-mounts/, .udev/ and console. New reference (an empty array when none). */
json_t *ocispec_host_devices(const char *dev_dir);

/* Builds config.json. Returns 0 and *ret (new reference), or a negative AZ_E* code with
 * *ret_reason (static: "CreateContainerConfigError" or "CreateContainerError") and *ret_msg
 * (malloc'd, kubelet's / containerd's wording). */
int ocispec_build(const struct ocispec_input *in, json_t **ret, const char **ret_reason,
                  char **ret_msg);

/* Expands $(VAR) references to variables of env (an object name -> string), `$$` to `$`;
 * anything else stays (upstream third_party/forked/golang/expansion). malloc'd. */
char *ocispec_expand(const char *in, json_t *env);

/* Parses a resource quantity ("128Mi", "1G", "500m", "2", "1e3") scaled by `scale` (1 for
 * bytes, 1000 for millicores), rounded up. Returns 0 or AZ_EINVALID (not a quantity / overflow). */
int ocispec_quantity(const char *s, int64_t scale, int64_t *ret);

#endif
