/* manifest.c — YAML/JSON manifest streams → objects with their file and line (analyze.h).
 *
 * Every document of the stream is walked node by node (libfyaml) so each object keeps the
 * line it starts at (the line of its first key), for SARIF locations. Plain scalars are
 * resolved as sigs.k8s.io/yaml (YAML 1.1 via go-yaml v2) does for the values the analysis reads:
 * null (~, null, empty), booleans (true/false/yes/no/on/off in three casings, y/Y/n/N), integers
 * and floats; quoted and block scalars stay strings. Aliases are not expanded (they become
 * null), so a hostile stream cannot multiply itself; nesting deeper than ANALYZE_MAX_DEPTH is
 * an error. */
#include <dirent.h>
#include <errno.h>
#include <libfyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "analyze/analyze.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/text.h"
#include "util/util.h"
#include "util/json.h"
#include "util/yaml.h"

static int node_line(struct fy_node *n)
{
    struct fy_token *t = NULL;
    for (int guard = 0; n != NULL && guard < ANALYZE_MAX_DEPTH; guard++) {
        enum fy_node_type ty = fy_node_get_type(n);
        if (ty == FYNT_SCALAR) {
            t = fy_node_get_scalar_token(n);
            break;
        }
        void *it = NULL;
        if (ty == FYNT_MAPPING) {
            struct fy_node_pair *p = fy_node_mapping_iterate(n, &it);
            n = p ? fy_node_pair_key(p) : NULL;
        } else {
            n = fy_node_sequence_iterate(n, &it);
        }
    }
    const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
    return m ? m->line + 1 : 0;
}

static bool word_in(const char *s, size_t n, const char *const *words)
{
    for (; *words; words++)
        if (strlen(*words) == n && memcmp(*words, s, n) == 0)
            return true;
    return false;
}

/* A JSON string of the bytes (invalid UTF-8 becomes ""). */
static json_t *str_value(const char *s, size_t n)
{
    json_t *v = json_stringn(s, n);
    return v ? v : json_string("");
}

static json_t *plain_scalar(const char *s, size_t n)
{
    static const char *const nulls[] = {"~", "null", "Null", "NULL", NULL};
    static const char *const trues[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y", NULL};
    static const char *const falses[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N", NULL};
    if (n == 0 || word_in(s, n, nulls))
        return json_null();
    if (word_in(s, n, trues))
        return json_true();
    if (word_in(s, n, falses))
        return json_false();
    if (n < 40) {
        char tmp[48];
        memcpy(tmp, s, n);
        tmp[n] = '\0';
        char *end;
        errno = 0;
        long long v = strtoll(tmp, &end, 10);
        if (*end == '\0' && errno == 0 && (tmp[0] == '-' || tmp[0] == '+' || (tmp[0] >= '0' && tmp[0] <= '9')))
            return json_integer(v);
        bool num = false;
        for (size_t i = 0; i < n; i++)
            num |= tmp[i] >= '0' && tmp[i] <= '9';
        if (num && strspn(tmp, "0123456789+-.eE") == n) {
            double d = strtod(tmp, &end);
            if (*end == '\0')
                return json_real(d);
        }
    }
    return str_value(s, n);
}

static json_t *node_to_json(struct fy_node *n, int depth, char **ret_err)
{
    if (n == NULL)
        return json_null();
    if (depth > ANALYZE_MAX_DEPTH) {
        if (*ret_err == NULL)
            *ret_err = xasprintf("document nested deeper than %d levels", ANALYZE_MAX_DEPTH);
        return NULL;
    }
    switch (fy_node_get_type(n)) {
    case FYNT_SCALAR: {
        enum fy_node_style st = fy_node_get_style(n);
        if (st == FYNS_ALIAS)
            return json_null();
        size_t len = 0;
        char *s = yaml_scalar(n, &len); /* not fy_node_get_scalar: util/yaml.h */
        if (s == NULL)
            return json_null();
        json_t *v = st == FYNS_PLAIN || st == FYNS_ANY ? plain_scalar(s, len) : str_value(s, len);
        free(s);
        return v;
    }
    case FYNT_SEQUENCE: {
        json_t *a = json_array();
        void *it = NULL;
        struct fy_node *c;
        while ((c = fy_node_sequence_iterate(n, &it)) != NULL) {
            json_t *v = node_to_json(c, depth + 1, ret_err);
            if (v == NULL) {
                json_decref(a);
                return NULL;
            }
            json_array_append_new(a, v);
        }
        return a;
    }
    case FYNT_MAPPING: {
        json_t *o = json_object();
        void *it = NULL;
        struct fy_node_pair *p;
        while ((p = fy_node_mapping_iterate(n, &it)) != NULL) {
            struct fy_node *k = fy_node_pair_key(p);
            size_t klen = 0;
            char *key = k && fy_node_get_type(k) == FYNT_SCALAR ? yaml_scalar(k, &klen) : NULL;
            if (key == NULL || memchr(key, '\0', klen) != NULL) {
                free(key);
                continue; /* complex or binary keys: not part of any Kubernetes object */
            }
            json_t *v = node_to_json(fy_node_pair_value(p), depth + 1, ret_err);
            if (v == NULL) {
                free(key);
                json_decref(o);
                return NULL;
            }
            json_object_set_new(o, key, v); /* invalid UTF-8 keys are dropped */
            free(key);
        }
        return o;
    }
    }
    return json_null();
}

/* The first error collected on diag as "line <line>, column <col>: <text>", malloc'd; NULL if
 * none. */
static char *first_error(struct fy_diag *diag)
{
    void *it = NULL;
    struct fy_diag_error *e;
    while ((e = fy_diag_errors_iterate(diag, &it)) != NULL)
        if (e->type == FYET_ERROR)
            return xasprintf("line %d, column %d: %s", e->line, e->column, e->msg ? e->msg : "invalid YAML");
    return NULL;
}

/* Calls fn for every document's root with its JSON value. Returns 0 or AZ_EINVALID. */
static int each_document(const char *data, size_t len, char **ret_err,
                         int (*fn)(void *arg, struct fy_node *root, json_t *v), void *arg)
{
    size_t bad = utf8_invalid_at(data, len);
    if (bad < len) {
        int line = 1;
        for (size_t i = 0; i < bad; i++)
            line += data[i] == '\n';
        *ret_err = xasprintf("line %d: invalid UTF-8", line);
        return AZ_EINVALID;
    }
    /* errors are collected (the first one is reported), never formatted nor printed */
    struct fy_diag *diag = yaml_diag_create();
    struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET | FYPCF_DEFAULT_VERSION_AUTO, .diag = diag};
    struct fy_parser *fyp = diag ? fy_parser_create(&cfg) : NULL;
    if (fyp == NULL) {
        yaml_diag_release(diag);
        *ret_err = xstrdup("cannot create a YAML parser");
        return AZ_EINTERNAL;
    }
    int rc = 0;
    char *err = NULL;
    if (!yaml_text_safe(data, len) || fy_parser_set_string(fyp, data, len) != 0) {
        err = xstrdup("cannot read the manifest");
        rc = AZ_EINVALID;
        goto out;
    }
    struct fy_document *fyd;
    while ((fyd = fy_parse_load_document(fyp)) != NULL) {
        struct fy_node *root = fy_document_root(fyd);
        json_t *v = root ? node_to_json(root, 0, &err) : json_null();
        int r = v ? fn(arg, root, v) : AZ_EINVALID;
        fy_parse_document_destroy(fyp, fyd);
        if (v == NULL) {
            rc = AZ_EINVALID;
            goto out;
        }
        if (r != 0) {
            rc = r > 0 ? 0 : r;
            goto out;
        }
    }
    if (fy_parser_get_stream_error(fyp))
        rc = AZ_EINVALID;
out:
    if (rc == AZ_EINVALID && err == NULL) {
        err = first_error(diag); /* with its position */
    }
    fy_parser_destroy(fyp);
    yaml_diag_release(diag);
    if (rc != 0)
        *ret_err = err ? err : xstrdup("invalid YAML");
    else
        free(err);
    return rc;
}

struct load_ctx {
    struct analyze_inventory *inv;
    const char *file;
};

/* The value node of key in a mapping node, or NULL. */
static struct fy_node *mapping_get(struct fy_node *n, const char *key)
{
    if (n == NULL || fy_node_get_type(n) != FYNT_MAPPING)
        return NULL;
    void *it = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(n, &it)) != NULL) {
        struct fy_node *k = fy_node_pair_key(p);
        size_t len = 0;
        char *ks = k && fy_node_get_type(k) == FYNT_SCALAR ? yaml_scalar(k, &len) : NULL;
        bool same = ks != NULL && len == strlen(key) && memcmp(ks, key, len) == 0;
        free(ks);
        if (same)
            return fy_node_pair_value(p);
    }
    return NULL;
}

/* Adds a document's object; the items of a List each with their own line. */
static int add_document(void *arg, struct fy_node *root, json_t *v)
{
    struct load_ctx *c = arg;
    const char *kind = json_str(v, "kind");
    size_t kl = kind ? strlen(kind) : 0;
    struct fy_node *items = mapping_get(root, "items");
    if (kl >= 4 && strcmp(kind + kl - 4, "List") == 0 && json_is_array(json_object_get(v, "items")) && items != NULL &&
        fy_node_get_type(items) == FYNT_SEQUENCE) {
        void *it = NULL;
        struct fy_node *item;
        for (size_t i = 0; (item = fy_node_sequence_iterate(items, &it)) != NULL; i++)
            analyze_inventory_add(c->inv, json_incref(json_array_get(json_object_get(v, "items"), i)), c->file, node_line(item));
        json_decref(v);
        return 0;
    }
    analyze_inventory_add(c->inv, v, c->file, node_line(root));
    return 0;
}

int analyze_load_manifest(struct analyze_inventory *inv, const char *data, size_t len,
                          const char *file, char **ret_err)
{
    struct load_ctx c = {inv, file};
    char *err = NULL;
    int rc = each_document(data, len, &err, add_document, &c);
    if (rc != 0)
        *ret_err = xasprintf("%s: %s", file ? file : "-", err);
    free(err);
    return rc;
}

static int keep_first(void *arg, struct fy_node *root, json_t *v)
{
    *(json_t **)arg = v;
    return 1; /* stop */
}

json_t *analyze_yaml_to_json(const char *data, size_t len, char **ret_err)
{
    json_t *v = NULL;
    if (each_document(data, len, ret_err, keep_first, &v) != 0)
        return NULL;
    if (v == NULL)
        *ret_err = xstrdup("empty document");
    return v;
}

/* Reads all of f (at most ANALYZE_MAX_MANIFEST bytes). */
static int read_all(FILE *f, const char *name, struct buf *ret, char **ret_err)
{
    char chunk[65536];
    size_t n;
    buf_init(ret, ANALYZE_MAX_MANIFEST);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (buf_append(ret, chunk, n) != 0) {
            *ret_err = xasprintf("%s: larger than %u bytes", name, ANALYZE_MAX_MANIFEST);
            buf_release(ret);
            return AZ_ETOOLARGE;
        }
    }
    if (ferror(f)) {
        *ret_err = xasprintf("%s: %s", name, strerror(errno));
        buf_release(ret);
        return AZ_EIO;
    }
    return 0;
}

static int load_file(struct analyze_inventory *inv, const char *path, char **ret_err)
{
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "re");
    if (f == NULL) {
        *ret_err = xasprintf("%s: %s", path, strerror(errno));
        return AZ_EIO;
    }
    struct buf b;
    int rc = read_all(f, path, &b, ret_err);
    if (!is_stdin)
        fclose(f);
    if (rc != 0)
        return rc;
    rc = analyze_load_manifest(inv, b.data ? b.data : "", b.len, path, ret_err);
    buf_release(&b);
    return rc;
}

static bool manifest_name(const char *name)
{
    size_t n = strlen(name);
    return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) || (n > 4 && strcmp(name + n - 4, ".yml") == 0) ||
           (n > 5 && strcmp(name + n - 5, ".json") == 0);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_dir(struct analyze_inventory *inv, const char *path, int depth, char **ret_err)
{
    if (depth > 32)
        return 0;
    DIR *d = opendir(path);
    if (d == NULL) {
        *ret_err = xasprintf("%s: %s", path, strerror(errno));
        return AZ_EIO;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            names = xrealloc(names, cap * sizeof(*names));
        }
        names[n++] = xstrdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), cmp_names);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        char *p = xasprintf("%s/%s", path, names[i]);
        struct stat st;
        if (rc == 0 && stat(p, &st) == 0) {
            if (S_ISDIR(st.st_mode))
                rc = load_dir(inv, p, depth + 1, ret_err);
            else if (S_ISREG(st.st_mode) && manifest_name(names[i]))
                rc = load_file(inv, p, ret_err);
        }
        free(p);
        free(names[i]);
    }
    free(names);
    return rc;
}

int analyze_load_path(struct analyze_inventory *inv, const char *path, char **ret_err)
{
    struct stat st;
    if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return load_dir(inv, path, 0, ret_err);
    return load_file(inv, path, ret_err);
}
