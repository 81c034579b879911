/* ocispec_fuzz.c — libFuzzer target for the node's readers of client-controlled and
 * plugin-controlled text: the input is a Pod (JSON) whose first container is turned into an
 * OCI config.json (securityContext, capabilities, seccomp, resources quantities, command/args
 * $(VAR) expansion, image config from the pod's "imageConfig" annotation-like field), and it
 * is also parsed as a CNI ADD result and as a quantity and a pod CIDR, and written as an
 * image's /etc/passwd and /etc/group (image content is attacker-controlled) that a fixed pod
 * resolves its users and groups in. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "node/ocispec.h"
#include "node/sandbox.h"

static json_t *json_path_get_containers(json_t *pod)
{
    return json_object_get(json_object_get(pod, "spec"), "containers");
}

static char root[64];

static void remove_root(void)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/etc/passwd", root);
    unlink(path);
    snprintf(path, sizeof(path), "%s/etc/group", root);
    unlink(path);
    snprintf(path, sizeof(path), "%s/etc", root);
    rmdir(path);
    rmdir(root);
}

/* The image rootfs, made once: in /dev/shm when it can be (a tmpfs, so that rewriting its
 * /etc files for every input costs no disk writes), else in /tmp. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static const char *const dirs[] = {"/dev/shm", "/tmp"};
    for (size_t i = 0; i < 2 && root[0] == '\0'; i++) {
        snprintf(root, sizeof(root), "%s/anzen-ocispec-fuzz.%d", dirs[i], (int)getpid());
        if (mkdir(root, 0700) != 0 && errno != EEXIST)
            root[0] = '\0';
    }
    if (root[0] == '\0')
        abort();
    atexit(remove_root);
    char etc[96];
    snprintf(etc, sizeof(etc), "%s/etc", root);
    mkdir(etc, 0700);
    return 0;
}

/* A rootfs whose /etc/passwd and /etc/group are the input. */
static void users_from(const uint8_t *data, size_t size)
{
    static const char *const files[] = {"etc/passwd", "etc/group"};
    for (size_t i = 0; i < 2; i++) {
        char path[128];
        snprintf(path, sizeof(path), "%s/%s", root, files[i]);
        FILE *f = fopen(path, "w");
        if (f == NULL)
            return;
        fwrite(data, 1, size, f);
        fclose(f);
    }
    /* one user per input, picked by its length: each ocispec_build costs far more than the
     * lookup it is here for, and every user form still gets its share of inputs */
    static const char *const users[] = {"user:grp", "root", "1000", "nobody:1", "x:y"};
    json_t *pod = json_pack("{s:{s:s, s:s, s:s}, s:{s:{s:[i, i], s:i}, s:[{s:s, s:[s]}]}}", "metadata", "name",
                            "p", "namespace", "n", "uid", "u", "spec", "securityContext",
                            "supplementalGroups", 5, 6, "fsGroup", 7, "containers", "name", "c", "command", "x");
    json_t *img = json_pack("{s:s}", "User", users[size % (sizeof(users) / sizeof(users[0]))]);
    struct ocispec_input in = {.pod = pod, .container = json_array_get(json_path_get_containers(pod), 0),
                               .image_config = img, .rootfs = root};
    json_t *spec = NULL;
    const char *reason = NULL;
    char *msg = NULL;
    ocispec_build(&in, &spec, &reason, &msg);
    json_decref(spec);
    free(msg);
    json_decref(img);
    json_decref(pod);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    users_from(data, size);
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
