/* volumes_test.c — tests of the node agent's volume code (src/node/volumes.c, spec/03):
 * the atomic writer's `..data` layout, exact file modes (umask ignored), skipping identical
 * payloads, the swap to a new timestamped dir with the old one removed, removal of paths no
 * longer in the payload, nested paths, refused paths, a ..data leading out of the volume
 * neither read nor removed; the token refresh rule (80 % of the
 * lifetime minus jitter, 24 h cap); downward API field formatting (labels map). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "node/node_int.h"
#include "util/buf.h"
#include "util/json.h"

static char *tmpdir(void)
{
    char tmpl[] = "/tmp/anzen-volumes-test.XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return xstrdup(d);
}

static json_t *file(const char *data, int mode)
{
    return json_pack("{s:s, s:i}", "data", data, "mode", mode);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    char buf[4096];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return xstrdup(buf);
}

static char *link_of(const char *dir, const char *name)
{
    char *p = xasprintf("%s/%s", dir, name);
    char buf[512];
    ssize_t n = readlink(p, buf, sizeof(buf) - 1);
    free(p);
    if (n < 0)
        return NULL;
    buf[n] = '\0';
    return xstrdup(buf);
}

static bool exists(const char *dir, const char *name)
{
    char *p = xasprintf("%s/%s", dir, name);
    struct stat st;
    bool r = lstat(p, &st) == 0;
    free(p);
    return r;
}

static void test_atomic_write_layout(void **state)
{
    (void)state;
    char *root = tmpdir();
    char *dir = xasprintf("%s/vol", root);
    mode_t old = umask(077);
    json_t *files = json_pack("{s:o, s:o, s:o}", "token", file("jwt", 0644), "ca.crt", file("PEM", 0644),
                              "namespace", file("lab", 0600));
    char *err = NULL;
    assert_int_equal(node_atomic_write(dir, files, &err), 0);
    umask(old);
    char *data = link_of(dir, "..data");
    assert_non_null(data);
    /* ..YYYY_MM_DD_HH_MM_SS.<digits> */
    assert_int_equal(strncmp(data, "..", 2), 0);
    assert_int_equal(strlen(data), strlen("..2025_01_01_00_00_00.") + 9);
    assert_int_equal(data[6], '_');
    assert_int_equal(data[21], '.');
    char *l = link_of(dir, "token");
    assert_string_equal(l, "..data/token");
    free(l);
    l = link_of(dir, "namespace");
    assert_string_equal(l, "..data/namespace");
    free(l);
    char *p = xasprintf("%s/token", dir);
    char *content = read_all(p);
    assert_string_equal(content, "jwt");
    free(content);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644); /* umask 077 ignored */
    free(p);
    p = xasprintf("%s/namespace", dir);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    free(p);
    p = xasprintf("%s/%s", dir, data);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0755);
    free(p);
    assert_false(exists(dir, "..data_tmp"));

    /* identical payload: nothing rewritten, ..data unchanged */
    assert_int_equal(node_atomic_write(dir, files, &err), 0);
    char *data2 = link_of(dir, "..data");
    assert_string_equal(data, data2);
    free(data2);

    /* changed token, namespace dropped: new dir, old dir gone, namespace link removed */
    json_decref(files);
    files = json_pack("{s:o, s:o}", "token", file("jwt2", 0644), "ca.crt", file("PEM", 0644));
    assert_int_equal(node_atomic_write(dir, files, &err), 0);
    data2 = link_of(dir, "..data");
    assert_string_not_equal(data, data2);
    assert_false(exists(dir, data));
    assert_false(exists(dir, "namespace"));
    p = xasprintf("%s/token", dir);
    content = read_all(p);
    assert_string_equal(content, "jwt2");
    free(content);
    free(p);
    free(data2);
    free(data);
    json_decref(files);

    /* nested paths: the top-level link points at the first element */
    files = json_pack("{s:o}", "sub/dir/key", file("v", 0400));
    assert_int_equal(node_atomic_write(dir, files, &err), 0);
    l = link_of(dir, "sub");
    assert_string_equal(l, "..data/sub");
    free(l);
    assert_false(exists(dir, "token"));
    p = xasprintf("%s/sub/dir/key", dir);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0400);
    free(p);
    json_decref(files);

    node_remove_tree(root);
    assert_false(exists(root, ""));
    free(dir);
    free(root);
}

static void test_atomic_write_refuses_bad_paths(void **state)
{
    (void)state;
    char *root = tmpdir();
    const char *bad[] = {"../escape", "/abs", "..hidden", "a/../../b", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *files = json_object();
        json_object_set_new(files, bad[i], file("x", 0644));
        char *err = NULL;
        assert_int_not_equal(node_atomic_write(root, files, &err), 0);
        assert_non_null(err);
        free(err);
        json_decref(files);
    }
    assert_false(exists(root, "..data"));
    /* "./a//b" is cleaned to a/b */
    json_t *files = json_pack("{s:o}", "./a//b", file("y", 0644));
    char *err = NULL;
    assert_int_equal(node_atomic_write(root, files, &err), 0);
    char *p = xasprintf("%s/a/b", root);
    char *c = read_all(p);
    assert_string_equal(c, "y");
    free(c);
    free(p);
    json_decref(files);
    node_remove_tree(root);
    free(root);
}

/* A ..data that does not name a payload dir of its own (a container that could write its
 * volume pointed it out of it) is neither read nor removed: the write goes on as a first one. */
static void test_atomic_write_ignores_foreign_data_link(void **state)
{
    (void)state;
    char *root = tmpdir();
    char *vol = xasprintf("%s/vol", root), *victim = xasprintf("%s/victim", root);
    assert_int_equal(mkdir(vol, 0755), 0);
    assert_int_equal(mkdir(victim, 0755), 0);
    char *precious = xasprintf("%s/precious", victim);
    FILE *f = fopen(precious, "w");
    assert_non_null(f);
    fputs("keep", f);
    fclose(f);
    const char *targets[] = {"../victim", "..data/../../victim", "/tmp", "..", "..data"};
    for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
        char *link = xasprintf("%s/..data", vol);
        unlink(link);
        assert_int_equal(symlink(targets[i], link), 0);
        free(link);
        json_t *files = json_pack("{s:o}", "a", file("new", 0644));
        char *err = NULL;
        assert_int_equal(node_atomic_write(vol, files, &err), 0);
        json_decref(files);
        char *c = read_all(precious);
        assert_non_null(c);
        assert_string_equal(c, "keep");
        free(c);
        char *to = link_of(vol, "..data");
        assert_non_null(to);
        assert_true(strncmp(to, "..20", 4) == 0); /* a timestamped dir of its own */
        free(to);
        char *a = xasprintf("%s/a", vol);
        c = read_all(a);
        assert_string_equal(c, "new");
        free(c);
        free(a);
    }
    free(precious);
    free(vol);
    free(victim);
    node_remove_tree(root);
    free(root);
}

static void test_token_refresh_rule(void **state)
{
    (void)state;
    struct node_pod p = {0};
    struct node_token t = {.volume = "v", .token = "x", .ttl = 600, .jitter = 0};
    p.tokens = &t;
    int64_t iat = 1000000;
    t.exp = iat + 600;
    /* 80 % of 600 s = 480 s after iat */
    assert_false(node_tokens_need_refresh(&p, iat + 479));
    assert_false(node_tokens_need_refresh(&p, iat + 480));
    assert_true(node_tokens_need_refresh(&p, iat + 481));
    /* jitter moves the point earlier */
    t.jitter = 9;
    assert_true(node_tokens_need_refresh(&p, iat + 472));
    assert_false(node_tokens_need_refresh(&p, iat + 471));
    /* the injected 3607 s token: refresh after 3607 - 721 = 2886 s */
    t.jitter = 0;
    t.ttl = 3607;
    t.exp = iat + 3607;
    assert_false(node_tokens_need_refresh(&p, iat + 2886));
    assert_true(node_tokens_need_refresh(&p, iat + 2887));
    /* a long-lived token is refreshed after 24 h */
    t.ttl = 7 * 24 * 3600;
    t.exp = iat + t.ttl;
    assert_false(node_tokens_need_refresh(&p, iat + 24 * 3600));
    assert_true(node_tokens_need_refresh(&p, iat + 24 * 3600 + 1));
}

static void test_field_ref(void **state)
{
    (void)state;
    struct node_agent a = {.name = "node1", .api_host = "127.0.0.1"};
    json_t *pod = json_pack("{s:{s:s, s:s, s:s, s:{s:s, s:s}, s:{s:s}}, s:{s:s}}", "metadata", "name",
                            "p", "namespace", "lab", "uid", "u-1", "labels", "b", "2\"q", "a", "1",
                            "annotations", "k", "v", "spec", "serviceAccountName", "runner");
    char *v = node_field_ref(&a, pod, NULL, "metadata.labels");
    assert_string_equal(v, "a=\"1\"\nb=\"2\\\"q\"");
    free(v);
    v = node_field_ref(&a, pod, NULL, "metadata.labels['a']");
    assert_string_equal(v, "1");
    free(v);
    v = node_field_ref(&a, pod, NULL, "metadata.annotations['k']");
    assert_string_equal(v, "v");
    free(v);
    v = node_field_ref(&a, pod, NULL, "spec.nodeName");
    assert_string_equal(v, "node1");
    free(v);
    v = node_field_ref(&a, pod, NULL, "spec.serviceAccountName");
    assert_string_equal(v, "runner");
    free(v);
    v = node_field_ref(&a, pod, NULL, "status.hostIP");
    assert_string_equal(v, "127.0.0.1");
    free(v);
    v = node_field_ref(&a, pod, NULL, "status.podIP"); /* no address yet */
    assert_string_equal(v, "");
    free(v);
    v = node_field_ref(&a, pod, "10.88.0.7", "status.podIP"); /* the pod's own, not the node's */
    assert_string_equal(v, "10.88.0.7");
    free(v);
    assert_null(node_field_ref(&a, pod, NULL, "spec.nope"));
    json_decref(pod);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_atomic_write_layout),
        cmocka_unit_test(test_atomic_write_refuses_bad_paths),
        cmocka_unit_test(test_atomic_write_ignores_foreign_data_link),
        cmocka_unit_test(test_token_refresh_rule),
        cmocka_unit_test(test_field_ref),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
