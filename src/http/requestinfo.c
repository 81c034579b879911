/* requestinfo.c — RequestInfoFactory; the rules are listed in requestinfo.h. */
#include "http/requestinfo.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "machinery/selector.h"
#include "util/err.h"

static char *dup_n(const char *s, size_t n)
{
    char *p = strndup(s, n);
    if (p == NULL)
        abort();
    return p;
}

static char *dup(const char *s)
{
    return dup_n(s, strlen(s));
}

static void set(char **field, const char *value)
{
    free(*field);
    *field = dup(value);
}

void request_info_release(struct request_info *ri)
{
    if (ri == NULL)
        return;
    free(ri->path);
    free(ri->verb);
    free(ri->api_prefix);
    free(ri->api_group);
    free(ri->api_version);
    free(ri->namespace);
    free(ri->resource);
    free(ri->subresource);
    free(ri->name);
    for (size_t i = 0; i < ri->nparts; i++)
        free(ri->parts[i]);
    free(ri->parts);
    free(ri->field_selector);
    free(ri->label_selector);
    memset(ri, 0, sizeof(*ri));
}

/* Go's strings.Split(strings.Trim(path, "/"), "/"), with "" giving no segments. */
static char **split_path(const char *path, size_t *ret_n)
{
    size_t len = strlen(path), a = 0, b = len;
    while (a < b && path[a] == '/')
        a++;
    while (b > a && path[b - 1] == '/')
        b--;
    *ret_n = 0;
    if (a == b)
        return NULL;
    size_t n = 1;
    for (size_t i = a; i < b; i++)
        if (path[i] == '/')
            n++;
    char **parts = calloc(n, sizeof(*parts));
    if (parts == NULL)
        abort();
    size_t k = 0, start = a;
    for (size_t i = a; i <= b; i++) {
        if (i == b || path[i] == '/') {
            parts[k++] = dup_n(path + start, i - start);
            start = i + 1;
        }
    }
    *ret_n = n;
    return parts;
}

static bool is_int64(const char *s)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (*p == '\0')
        return false;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9')
            return false;
    errno = 0;
    char *end;
    (void)strtoll(s, &end, 10);
    return errno != ERANGE && *end == '\0';
}

/* Whether the query decodes into metainternalversion.ListOptions without error (the
 * parameter codec fails on a bad selector or a non-integer timeoutSeconds/limit). */
static bool list_options_decode(const struct query *q)
{
    const char *v;
    if ((v = query_get(q, "labelSelector")) != NULL) {
        struct label_selector *ls;
        if (label_selector_parse(v, &ls, NULL) != 0)
            return false;
        label_selector_free(ls);
    }
    if ((v = query_get(q, "fieldSelector")) != NULL) {
        struct field_selector *fs;
        if (field_selector_parse(v, &fs, NULL) != 0)
            return false;
        field_selector_free(fs);
    }
    if ((v = query_get(q, "timeoutSeconds")) != NULL && !is_int64(v))
        return false;
    if ((v = query_get(q, "limit")) != NULL && !is_int64(v))
        return false;
    return true;
}

/* path.IsValidPathSegmentName: not "." or "..", no '/' or '%'. */
static bool valid_path_segment_name(const char *name)
{
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return false;
    return strchr(name, '/') == NULL && strchr(name, '%') == NULL;
}

/* The ?watch= value is false. When the list options decode, upstream uses the parameter
 * codec's bool conversion ("0", or strings.EqualFold with "false", under which U+017F LATIN
 * SMALL LETTER LONG S folds to 's'); otherwise strings.ToLower(v) is "false" or "0". */
static bool watch_value_false(const char *v, bool decoded)
{
    if (strcmp(v, "0") == 0)
        return true;
    static const char want[] = "false";
    size_t i = 0;
    for (const char *c = v; *c; i++) {
        if (i >= sizeof(want) - 1)
            return false;
        if (decoded && want[i] == 's' && (unsigned char)c[0] == 0xc5 &&
            (unsigned char)c[1] == 0xbf) {
            c += 2;
            continue;
        }
        char lc = (*c >= 'A' && *c <= 'Z') ? (char)(*c - 'A' + 'a') : *c;
        if (lc != want[i])
            return false;
        c++;
    }
    return i == sizeof(want) - 1;
}

int request_info_parse(const char *method, const char *path, const struct query *q,
                       struct request_info *ret)
{
    struct request_info ri = {0};
    memset(ret, 0, sizeof(*ret));
    ri.path = dup(path);
    ri.verb = dup(method);
    for (char *c = ri.verb; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    ri.api_prefix = dup("");
    ri.api_group = dup("");
    ri.api_version = dup("");
    ri.namespace = dup("");
    ri.resource = dup("");
    ri.subresource = dup("");
    ri.name = dup("");

    size_t nall;
    char **all = split_path(path, &nall);
    size_t cur = 0; /* index of the current first part */
    int r = 0;

    if (nall < 3 || (strcmp(all[0], "api") != 0 && strcmp(all[0], "apis") != 0))
        goto done;
    bool groupless = strcmp(all[0], "api") == 0;
    set(&ri.api_prefix, all[0]); /* upstream records it even if the group check fails */
    if (!groupless && nall - 1 < 3)
        goto done;
    cur = 1;
    if (!groupless)
        set(&ri.api_group, all[cur++]);
    ri.is_resource = true;
    set(&ri.api_version, all[cur++]);

    bool verb_via_path = false;
    if (strcmp(all[cur], "proxy") == 0 || strcmp(all[cur], "watch") == 0) {
        if (nall - cur < 2) {
            r = AZ_EINTERNAL;
            goto done;
        }
        set(&ri.verb, all[cur++]);
        verb_via_path = true;
    } else {
        static const struct {
            const char *method, *verb;
        } verbs[] = {
            {"POST", "create"}, {"GET", "get"}, {"HEAD", "get"},
            {"PUT", "update"},  {"PATCH", "patch"}, {"DELETE", "delete"},
        };
        const char *verb = "";
        for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
            if (strcmp(method, verbs[i].method) == 0)
                verb = verbs[i].verb;
        set(&ri.verb, verb);
    }

    if (strcmp(all[cur], "namespaces") == 0) {
        if (nall - cur > 1) {
            set(&ri.namespace, all[cur + 1]);
            if (nall - cur > 2 && strcmp(all[cur + 2], "status") != 0 &&
                strcmp(all[cur + 2], "finalize") != 0)
                cur += 2;
        }
    }

    /* parts = all[cur..] */
    ri.nparts = nall - cur;
    ri.parts = calloc(ri.nparts ? ri.nparts : 1, sizeof(*ri.parts));
    if (ri.parts == NULL)
        abort();
    for (size_t i = 0; i < ri.nparts; i++)
        ri.parts[i] = dup(all[cur + i]);

    if (ri.nparts >= 3 && strcmp(ri.verb, "proxy") != 0)
        set(&ri.subresource, ri.parts[2]);
    if (ri.nparts >= 2)
        set(&ri.name, ri.parts[1]);
    if (ri.nparts >= 1)
        set(&ri.resource, ri.parts[0]);

    if (ri.name[0] == '\0' && strcmp(ri.verb, "get") == 0) {
        const char *w = query_get(q, "watch");
        bool decoded = list_options_decode(q);
        set(&ri.verb, w != NULL && !watch_value_false(w, decoded) ? "watch" : "list");
        if (decoded) {
            const char *fs_text = query_get(q, "fieldSelector");
            struct field_selector *fs = NULL;
            if (fs_text != NULL && field_selector_parse(fs_text, &fs, NULL) == 0) {
                const char *name = field_selector_exact_name(fs);
                if (name != NULL && valid_path_segment_name(name))
                    set(&ri.name, name);
            }
            field_selector_free(fs);
        }
    }
    if (ri.name[0] == '\0' && strcmp(ri.verb, "delete") == 0)
        set(&ri.verb, "deletecollection");

    if (!verb_via_path && (strcmp(ri.verb, "list") == 0 || strcmp(ri.verb, "watch") == 0 ||
                           strcmp(ri.verb, "deletecollection") == 0)) {
        const char *v;
        if ((v = query_get(q, "fieldSelector")) != NULL)
            ri.field_selector = dup(v);
        if ((v = query_get(q, "labelSelector")) != NULL)
            ri.label_selector = dup(v);
    }

done:
    for (size_t i = 0; i < nall; i++)
        free(all[i]);
    free(all);
    if (r != 0) {
        request_info_release(&ri);
        return r;
    }
    *ret = ri;
    return 0;
}
