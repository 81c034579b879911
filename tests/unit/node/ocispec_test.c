/* ocispec_test.c — config.json as kubelet + containerd build it (src/node/ocispec.c): args
 * from command/args/Entrypoint/Cmd, env merge, users from runAsUser/runAsGroup/image User and
 * the rootfs' passwd/group, runAsNonRoot refusals with kubelet's messages, capabilities
 * (default set, drop ALL, add, unknown, privileged), seccomp (RuntimeDefault when unset,
 * Unconfined, Localhost), noNewPrivileges, read-only root, masked paths / procMount,
 * namespaces (host*), resources; quantities; CNI result parsing and the gateway address. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "node/node_int.h"
#include "node/ocispec.h"
#include "node/sandbox.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

static char *rootfs;

static void write_file(const char *dir, const char *name, const char *data)
{
    char *p = xasprintf("%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(data, f);
    fclose(f);
    free(p);
}

static int setup(void **state)
{
    char tmpl[] = "/tmp/anzen-ocispec-test.XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    rootfs = xstrdup(tmpl);
    char *etc = xasprintf("%s/etc", rootfs);
    mkdir(etc, 0755);
    write_file(etc, "passwd", "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1001:u:/home/user:/bin/sh\n"
                              "broken line\nweb:x:33:33::/var/www:/bin/false\n");
    write_file(etc, "group", "root:x:0:\nusers:x:1001:\nextra:x:2000:user,web\nwww:x:33:\n");
    free(etc);
    return 0;
}

static int teardown(void **state)
{
    node_remove_tree(rootfs);
    free(rootfs);
    return 0;
}

/* Builds the spec of pod (YAML-ish JSON text) / its first container with image config. */
static int build(const char *pod_json, const char *image_json, json_t **ret, const char **reason, char **msg)
{
    json_t *pod = json_loads(pod_json, 0, NULL);
    assert_non_null(pod);
    json_t *img = image_json ? json_loads(image_json, 0, NULL) : NULL;
    char *env[] = {"HOSTNAME=p", "FROM_KUBELET=1", "OVER=kubelet", NULL};
    struct oci_mount m[] = {{"/host/vol", "/data", true}};
    struct ocispec_input in = {.pod = pod, .container = json_array_get(json_path(pod, "spec.containers"), 0),
                               .image_config = img, .env = env, .rootfs = rootfs, .mounts = m,
                               .nmounts = 1, .netns = "/ns/net", .ipcns = "/ns/ipc", .utsns = "/ns/uts",
                               .cgroups_path = "/anzen/x", .seccomp_dir = rootfs};
    *msg = NULL;
    *reason = NULL;
    int rc = ocispec_build(&in, ret, reason, msg);
    json_decref(pod);
    json_decref(img);
    return rc;
}

#define POD(containers, podsc) \
    "{\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\",\"uid\":\"u-1\"},\"spec\":{" podsc \
    "\"containers\":[" containers "]}}"

static char *dump(json_t *v)
{
    return json_dumps(v, JSON_COMPACT);
}

static void expect_json(json_t *v, const char *want)
{
    char *got = dump(v);
    assert_string_equal(got, want);
    free(got);
}

static void test_args(void **state)
{
    json_t *s;
    const char *reason;
    char *msg;
    const char *img = "{\"Entrypoint\":[\"/ep\"],\"Cmd\":[\"c1\",\"c2\"],\"Env\":[\"PATH=/img\",\"OVER=image\"],\"WorkingDir\":\"/w\"}";
    assert_int_equal(build(POD("{\"name\":\"c\",\"command\":[\"sh\",\"$(FROM_KUBELET)\"],\"args\":[\"a\"]}", ""),
                           img, &s, &reason, &msg), 0);
    expect_json(json_path(s, "process.args"), "[\"sh\",\"1\",\"a\"]");
    assert_string_equal(json_path_str(s, "process.cwd"), "/w");
    json_decref(s);
    assert_int_equal(build(POD("{\"name\":\"c\"}", ""), img, &s, &reason, &msg), 0);
    expect_json(json_path(s, "process.args"), "[\"/ep\",\"c1\",\"c2\"]");
    json_decref(s);
    assert_int_equal(build(POD("{\"name\":\"c\",\"args\":[\"x\"],\"workingDir\":\"/k\"}", ""), img, &s,
                           &reason, &msg), 0);
    expect_json(json_path(s, "process.args"), "[\"/ep\",\"x\"]");
    assert_string_equal(json_path_str(s, "process.cwd"), "/k");
    /* image env first, the kubelet's override it */
    expect_json(json_path(s, "process.env"),
                "[\"PATH=/img\",\"OVER=kubelet\",\"HOSTNAME=p\",\"FROM_KUBELET=1\"]");
    json_decref(s);
    /* nothing to run */
    assert_int_equal(build(POD("{\"name\":\"c\"}", ""), "{}", &s, &reason, &msg), AZ_EINVALID);
    assert_string_equal(reason, "CreateContainerError");
    assert_string_equal(msg, "failed to generate container spec: no command specified");
    free(msg);
    /* no PATH anywhere: the default one */
    assert_int_equal(build(POD("{\"name\":\"c\",\"command\":[\"x\"]}", ""), NULL, &s, &reason, &msg), 0);
    assert_non_null(strstr(json_string_value(json_array_get(json_path(s, "process.env"), 3)), "PATH=/usr/local/sbin"));
    json_decref(s);
}

static void test_users(void **state)
{
    json_t *s;
    const char *reason;
    char *msg;
    /* runAsUser: gid from passwd; supplementalGroups and fsGroup added; member groups */
    assert_int_equal(build(POD("{\"name\":\"c\",\"command\":[\"x\"]}",
                               "\"securityContext\":{\"runAsUser\":1000,\"supplementalGroups\":[5,6],\"fsGroup\":7},"),
                           NULL, &s, &reason, &msg), 0);
    expect_json(json_path(s, "process.user"), "{\"uid\":1000,\"gid\":1001,\"additionalGids\":[1001,2000,5,6,7]}");
    json_decref(s);
    /* container runAsGroup over the passwd gid */
    assert_int_equal(build(POD("{\"name\":\"c\",\"command\":[\"x\"],\"securityContext\":{\"runAsUser\":4242,\"runAsGroup\":99}}", ""),
                           NULL, &s, &reason, &msg), 0);
    expect_json(json_path(s, "process.user"), "{\"uid\":4242,\"gid\":99,\"additionalGids\":[99]}");
    json_decref(s);
    /* image user by name, and name:group */
    assert_int_equal(build(POD("{\"name\":\"c\",\"command\":[\"x\"]}", ""), "{\"User\":\"web\"}", &s, &reason, &msg), 0);
    expect_json(json_path(s, "process.user"), "{\"uid\":33,\"gid\":33,\"additionalGids\":[33,2000]}");
    json_decref(s);
    assert_int_equal(build(POD("{\"name\":\"c\",\"command\":[\"x\"]}", ""), "{\"User\":\"1000:users\"}", &s, &reason, &msg), 0);
    expect_json(json_path(s, "process.user"), "{\"uid\":1000,\"gid\":1001,\"additionalGids\":[1001,2000]}");
    json_decref(s);
    assert_int_equal(build(POD("{\"name\":\"c\",\"command\":[\"x\"]}", ""), "{\"User\":\"ghost\"}", &s, &reason, &msg),
                     AZ_EINVALID);
    assert_string_equal(reason, "CreateContainerError");
    assert_non_null(strstr(msg, "unable to find user ghost"));
    free(msg);
}

static void test_run_as_non_root(void **state)
{
    json_t *s = NULL;
    const char *reason;
    char *msg;
    assert_int_equal(build(POD("{\"name\":\"main\",\"command\":[\"x\"]}", "\"securityContext\":{\"runAsNonRoot\":true},"),
                           "{}", &s, &reason, &msg), AZ_EINVALID);
    assert_string_equal(reason, "CreateContainerConfigError");
    assert_string_equal(msg, "container has runAsNonRoot and image will run as root (pod: \"p_ns(u-1)\", container: main)");
    free(msg);
    assert_int_equal(build(POD("{\"name\":\"main\",\"command\":[\"x\"],\"securityContext\":{\"runAsNonRoot\":true,\"runAsUser\":0}}", ""),
                           NULL, &s, &reason, &msg), AZ_EINVALID);
    assert_string_equal(msg, "container's runAsUser breaks non-root policy (pod: \"p_ns(u-1)\", container: main)");
    free(msg);
    assert_int_equal(build(POD("{\"name\":\"main\",\"command\":[\"x\"]}", "\"securityContext\":{\"runAsNonRoot\":true},"),
                           "{\"User\":\"web\"}", &s, &reason, &msg), AZ_EINVALID);
    assert_string_equal(msg, "container has runAsNonRoot and image has non-numeric user (web), cannot verify user "
                             "is non-root (pod: \"p_ns(u-1)\", container: main)");
    free(msg);
    /* numeric non-root image user, or runAsUser > 0: fine */
    assert_int_equal(build(POD("{\"name\":\"main\",\"command\":[\"x\"]}", "\"securityContext\":{\"runAsNonRoot\":true},"),
                           "{\"User\":\"1000\"}", &s, &reason, &msg), 0);
    json_decref(s);
}

static void test_caps_and_privileged(void **state)
{
    json_t *s;
    const char *reason;
    char *msg;
    assert_int_equal(build(POD("{\"name\":\"c\",\"command\":[\"x\"]}", ""), NULL, &s, &reason, &msg), 0);
    json_t *eff = json_path(s, "process.capabilities.effective");
    assert_int_equal(json_array_size(eff), 14);
    assert_string_equal(json_string_value(json_array_get(eff, 0)), "CAP_CHOWN");
    assert_false(json_is_true(json_path(s, "process.noNewPrivileges")));
    assert_non_null(json_path(s, "linux.seccomp"));
    assert_string_equal(json_path_str(s, "linux.seccomp.defaultAction"), "SCMP_ACT_ERRNO");
    assert_int_equal(json_array_size(json_path(s, "linux.maskedPaths")), 11);
    assert_false(json_is_true(json_path(s, "root.readonly")));
    /* mount is not allowed without CAP_SYS_ADMIN */
    char *sec = dump(json_path(s, "linux.seccomp"));
    assert_null(strstr(sec, "\"mount\""));
    assert_non_null(strstr(sec, "\"clone3\""));
    free(sec);
    json_decref(s);
    assert_int_equal(build(POD("{\"name\":\"c\",\"command\":[\"x\"],\"securityContext\":{\"capabilities\":"
                               "{\"drop\":[\"ALL\"],\"add\":[\"net_admin\",\"CAP_SYS_ADMIN\"]},"
                               "\"allowPrivilegeEscalation\":false,\"readOnlyRootFilesystem\":true,"
                               "\"procMount\":\"Unmasked\"}}", ""), NULL, &s, &reason, &msg), 0);
    expect_json(json_path(s, "process.capabilities.effective"), "[\"CAP_NET_ADMIN\",\"CAP_SYS_ADMIN\"]");
    expect_json(json_path(s, "process.capabilities.inheritable"), "[]");
    assert_true(json_is_true(json_path(s, "process.noNewPrivileges")));
    assert_true(json_is_true(json_path(s, "root.readonly")));
    assert_null(json_path(s, "linux.maskedPaths"));
    sec = dump(json_path(s, "linux.seccomp"));
    assert_non_null(strstr(sec, "\"mount\"")); /* SYS_ADMIN brings its syscalls */
    free(sec);
    json_decref(s);
    assert_int_equal(build(POD("{\"name\":\"c\",\"command\":[\"x\"],\"securityContext\":{\"capabilities\":{\"add\":[\"BOGUS\"]}}}", ""),
                           NULL, &s, &reason, &msg), AZ_EINVALID);
    assert_string_equal(reason, "CreateContainerError");
    assert_string_equal(msg, "failed to generate container spec: unknown capability \"CAP_BOGUS\"");
    free(msg);
    assert_int_equal(build(POD("{\"name\":\"c\",\"command\":[\"x\"],\"securityContext\":{\"privileged\":true}}", ""),
                           NULL, &s, &reason, &msg), 0);
    /* all the capabilities of the agent's bounding set (containerd: all current ones) */
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long long bnd = 0;
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, "CapBnd:", 7) == 0)
            bnd = strtoull(line + 7, NULL, 16);
    if (f)
        fclose(f);
    assert_int_equal(json_array_size(json_path(s, "process.capabilities.effective")),
                     __builtin_popcountll(bnd & ((1ULL << 41) - 1)));
    assert_null(json_path(s, "linux.seccomp"));
    assert_null(json_path(s, "linux.maskedPaths"));
    json_decref(s);
}

static void test_seccomp_profiles(void **state)
{
    json_t *s;
    const char *reason;
    char *msg;
    assert_int_equal(build(POD("{\"name\":\"c\",\"command\":[\"x\"]}", "\"securityContext\":{\"seccompProfile\":{\"type\":\"Unconfined\"}},"),
                           NULL, &s, &reason, &msg), 0);
    assert_null(json_path(s, "linux.seccomp"));
    json_decref(s);
    /* the container's profile wins over the pod's */
    write_file(rootfs, "prof.json", "{\"defaultAction\":\"SCMP_ACT_LOG\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}]}");
    assert_int_equal(build(POD("{\"name\":\"c\",\"command\":[\"x\"],\"securityContext\":{\"seccompProfile\":"
                               "{\"type\":\"Localhost\",\"localhostProfile\":\"prof.json\"}}}",
                               "\"securityContext\":{\"seccompProfile\":{\"type\":\"Unconfined\"}},"),
                           NULL, &s, &reason, &msg), 0);
    assert_string_equal(json_path_str(s, "linux.seccomp.defaultAction"), "SCMP_ACT_LOG");
    json_decref(s);
    assert_int_equal(build(POD("{\"name\":\"c\",\"command\":[\"x\"],\"securityContext\":{\"seccompProfile\":"
                               "{\"type\":\"Localhost\",\"localhostProfile\":\"../../etc/shadow\"}}}", ""),
                           NULL, &s, &reason, &msg), AZ_EINVALID);
    assert_string_equal(reason, "CreateContainerError");
    assert_non_null(strstr(msg, "invalid localhostProfile"));
    free(msg);
    assert_int_equal(build(POD("{\"name\":\"c\",\"command\":[\"x\"],\"securityContext\":{\"seccompProfile\":"
                               "{\"type\":\"Localhost\",\"localhostProfile\":\"missing.json\"}}}", ""),
                           NULL, &s, &reason, &msg), AZ_EINVALID);
    assert_non_null(strstr(msg, "cannot load seccomp profile"));
    free(msg);
}

static void test_namespaces_mounts_resources(void **state)
{
    json_t *s;
    const char *reason;
    char *msg;
    assert_int_equal(build(POD("{\"name\":\"c\",\"command\":[\"x\"],\"resources\":{\"limits\":{\"memory\":\"128Mi\","
                               "\"cpu\":\"500m\"},\"requests\":{\"cpu\":\"250m\"}}}", ""), NULL, &s, &reason, &msg), 0);
    expect_json(json_path(s, "linux.namespaces"),
                "[{\"type\":\"mount\"},{\"type\":\"pid\"},{\"type\":\"ipc\",\"path\":\"/ns/ipc\"},"
                "{\"type\":\"uts\",\"path\":\"/ns/uts\"},{\"type\":\"network\",\"path\":\"/ns/net\"}]");
    assert_int_equal(json_integer_value(json_path(s, "linux.resources.memory.limit")), 134217728);
    assert_int_equal(json_integer_value(json_path(s, "linux.resources.cpu.quota")), 50000);
    assert_int_equal(json_integer_value(json_path(s, "linux.resources.cpu.shares")), 256);
    json_t *last = json_array_get(json_object_get(s, "mounts"), json_array_size(json_object_get(s, "mounts")) - 1);
    expect_json(last, "{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"/host/vol\",\"options\":[\"rbind\",\"rprivate\",\"ro\"]}");
    assert_string_equal(json_path_str(s, "linux.cgroupsPath"), "/anzen/x");
    json_decref(s);
    assert_int_equal(build(POD("{\"name\":\"c\",\"command\":[\"x\"]}", "\"hostPID\":true,"), NULL, &s, &reason, &msg), 0);
    char *ns = dump(json_path(s, "linux.namespaces"));
    assert_null(strstr(ns, "\"pid\""));
    free(ns);
    json_decref(s);
}

static void test_quantity(void **state)
{
    int64_t v;
    assert_int_equal(ocispec_quantity("128Mi", 1, &v), 0);
    assert_int_equal(v, 134217728);
    assert_int_equal(ocispec_quantity("1G", 1, &v), 0);
    assert_int_equal(v, 1000000000);
    assert_int_equal(ocispec_quantity("500m", 1000, &v), 0);
    assert_int_equal(v, 500);
    assert_int_equal(ocispec_quantity("2", 1000, &v), 0);
    assert_int_equal(v, 2000);
    assert_int_equal(ocispec_quantity("0.1", 1000, &v), 0);
    assert_int_equal(v, 100);
    assert_int_equal(ocispec_quantity("1.5m", 1000, &v), 0);
    assert_int_equal(v, 2); /* rounded up */
    assert_int_equal(ocispec_quantity("", 1, &v), AZ_EINVALID);
    assert_int_equal(ocispec_quantity("-1", 1, &v), AZ_EINVALID);
    assert_int_equal(ocispec_quantity("12Qi", 1, &v), AZ_EINVALID);
    assert_int_equal(ocispec_quantity("9E", 1000, &v), AZ_EINVALID);
    assert_int_equal(ocispec_quantity(NULL, 1, &v), AZ_EINVALID);
}

static void test_cni(void **state)
{
    char *ip = NULL;
    const char *r = "{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"eth0\"}],"
                    "\"ips\":[{\"interface\":0,\"address\":\"10.88.0.7/24\",\"gateway\":\"10.88.0.1\"}]}";
    assert_int_equal(cni_parse_result(r, strlen(r), &ip), 0);
    assert_string_equal(ip, "10.88.0.7");
    free(ip);
    assert_int_equal(cni_parse_result("{\"ips\":[]}", 10, &ip), AZ_EINVALID);
    assert_int_equal(cni_parse_result("{\"ips\":[{\"address\":\"fe80::1/64\"}]}", 33, &ip), AZ_EINVALID);
    assert_int_equal(cni_parse_result("not json", 8, &ip), AZ_EINVALID);
    char gw[16];
    assert_int_equal(cni_gateway("10.88.0.0/24", gw), 0);
    assert_string_equal(gw, "10.88.0.1");
    assert_int_equal(cni_gateway("10.244.7.9/16", gw), 0);
    assert_string_equal(gw, "10.244.0.1");
    assert_int_equal(cni_gateway("10.88.0.0", gw), AZ_EINVALID);
    assert_int_equal(cni_gateway("10.88.0.0/31", gw), AZ_EINVALID);
    assert_int_equal(cni_gateway("x/24", gw), AZ_EINVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_args),
        cmocka_unit_test(test_users),
        cmocka_unit_test(test_run_as_non_root),
        cmocka_unit_test(test_caps_and_privileged),
        cmocka_unit_test(test_seccomp_profiles),
        cmocka_unit_test(test_namespaces_mounts_resources),
        cmocka_unit_test(test_quantity),
        cmocka_unit_test(test_cni),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
