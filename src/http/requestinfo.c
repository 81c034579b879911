/* requestinfo.c — RequestInfoFactory; the rules are listed in requestinfo.h. */
#include "http/requestinfo.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "machinery/selector.h"
#include "util/buf.h"
#include "util/err.h"

/* Every string of a request_info lives in one block (ri->block_): the path as given, the
 * trimmed path split in place into its segments (which the fields and parts point at), the
 * lower-case method, the selectors and a name taken from a field selector. Constant verbs
 * and "" point at static strings. One malloc and one free per request instead of ~17 each. */
struct ri_block {
    char *next; /* where the next string goes */
    char *end;
};

static char *block_put(struct ri_block *b, const char *s, size_t n)
{
    char *r = b->next;
    if (n + 1 > (size_t)(b->end - b->next))
        abort(); /* sized in request_info_parse: cannot happen */
    memcpy(r, s, n);
    r[n] = '\0';
    b->next += n + 1;
    return r;
}

void request_info_release(struct request_info *ri)
{
    if (ri == NULL)
        return;
    free(ri->block_);
    memset(ri, 0, sizeof(*ri));
}

/* strings.Trim(path, "/"): the bounds [*ret_a, *ret_b) of path[0..len). */
static void trim_slashes(const char *path, size_t len, size_t *ret_a, size_t *ret_b)
{
    size_t a = 0, b = len;
    while (a < b && path[a] == '/')
        a++;
    while (b > a && path[b - 1] == '/')
        b--;
    *ret_a = a;
    *ret_b = b;
}

/* How many segments Go's strings.Split(strings.Trim(path, "/"), "/") gives ("" gives none). */
static size_t count_segments(const char *path, size_t len)
{
    size_t a, b, n = 1;
    trim_slashes(path, len, &a, &b);
    if (a == b)
        return 0;
    for (size_t i = a; i < b; i++)
        if (path[i] == '/')
            n++;
    return n;
}

/* The segments themselves: the trimmed path is copied into blk and cut at every '/'; segs
 * (room for count_segments(path)) gets them. Returns their number. */
static size_t split_path(struct ri_block *blk, const char *path, size_t len, char **segs)
{
    size_t a, b, n = 0;
    trim_slashes(path, len, &a, &b);
    if (a == b)
        return 0;
    char *copy = block_put(blk, path + a, b - a);
    segs[n++] = copy;
    for (char *c = copy; *c; c++) {
        if (*c == '/') {
            *c = '\0';
            segs[n++] = c + 1;
        }
    }
    return n;
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
    size_t path_len = strlen(path), method_len = strlen(method);
    size_t nall = count_segments(path, path_len);
    const char *fs_text = query_get(q, "fieldSelector");
    const char *ls_text = query_get(q, "labelSelector");
    size_t fs_len = fs_text != NULL ? strlen(fs_text) : 0;
    size_t ls_len = ls_text != NULL ? strlen(ls_text) : 0;
    /* the segments and parts arrays first (aligned), then the strings: the path twice (as
     * given, and split), the method, both selectors, and a name out of the field selector
     * (no longer than the selector's text) */
    size_t nptr = 2 * (nall ? nall : 1);
    size_t size = nptr * sizeof(char *) + 2 * (path_len + 1) + method_len + 1 + 2 * (fs_len + 1) +
                  ls_len + 1;
    ri.block_ = xmalloc(size);
    char **all = (char **)ri.block_;
    struct ri_block blk = {ri.block_ + nptr * sizeof(char *), ri.block_ + size};

    ri.path = block_put(&blk, path, path_len);
    char *lower = block_put(&blk, method, method_len);
    for (char *c = lower; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    ri.verb = lower;
    ri.api_prefix = ri.api_group = ri.api_version = ri.namespace = ri.resource = ri.subresource =
        ri.name = "";

    split_path(&blk, path, path_len, all);
    size_t cur = 0; /* index of the current first part */
    int r = 0;

    if (nall < 3 || (strcmp(all[0], "api") != 0 && strcmp(all[0], "apis") != 0))
        goto done;
    bool groupless = strcmp(all[0], "api") == 0;
    ri.api_prefix = all[0]; /* upstream records it even if the group check fails */
    if (!groupless && nall - 1 < 3)
        goto done;
    cur = 1;
    if (!groupless)
        ri.api_group = all[cur++];
    ri.is_resource = true;
    ri.api_version = all[cur++];

    bool verb_via_path = false;
    if (strcmp(all[cur], "proxy") == 0 || strcmp(all[cur], "watch") == 0) {
        if (nall - cur < 2) {
            r = AZ_EINTERNAL;
            goto done;
        }
        ri.verb = all[cur++];
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
        ri.verb = verb;
    }

    if (strcmp(all[cur], "namespaces") == 0) {
        if (nall - cur > 1) {
            ri.namespace = all[cur + 1];
            if (nall - cur > 2 && strcmp(all[cur + 2], "status") != 0 &&
                strcmp(all[cur + 2], "finalize") != 0)
                cur += 2;
        }
    }

    /* parts = all[cur..] */
    ri.nparts = nall - cur;
    ri.parts = (const char **)(all + nall);
    for (size_t i = 0; i < ri.nparts; i++)
        ri.parts[i] = all[cur + i];

    if (ri.nparts >= 3 && strcmp(ri.verb, "proxy") != 0)
        ri.subresource = ri.parts[2];
    if (ri.nparts >= 2)
        ri.name = ri.parts[1];
    if (ri.nparts >= 1)
        ri.resource = ri.parts[0];

    if (ri.name[0] == '\0' && strcmp(ri.verb, "get") == 0) {
        const char *w = query_get(q, "watch");
        bool decoded = list_options_decode(q);
        ri.verb = w != NULL && !watch_value_false(w, decoded) ? "watch" : "list";
        if (decoded && fs_text != NULL) {
            struct field_selector *fs = NULL;
            if (field_selector_parse(fs_text, &fs, NULL) == 0) {
                const char *name = field_selector_exact_name(fs);
                if (name != NULL && valid_path_segment_name(name))
                    ri.name = block_put(&blk, name, strlen(name));
            }
            field_selector_free(fs);
        }
    }
    if (ri.name[0] == '\0' && strcmp(ri.verb, "delete") == 0)
        ri.verb = "deletecollection";

    if (!verb_via_path && (strcmp(ri.verb, "list") == 0 || strcmp(ri.verb, "watch") == 0 ||
                           strcmp(ri.verb, "deletecollection") == 0)) {
        if (fs_text != NULL)
            ri.field_selector = block_put(&blk, fs_text, fs_len);
        if (ls_text != NULL)
            ri.label_selector = block_put(&blk, ls_text, ls_len);
    }

done:
    if (r != 0) {
        request_info_release(&ri);
        return r;
    }
    *ret = ri;
    return 0;
}
