/* ocispec_fuzz.c — libFuzzer target for the node's readers of client-controlled and
 * plugin-controlled text: the input is a Pod (JSON) whose first container is turned into an
 * OCI config.json (securityContext, capabilities, seccomp, resources quantities, command/args
 * $(VAR) expansion, image config from the pod's "imageConfig" annotation-like field), and it
 * is also parsed as a CNI ADD result and as a quantity and a pod CIDR. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "node/ocispec.h"
#include "node/sandbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = strndup((const char *)data, size);
    if (s == NULL)
        abort();
    char *ip = NULL;
    if (cni_parse_result((const char *)data, size, &ip) == 0)
        free(ip);
    int64_t q;
    ocispec_quantity(s, 1, &q);
    ocispec_quantity(s, 1000, &q);
    char gw[16];
    cni_gateway(s, gw);
    json_t *pod = json_loadb((const char *)data, size, 0, NULL);
    if (json_is_object(pod)) {
        char *env[] = {"A=1", "B=$(A)", NULL};
        struct oci_mount m[] = {{"/src", "/dst", false}};
        struct ocispec_input in = {
            .pod = pod, .container = json_array_get(json_object_get(json_object_get(pod, "spec"), "containers"), 0),
            .image_config = json_object_get(pod, "imageConfig"), .env = env, .rootfs = "/nonexistent-rootfs",
            .mounts = m, .nmounts = 1, .netns = "/n", .ipcns = NULL, .utsns = "/u", .cgroups_path = "/c",
            .seccomp_dir = "/nonexistent-seccomp"};
        json_t *spec = NULL;
        const char *reason = NULL;
        char *msg = NULL;
        if (ocispec_build(&in, &spec, &reason, &msg) == 0)
            free(json_dumps(spec, JSON_COMPACT));
        json_decref(spec);
        free(msg);
    }
    json_decref(pod);
    free(s);
    return 0;
}
