/* requestinfo_test.c — request_info_parse against upstream RequestInfoFactory behaviour
 * (requestinfo.go v1.32 and the cases of its requestinfo_test.go, plus spec 13.1): resource
 * vs non-resource paths, verb mapping, namespaces, subresources, legacy watch/proxy
 * prefixes, ?watch=, deletecollection, metadata.name field selectors, raw selectors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/query.h"
#include "http/requestinfo.h"
#include "util/err.h"

struct ri_case {
    const char *method;
    const char *url; /* path[?query]; the query is still percent-encoded */
    bool is_resource;
    const char *verb, *prefix, *group, *version, *ns, *resource, *sub, *name;
    const char *parts; /* parts joined with '|', "" for none */
};

#define NR(m, u, v) {m, u, false, v, "", "", "", "", "", "", "", ""}
/* non-resource, but the prefix was already recorded when the group check failed */
#define NRP(m, u, v) {m, u, false, v, "apis", "", "", "", "", "", "", ""}

static const struct ri_case cases[] = {
    /* resource paths (upstream requestinfo_test.go) */
    {"GET", "/api/v1/namespaces", true, "list", "api", "", "v1", "", "namespaces", "", "", "namespaces"},
    {"GET", "/api/v1/namespaces/other", true, "get", "api", "", "v1", "other", "namespaces", "", "other", "namespaces|other"},
    {"GET", "/api/v1/namespaces/other/pods", true, "list", "api", "", "v1", "other", "pods", "", "", "pods"},
    {"GET", "/api/v1/namespaces/other/pods/foo", true, "get", "api", "", "v1", "other", "pods", "", "foo", "pods|foo"},
    {"HEAD", "/api/v1/namespaces/other/pods/foo", true, "get", "api", "", "v1", "other", "pods", "", "foo", "pods|foo"},
    {"GET", "/api/v1/pods", true, "list", "api", "", "v1", "", "pods", "", "", "pods"},
    {"HEAD", "/api/v1/pods", true, "list", "api", "", "v1", "", "pods", "", "", "pods"},
    /* the namespace object itself carries its own name as namespace (spec 13.1) */
    {"PATCH", "/api/v1/namespaces/new-namespace", true, "patch", "api", "", "v1", "new-namespace", "namespaces", "", "new-namespace", "namespaces|new-namespace"},
    {"DELETE", "/api/v1/namespaces/ns1", true, "delete", "api", "", "v1", "ns1", "namespaces", "", "ns1", "namespaces|ns1"},
    /* special verbs */
    {"GET", "/api/v1/proxy/namespaces/other/pods/foo", true, "proxy", "api", "", "v1", "other", "pods", "", "foo", "pods|foo"},
    {"GET", "/api/v1/proxy/namespaces/other/pods/foo/subpath/not/a/subresource", true, "proxy", "api", "", "v1", "other", "pods", "", "foo", "pods|foo|subpath|not|a|subresource"},
    {"GET", "/api/v1/watch/pods", true, "watch", "api", "", "v1", "", "pods", "", "", "pods"},
    {"GET", "/api/v1/pods?watch=true", true, "watch", "api", "", "v1", "", "pods", "", "", "pods"},
    {"GET", "/api/v1/pods?watch=false", true, "list", "api", "", "v1", "", "pods", "", "", "pods"},
    {"GET", "/api/v1/watch/namespaces/other/pods", true, "watch", "api", "", "v1", "other", "pods", "", "", "pods"},
    {"GET", "/api/v1/namespaces/other/pods?watch=1", true, "watch", "api", "", "v1", "other", "pods", "", "", "pods"},
    {"GET", "/api/v1/namespaces/other/pods?watch=0", true, "list", "api", "", "v1", "other", "pods", "", "", "pods"},
    /* any watch value other than false/0 (case-insensitive) means watch, even empty */
    {"GET", "/api/v1/pods?watch=FALSE", true, "list", "api", "", "v1", "", "pods", "", "", "pods"},
    {"GET", "/api/v1/pods?watch=no", true, "watch", "api", "", "v1", "", "pods", "", "", "pods"},
    {"GET", "/api/v1/pods?watch", true, "watch", "api", "", "v1", "", "pods", "", "", "pods"},
    {"GET", "/api/v1/pods?watch=false&watch=true", true, "list", "api", "", "v1", "", "pods", "", "", "pods"},
    /* watch on a named object stays get */
    {"GET", "/api/v1/namespaces/other/pods/foo?watch=true", true, "get", "api", "", "v1", "other", "pods", "", "foo", "pods|foo"},
    /* subresources */
    {"GET", "/api/v1/namespaces/other/pods/foo/status", true, "get", "api", "", "v1", "other", "pods", "status", "foo", "pods|foo|status"},
    {"GET", "/api/v1/namespaces/other/pods/foo/proxy/subpath", true, "get", "api", "", "v1", "other", "pods", "proxy", "foo", "pods|foo|proxy|subpath"},
    {"PUT", "/api/v1/namespaces/other/finalize", true, "update", "api", "", "v1", "other", "namespaces", "finalize", "other", "namespaces|other|finalize"},
    {"PUT", "/api/v1/namespaces/other/status", true, "update", "api", "", "v1", "other", "namespaces", "status", "other", "namespaces|other|status"},
    {"POST", "/api/v1/namespaces/default/serviceaccounts/sa1/token", true, "create", "api", "", "v1", "default", "serviceaccounts", "token", "sa1", "serviceaccounts|sa1|token"},
    {"POST", "/api/v1/namespaces/ns/pods/p/eviction", true, "create", "api", "", "v1", "ns", "pods", "eviction", "p", "pods|p|eviction"},
    /* verbs */
    {"PATCH", "/api/v1/namespaces/other/pods/foo", true, "patch", "api", "", "v1", "other", "pods", "", "foo", "pods|foo"},
    {"DELETE", "/api/v1/namespaces/other/pods/foo", true, "delete", "api", "", "v1", "other", "pods", "", "foo", "pods|foo"},
    {"POST", "/api/v1/namespaces/other/pods", true, "create", "api", "", "v1", "other", "pods", "", "", "pods"},
    {"PUT", "/api/v1/nodes/n1", true, "update", "api", "", "v1", "", "nodes", "", "n1", "nodes|n1"},
    {"OPTIONS", "/api/v1/pods", true, "", "api", "", "v1", "", "pods", "", "", "pods"},
    /* deletecollection */
    {"DELETE", "/api/v1/nodes", true, "deletecollection", "api", "", "v1", "", "nodes", "", "", "nodes"},
    {"DELETE", "/api/v1/namespaces", true, "deletecollection", "api", "", "v1", "", "namespaces", "", "", "namespaces"},
    {"DELETE", "/api/v1/namespaces/other/pods", true, "deletecollection", "api", "", "v1", "other", "pods", "", "", "pods"},
    {"DELETE", "/apis/extensions/v1/namespaces/other/pods", true, "deletecollection", "apis", "extensions", "v1", "other", "pods", "", "", "pods"},
    /* groups and versions */
    {"POST", "/apis/extensions/v1/namespaces/other/pods", true, "create", "apis", "extensions", "v1", "other", "pods", "", "", "pods"},
    {"POST", "/apis/extensions/v1beta3/namespaces/other/pods", true, "create", "apis", "extensions", "v1beta3", "other", "pods", "", "", "pods"},
    {"GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles/admin", true, "get", "apis", "rbac.authorization.k8s.io", "v1", "", "clusterroles", "", "admin", "clusterroles|admin"},
    {"GET", "/apis/batch/v1/job/foo/scale", true, "get", "apis", "batch", "v1", "", "job", "scale", "foo", "job|foo|scale"},
    {"POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", true, "create", "apis", "authorization.k8s.io", "v1", "", "selfsubjectaccessreviews", "", "", "selfsubjectaccessreviews"},
    /* trailing and doubled slashes: Trim then Split (empty inner parts are kept) */
    {"GET", "/api/v1/pods/", true, "list", "api", "", "v1", "", "pods", "", "", "pods"},
    {"GET", "//api/v1/pods", true, "list", "api", "", "v1", "", "pods", "", "", "pods"},
    {"GET", "/api/v1/namespaces//pods", true, "list", "api", "", "v1", "", "pods", "", "", "pods"},
    {"GET", "/api/v1//pods", true, "get", "api", "", "v1", "", "", "", "pods", "|pods"},
    /* the namespace name "namespaces" is still a namespace */
    {"GET", "/api/v1/namespaces/namespaces/pods", true, "list", "api", "", "v1", "namespaces", "pods", "", "", "pods"},
    /* metadata.name field selector names a list/watch */
    {"GET", "/apis/group/version/resource?fieldSelector=metadata.name=name1", true, "list", "apis", "group", "version", "", "resource", "", "name1", "resource"},
    {"GET", "/apis/group/version/resource?watch=true&fieldSelector=metadata.name=name1", true, "watch", "apis", "group", "version", "", "resource", "", "name1", "resource"},
    {"GET", "/apis/group/version/resource?fieldSelector=foo=bar", true, "list", "apis", "group", "version", "", "resource", "", "", "resource"},
    {"GET", "/apis/group/version/resource?fieldSelector=metadata.name=name1,foo", true, "list", "apis", "group", "version", "", "resource", "", "", "resource"},
    {"GET", "/apis/group/version/resource?fieldSelector=metadata.name=name1,foo&watch=true", true, "watch", "apis", "group", "version", "", "resource", "", "", "resource"},
    {"GET", "/apis/group/version/resource?fieldSelector=metadata.name=name1,foo&watch=false", true, "list", "apis", "group", "version", "", "resource", "", "", "resource"},
    {"GET", "/api/v1/namespaces/ns/secrets?fieldSelector=metadata.name%3D%3Ds1", true, "list", "api", "", "v1", "ns", "secrets", "", "s1", "secrets"},
    {"GET", "/api/v1/namespaces/ns/secrets?fieldSelector=metadata.name!%3Ds1", true, "list", "api", "", "v1", "ns", "secrets", "", "", "secrets"},
    /* any metadata.name= term counts (RequiresExactMatch), in sorted term order */
    {"GET", "/api/v1/pods?fieldSelector=spec.nodeName%3Dn1,metadata.name%3Dp1", true, "list", "api", "", "v1", "", "pods", "", "p1", "pods"},
    {"GET", "/api/v1/pods?fieldSelector=metadata.name%3Db,metadata.name%3Da", true, "list", "api", "", "v1", "", "pods", "", "a", "pods"},
    /* the name must be a valid path segment */
    {"GET", "/api/v1/pods?fieldSelector=metadata.name%3D..", true, "list", "api", "", "v1", "", "pods", "", "", "pods"},
    {"GET", "/api/v1/pods?fieldSelector=metadata.name%3Da%2Fb", true, "list", "api", "", "v1", "", "pods", "", "", "pods"},
    {"GET", "/api/v1/pods?fieldSelector=metadata.name%3Da%25b", true, "list", "api", "", "v1", "", "pods", "", "", "pods"},
    /* any list option failing to decode drops the name but keeps the watch decision */
    {"GET", "/api/v1/pods?fieldSelector=metadata.name%3Dp1&labelSelector=a+b", true, "list", "api", "", "v1", "", "pods", "", "", "pods"},
    {"GET", "/api/v1/pods?fieldSelector=metadata.name%3Dp1&limit=x&watch=1", true, "watch", "api", "", "v1", "", "pods", "", "", "pods"},
    {"GET", "/api/v1/pods?fieldSelector=metadata.name%3Dp1&timeoutSeconds=", true, "list", "api", "", "v1", "", "pods", "", "", "pods"},
    {"GET", "/api/v1/pods?fieldSelector=metadata.name%3Dp1&limit=%2B5&timeoutSeconds=-1", true, "list", "api", "", "v1", "", "pods", "", "p1", "pods"},
    /* not for deletecollection or the legacy watch prefix */
    {"DELETE", "/api/v1/namespaces/ns/pods?fieldSelector=metadata.name%3Dp1", true, "deletecollection", "api", "", "v1", "ns", "pods", "", "", "pods"},
    {"GET", "/api/v1/watch/pods?fieldSelector=metadata.name%3Dp1", true, "watch", "api", "", "v1", "", "pods", "", "", "pods"},
    /* non-resource requests (verb = lower-case method) */
    NR("GET", "/", "get"),
    NR("GET", "", "get"),
    NR("GET", "/api", "get"),
    NR("GET", "/api/v1", "get"),
    NR("GET", "/api/v1/", "get"),
    NR("GET", "/apis", "get"),
    NR("GET", "/apis/batch", "get"),
    NRP("GET", "/apis/batch/v1", "get"),
    NRP("GET", "/apis/extensions/v1beta1/", "get"),
    NRP("GET", "/apis/version/resource", "get"),
    NR("GET", "/badprefix/version/resource", "get"),
    NR("GET", "/healthz", "get"),
    NR("GET", "/version", "get"),
    NR("POST", "/openid/v1/jwks", "post"),
    NR("HEAD", "/livez", "head"),
    NR("PUT", "/x/y/z", "put"),
    NR("OPTIONS", "/", "options"),
    NR("PATCH", "/apis/x", "patch"),
};

static void join_parts(const struct request_info *ri, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < ri->nparts; i++) {
        int w = snprintf(buf + used, n - used, "%s%s", i ? "|" : "", ri->parts[i]);
        assert_true(w >= 0 && (size_t)w < n - used);
        used += (size_t)w;
    }
}

#define CHECK(field, want)                                                                 \
    do {                                                                                   \
        if (strcmp(ri.field, want) != 0)                                                   \
            fail_msg("case %zu %s %s: " #field " want [%s] got [%s]", i, c->method, c->url, \
                     want, ri.field);                                                      \
    } while (0)

static void test_table(void **state)
{
    assert_true(sizeof(cases) / sizeof(cases[0]) >= 30);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct ri_case *c = &cases[i];
        char path[512];
        const char *qm = strchr(c->url, '?');
        size_t plen = qm ? (size_t)(qm - c->url) : strlen(c->url);
        memcpy(path, c->url, plen);
        path[plen] = '\0';
        struct query q;
        assert_int_equal(query_parse(qm ? qm + 1 : "", qm ? strlen(qm + 1) : 0, &q), 0);
        struct request_info ri;
        int r = request_info_parse(c->method, path, &q, &ri);
        if (r != 0)
            fail_msg("case %zu %s: error %d", i, c->url, r);
        if (ri.is_resource != c->is_resource)
            fail_msg("case %zu %s: is_resource want %d", i, c->url, c->is_resource);
        CHECK(path, path);
        CHECK(verb, c->verb);
        CHECK(api_prefix, c->prefix);
        CHECK(api_group, c->group);
        CHECK(api_version, c->version);
        CHECK(namespace, c->ns);
        CHECK(resource, c->resource);
        CHECK(subresource, c->sub);
        CHECK(name, c->name);
        char parts[512];
        join_parts(&ri, parts, sizeof(parts));
        if (strcmp(parts, c->parts) != 0)
            fail_msg("case %zu %s: parts want [%s] got [%s]", i, c->url, c->parts, parts);
        request_info_release(&ri);
        query_release(&q);
    }
}

static void test_verb_prefix_without_resource(void **state)
{
    /* upstream: "unable to determine kind and namespace from url" → 500 */
    static const char *const paths[] = {"/api/v1/watch", "/api/v1/proxy/", "/apis/g/v/watch"};
    for (size_t i = 0; i < 3; i++) {
        struct request_info ri;
        memset(&ri, 0xff, sizeof(ri));
        assert_int_equal(request_info_parse("GET", paths[i], NULL, &ri), AZ_EINTERNAL);
        assert_null(ri.verb);
        assert_int_equal(ri.nparts, 0);
        request_info_release(&ri);
    }
}

static struct request_info parse_url(const char *method, const char *path, const char *query)
{
    struct query q;
    assert_int_equal(query_parse(query, strlen(query), &q), 0);
    struct request_info ri;
    assert_int_equal(request_info_parse(method, path, &q, &ri), 0);
    query_release(&q);
    return ri;
}

static void test_raw_selectors(void **state)
{
    /* list/watch/deletecollection carry raw selectors (AuthorizeWithSelectors) */
    struct request_info ri = parse_url("GET", "/api/v1/pods",
                                       "labelSelector=app%3Dweb&fieldSelector=spec.nodeName%3Dn1");
    assert_string_equal(ri.verb, "list");
    assert_string_equal(ri.label_selector, "app=web");
    assert_string_equal(ri.field_selector, "spec.nodeName=n1");
    request_info_release(&ri);

    ri = parse_url("DELETE", "/api/v1/namespaces/a/pods", "labelSelector=x");
    assert_string_equal(ri.verb, "deletecollection");
    assert_string_equal(ri.label_selector, "x");
    assert_null(ri.field_selector);
    request_info_release(&ri);

    /* an unparseable selector is still carried raw */
    ri = parse_url("GET", "/api/v1/pods", "watch=1&labelSelector=a+b");
    assert_string_equal(ri.verb, "watch");
    assert_string_equal(ri.label_selector, "a b");
    request_info_release(&ri);

    /* not for get, create, or the legacy watch prefix */
    ri = parse_url("GET", "/api/v1/namespaces/a/pods/p", "labelSelector=x");
    assert_null(ri.label_selector);
    request_info_release(&ri);
    ri = parse_url("POST", "/api/v1/namespaces/a/pods", "labelSelector=x");
    assert_null(ri.label_selector);
    request_info_release(&ri);
    ri = parse_url("GET", "/api/v1/watch/pods", "labelSelector=x");
    assert_string_equal(ri.verb, "watch");
    assert_null(ri.label_selector);
    request_info_release(&ri);
}

static void test_null_query(void **state)
{
    struct request_info ri;
    assert_int_equal(request_info_parse("GET", "/api/v1/pods", NULL, &ri), 0);
    assert_string_equal(ri.verb, "list");
    request_info_release(&ri);
    request_info_release(&ri);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_verb_prefix_without_resource),
        cmocka_unit_test(test_raw_selectors),
        cmocka_unit_test(test_null_query),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
