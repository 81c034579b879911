/* live.c — a live cluster through its API (analyze.h): the kubeconfig's server, CA, client
 * certificate/key or bearer token, then read-only paged lists (limit/continue) with libcurl.
 * Credentials stay in memory (curl blobs); nothing is logged. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include "analyze/analyze.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/util.h"

#define LIVE_PAGE 500
#define LIVE_MAX_RESPONSE (256u * 1024 * 1024)

/* What the analysis reads, in this order (a 404 means the server does not serve it). */
static const char *const live_paths[] = {
    "/api/v1/namespaces", "/api/v1/serviceaccounts", "/api/v1/secrets", "/api/v1/pods",
    "/api/v1/replicationcontrollers",
    "/apis/rbac.authorization.k8s.io/v1/clusterroles", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
    "/apis/rbac.authorization.k8s.io/v1/roles", "/apis/rbac.authorization.k8s.io/v1/rolebindings",
    "/apis/apps/v1/deployments", "/apis/apps/v1/replicasets", "/apis/apps/v1/statefulsets",
    "/apis/apps/v1/daemonsets", "/apis/batch/v1/jobs", "/apis/batch/v1/cronjobs",
};

struct kcfg {
    char *server;
    unsigned char *ca, *cert, *key;
    size_t ca_len, cert_len, key_len;
    char *ca_file, *cert_file, *key_file;
    char *token;
    bool insecure;
};

static void kcfg_release(struct kcfg *k)
{
    free(k->server);
    free(k->ca);
    free(k->cert);
    if (k->key != NULL)
        memset(k->key, 0, k->key_len);
    free(k->key);
    free(k->ca_file);
    free(k->cert_file);
    free(k->key_file);
    if (k->token != NULL)
        memset(k->token, 0, strlen(k->token));
    free(k->token);
}

static json_t *named(json_t *list, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
        if (name && json_str(v, "name") && strcmp(json_str(v, "name"), name) == 0)
            return v;
    return NULL;
}

static unsigned char *b64(json_t *o, const char *key, size_t *ret_len)
{
    const char *s = json_str(o, key);
    return s ? base64_decode(s, strlen(s), ret_len) : NULL;
}

/* A path in a kubeconfig is relative to the kubeconfig's directory. */
static char *rel_path(const char *kubeconfig, const char *p)
{
    if (p == NULL)
        return NULL;
    if (p[0] == '/')
        return xstrdup(p);
    const char *slash = strrchr(kubeconfig, '/');
    if (slash == NULL)
        return xstrdup(p);
    return xasprintf("%.*s/%s", (int)(slash - kubeconfig), kubeconfig, p);
}

static int kcfg_read(const char *path, const char *context, struct kcfg *k, char **ret_err)
{
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        *ret_err = xasprintf("%s: cannot open the kubeconfig", path);
        return AZ_EIO;
    }
    struct buf b;
    buf_init(&b, 16 * 1024 * 1024);
    char chunk[8192];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (buf_append(&b, chunk, n) != 0)
            rc = AZ_ETOOLARGE;
    fclose(f);
    char *err = NULL;
    json_t *cfg = rc == 0 ? analyze_yaml_to_json(b.data ? b.data : "", b.len, &err) : NULL;
    buf_release(&b);
    if (cfg == NULL) {
        *ret_err = xasprintf("%s: %s", path, err ? err : "too large");
        free(err);
        return AZ_EINVALID;
    }
    const char *ctx_name = context ? context : json_str(cfg, "current-context");
    json_t *ctx = json_object_get(named(json_object_get(cfg, "contexts"), ctx_name), "context");
    if (ctx == NULL) {
        *ret_err = xasprintf("%s: context \"%s\" not found", path, ctx_name ? ctx_name : "");
        json_decref(cfg);
        return AZ_EINVALID;
    }
    json_t *cl = json_object_get(named(json_object_get(cfg, "clusters"), json_str(ctx, "cluster")), "cluster");
    json_t *us = json_object_get(named(json_object_get(cfg, "users"), json_str(ctx, "user")), "user");
    if (cl == NULL || json_str(cl, "server") == NULL) {
        *ret_err = xasprintf("%s: cluster of context \"%s\" has no server", path, ctx_name);
        json_decref(cfg);
        return AZ_EINVALID;
    }
    k->server = xstrdup(json_str(cl, "server"));
    size_t len = strlen(k->server);
    while (len > 0 && k->server[len - 1] == '/')
        k->server[--len] = '\0';
    k->ca = b64(cl, "certificate-authority-data", &k->ca_len);
    k->ca_file = rel_path(path, json_str(cl, "certificate-authority"));
    k->insecure = json_is_true(json_object_get(cl, "insecure-skip-tls-verify"));
    k->cert = b64(us, "client-certificate-data", &k->cert_len);
    k->key = b64(us, "client-key-data", &k->key_len);
    k->cert_file = rel_path(path, json_str(us, "client-certificate"));
    k->key_file = rel_path(path, json_str(us, "client-key"));
    if (json_str(us, "token") != NULL) {
        k->token = xstrdup(json_str(us, "token"));
    } else if (json_str(us, "tokenFile") != NULL) {
        char *tf = rel_path(path, json_str(us, "tokenFile"));
        FILE *t = fopen(tf, "re");
        char tok[8192];
        size_t tn = t ? fread(tok, 1, sizeof(tok) - 1, t) : 0;
        if (t != NULL)
            fclose(t);
        tok[tn] = '\0';
        tok[strcspn(tok, "\r\n")] = '\0';
        if (t == NULL || tok[0] == '\0') {
            *ret_err = xasprintf("%s: cannot read tokenFile %s", path, tf);
            free(tf);
            json_decref(cfg);
            return AZ_EIO;
        }
        k->token = xstrdup(tok);
        memset(tok, 0, sizeof(tok));
        free(tf);
    } else if (json_object_get(us, "exec") != NULL || json_object_get(us, "auth-provider") != NULL) {
        *ret_err = xasprintf("%s: user of context \"%s\" uses a credential plugin (exec/auth-provider), which "
                             "anzen analyze does not run; use a token, tokenFile or client certificate", path, ctx_name);
        json_decref(cfg);
        return AZ_EINVALID;
    }
    json_decref(cfg);
    return 0;
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    return buf_append(arg, p, size * n) == 0 ? size * n : 0;
}

static void setup(CURL *c, const struct kcfg *k, struct curl_slist *hdrs)
{
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 300L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
    if (k->ca != NULL) {
        struct curl_blob blob = {k->ca, k->ca_len, CURL_BLOB_COPY};
        curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
    } else if (k->ca_file != NULL) {
        curl_easy_setopt(c, CURLOPT_CAINFO, k->ca_file);
    }
    if (k->insecure) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (k->cert != NULL) {
        struct curl_blob blob = {k->cert, k->cert_len, CURL_BLOB_COPY};
        curl_easy_setopt(c, CURLOPT_SSLCERT_BLOB, &blob);
        curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
    } else if (k->cert_file != NULL) {
        curl_easy_setopt(c, CURLOPT_SSLCERT, k->cert_file);
    }
    if (k->key != NULL) {
        struct curl_blob blob = {k->key, k->key_len, CURL_BLOB_COPY};
        curl_easy_setopt(c, CURLOPT_SSLKEY_BLOB, &blob);
        curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
    } else if (k->key_file != NULL) {
        curl_easy_setopt(c, CURLOPT_SSLKEY, k->key_file);
    }
}

/* Lists one resource (all pages) into inv. 1 when the server does not serve it. */
static int list_all(CURL *c, const struct kcfg *k, const char *path, struct analyze_inventory *inv,
                    enum analyze_progress progress, size_t *count, char **ret_err)
{
    char *cont = NULL;
    int rc = 0;
    const char *kind_hint = strrchr(path, '/') + 1;
    do {
        char *esc = cont ? curl_easy_escape(c, cont, 0) : NULL;
        char *url = xasprintf("%s%s?limit=%d%s%s", k->server, path, LIVE_PAGE, esc ? "&continue=" : "", esc ? esc : "");
        curl_free(esc);
        free(cont);
        cont = NULL;
        struct buf body;
        buf_init(&body, LIVE_MAX_RESPONSE);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
        CURLcode cr = curl_easy_perform(c);
        long code = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        free(url);
        if (cr != CURLE_OK) {
            *ret_err = xasprintf("%s%s: %s", k->server, path, curl_easy_strerror(cr));
            buf_release(&body);
            return AZ_EUNAVAILABLE;
        }
        json_error_t jerr;
        json_t *list = body.len ? json_loadb(body.data, body.len, 0, &jerr) : NULL;
        buf_release(&body);
        if (code == 404) {
            json_decref(list);
            return 1;
        }
        if (code != 200 || !json_is_object(list)) {
            const char *msg = json_str(list, "message");
            *ret_err = xasprintf("list %s: HTTP %ld%s%s", path, code, msg ? ": " : "", msg ? msg : "");
            json_decref(list);
            return code == 401 ? AZ_EUNAUTHORIZED : code == 403 ? AZ_EFORBIDDEN : AZ_EINTERNAL;
        }
        /* items of a list carry no kind: the list's kind without "List" */
        const char *lk = json_str(list, "kind");
        char *kind = lk && strlen(lk) > 4 ? xstrndup(lk, strlen(lk) - 4) : xstrdup(kind_hint);
        const char *apiv = json_str(list, "apiVersion");
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(list, "items"), i, it) {
            if (!json_is_object(it))
                continue;
            if (json_str(it, "kind") == NULL)
                json_object_set_new(it, "kind", json_string(kind));
            if (json_str(it, "apiVersion") == NULL && apiv)
                json_object_set_new(it, "apiVersion", json_string(apiv));
            analyze_inventory_add(inv, json_incref(it), NULL, 0);
            (*count)++;
        }
        free(kind);
        const char *next = json_path_str(list, "metadata.continue");
        if (next != NULL && *next)
            cont = xstrdup(next);
        json_decref(list);
        if (progress == ANALYZE_PROGRESS_LIVE)
            fprintf(stderr, "\ranzen analyze: listing %-28s %zu objects", kind_hint, *count);
    } while (cont != NULL && rc == 0);
    return rc;
}

int analyze_live_load(struct analyze_inventory *inv, const char *kubeconfig, const char *context,
                      enum analyze_progress progress, char **ret_err)
{
    struct kcfg k = {0};
    int rc = kcfg_read(kubeconfig, context, &k, ret_err);
    if (rc != 0) {
        kcfg_release(&k);
        return rc;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *c = curl_easy_init();
    struct curl_slist *hdrs = curl_slist_append(NULL, "Accept: application/json");
    char *auth = k.token ? xasprintf("Authorization: Bearer %s", k.token) : NULL;
    if (auth != NULL)
        hdrs = curl_slist_append(hdrs, auth);
    setup(c, &k, hdrs);
    size_t count = 0;
    for (size_t i = 0; i < sizeof(live_paths) / sizeof(live_paths[0]) && rc == 0; i++) {
        int r = list_all(c, &k, live_paths[i], inv, progress, &count, ret_err);
        rc = r < 0 ? r : 0;
    }
    if (progress == ANALYZE_PROGRESS_LIVE)
        fputc('\r', stderr);
    if (progress != ANALYZE_PROGRESS_NONE && rc == 0)
        fprintf(stderr, "anzen analyze: listed %zu objects from %s%-20s\n", count, k.server, "");
    else if (progress == ANALYZE_PROGRESS_LIVE)
        fputc('\n', stderr);
    curl_easy_cleanup(c);
    curl_slist_free_all(hdrs);
    if (auth != NULL) {
        memset(auth, 0, strlen(auth));
        free(auth);
    }
    kcfg_release(&k);
    return rc;
}
