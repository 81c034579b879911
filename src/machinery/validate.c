/* validate.c — entry points of defaulting and validation (validate.h), object metadata
 * validation and the name/label checks of upstream apimachinery:
 *   pkg/util/validation/validation.go      IsDNS1123Label/Subdomain, IsQualifiedName,
 *                                          IsValidLabelValue, IsConfigMapKey, RegexError
 *   pkg/api/validation/path/name.go        IsValidPathSegmentName
 *   pkg/api/validation/generic.go          NameIsDNSSubdomain/Label (maskTrailingDash)
 *   pkg/api/validation/objectmeta.go       ValidateObjectMeta(Update), annotations, finalizers
 *   pkg/apis/meta/v1/validation            ValidateLabels
 * Kind-specific parts live in validate_core.c, validate_batch.c and validate_rbac.c. */
#include "machinery/validate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machinery/validate_int.h"
#include "util/buf.h"
#include "util/util.h"

/* ---- message lists ---------------------------------------------------------------------- */

void vmsgs_add(struct vmsgs *ms, const char *fmt, ...)
{
    if (ms->n >= sizeof(ms->m) / sizeof(ms->m[0]))
        return;
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    ms->m[ms->n++] = s;
}

static void vmsgs_release(struct vmsgs *ms)
{
    for (size_t i = 0; i < ms->n; i++)
        free(ms->m[i]);
    ms->n = 0;
}

/* ---- name checks -------------------------------------------------------------------------- */

#define DNS1123_LABEL_FMT "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
#define DNS1123_SUBDOMAIN_FMT DNS1123_LABEL_FMT "(\\." DNS1123_LABEL_FMT ")*"
#define DNS1123_LABEL_MSG                                                                     \
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', " \
    "and must start and end with an alphanumeric character"
#define DNS1123_SUBDOMAIN_MSG                                                                  \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' " \
    "or '.', and must start and end with an alphanumeric character"
#define QNAME_FMT "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
#define QNAME_MSG                                                                      \
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end " \
    "with an alphanumeric character"
#define LABEL_VALUE_FMT "(" QNAME_FMT ")?"
#define LABEL_VALUE_MSG                                                                     \
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' " \
    "or '.', and must start and end with an alphanumeric character"
#define CONFIG_KEY_FMT "[-._a-zA-Z0-9]+"
#define CONFIG_KEY_MSG "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"

/* RegexError: msg + " (e.g. 'a',  or 'b', regex used for validation is 'fmt')". Examples are
 * a NULL-terminated list; the double space after each comma but the last is upstream's. */
static void regex_error(struct vmsgs *ms, const char *prefix, const char *msg, const char *fmt,
                        const char *const *examples, const char *suffix)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, prefix);
    buf_puts(&b, msg);
    if (!examples || !examples[0]) {
        buf_printf(&b, " (regex used for validation is '%s')", fmt);
    } else {
        buf_puts(&b, " (e.g. ");
        for (size_t i = 0; examples[i]; i++) {
            if (i)
                buf_puts(&b, " or ");
            buf_printf(&b, "'%s', ", examples[i]);
        }
        buf_printf(&b, "regex used for validation is '%s')", fmt);
    }
    buf_puts(&b, suffix);
    vmsgs_add(ms, "%s", b.data);
    buf_release(&b);
}

static bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
static bool is_alnum(char c)
{
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? over s[0..n) */
static bool match_dns_label(const char *s, size_t n)
{
    if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_lower_alnum(s[i]) && s[i] != '-')
            return false;
    return true;
}

static bool match_dns_subdomain(const char *s)
{
    const char *p = s;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (!match_dns_label(p, n))
            return false;
        if (!dot)
            return true;
        p = dot + 1;
    }
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] */
static bool match_qname(const char *s, size_t n)
{
    if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return false;
    return true;
}

void vnames_dns1123_subdomain(const char *s, struct vmsgs *ms)
{
    static const char *const ex[] = {"example.com", NULL};
    if (strlen(s) > 253)
        vmsgs_add(ms, "must be no more than %d characters", 253);
    if (!match_dns_subdomain(s))
        regex_error(ms, "", DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, ex, "");
}

void vnames_dns1123_label(const char *s, struct vmsgs *ms)
{
    static const char *const ex[] = {"my-name", "123-abc", NULL};
    if (strlen(s) > 63)
        vmsgs_add(ms, "must be no more than %d characters", 63);
    if (!match_dns_label(s, strlen(s))) {
        if (match_dns_subdomain(s))
            vmsgs_add(ms, "must not contain dots");
        else
            regex_error(ms, "", DNS1123_LABEL_MSG, DNS1123_LABEL_FMT, ex, "");
    }
}

void vnames_qualified_name(const char *s, struct vmsgs *ms)
{
    static const char *const ex[] = {"MyName", "my.name", "123-abc", NULL};
    const char *slash = strchr(s, '/');
    const char *name = s;
    if (slash && strchr(slash + 1, '/')) {
        regex_error(ms, "a qualified name ", QNAME_MSG, QNAME_FMT, ex,
                    " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
        return;
    }
    if (slash) {
        size_t plen = (size_t)(slash - s);
        name = slash + 1;
        if (plen == 0) {
            vmsgs_add(ms, "prefix part must be non-empty");
        } else {
            char *prefix = xstrndup(s, plen);
            struct vmsgs sub = {0};
            vnames_dns1123_subdomain(prefix, &sub);
            for (size_t i = 0; i < sub.n; i++)
                vmsgs_add(ms, "prefix part %s", sub.m[i]);
            vmsgs_release(&sub);
            free(prefix);
        }
    }
    size_t n = strlen(name);
    if (n == 0)
        vmsgs_add(ms, "name part must be non-empty");
    else if (n > 63)
        vmsgs_add(ms, "name part must be no more than %d characters", 63);
    if (!match_qname(name, n))
        regex_error(ms, "name part ", QNAME_MSG, QNAME_FMT, ex, "");
}

void vnames_label_value(const char *s, struct vmsgs *ms)
{
    static const char *const ex[] = {"MyValue", "my_value", "12345", NULL};
    size_t n = strlen(s);
    if (n > 63)
        vmsgs_add(ms, "must be no more than %d characters", 63);
    if (n > 0 && !match_qname(s, n))
        regex_error(ms, "", LABEL_VALUE_MSG, LABEL_VALUE_FMT, ex, "");
}

void vnames_config_map_key(const char *s, struct vmsgs *ms)
{
    static const char *const ex[] = {"key.name", "KEY_NAME", "key-name", NULL};
    size_t n = strlen(s);
    bool ok = n > 0;
    if (n > 253)
        vmsgs_add(ms, "must be no more than %d characters", 253);
    for (size_t i = 0; i < n && ok; i++)
        ok = is_alnum(s[i]) || s[i] == '-' || s[i] == '.' || s[i] == '_';
    if (!ok)
        regex_error(ms, "", CONFIG_KEY_MSG, CONFIG_KEY_FMT, ex, "");
    if (strcmp(s, ".") == 0)
        vmsgs_add(ms, "must not be '.'");
    else if (strcmp(s, "..") == 0)
        vmsgs_add(ms, "must not be '..'");
    else if (strncmp(s, "..", 2) == 0)
        vmsgs_add(ms, "must not start with '..'");
}

void vnames_path_segment(const char *s, struct vmsgs *ms)
{
    if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0) {
        vmsgs_add(ms, "may not be '%s'", s);
        return;
    }
    if (strchr(s, '/'))
        vmsgs_add(ms, "may not contain '/'");
    if (strchr(s, '%'))
        vmsgs_add(ms, "may not contain '%%'");
}

/* maskTrailingDash: a generateName "foo-" is checked as if it ended in a letter. Upstream
 * replaces the last two characters by "a" (name[:len-2] + "a"). */
static char *mask_trailing_dash(const char *name)
{
    size_t n = strlen(name);
    if (n > 1 && name[n - 1] == '-') {
        char *m = xmalloc(n);
        memcpy(m, name, n - 2);
        m[n - 2] = 'a';
        m[n - 1] = 0;
        return m;
    }
    return xstrdup(name);
}

void vname_dns_subdomain(const char *name, bool prefix, struct vmsgs *ms)
{
    char *n = prefix ? mask_trailing_dash(name) : xstrdup(name);
    vnames_dns1123_subdomain(n, ms);
    free(n);
}

void vname_dns_label(const char *name, bool prefix, struct vmsgs *ms)
{
    char *n = prefix ? mask_trailing_dash(name) : xstrdup(name);
    vnames_dns1123_label(n, ms);
    free(n);
}

/* RBAC's minimalNameRequirements ignores prefix and always uses IsValidPathSegmentName. */
void vname_path_segment(const char *name, bool prefix, struct vmsgs *ms)
{
    vnames_path_segment(name, ms);
}

char *validate_dns1123_subdomain(const char *s)
{
    struct vmsgs ms = {0};
    vnames_dns1123_subdomain(s ? s : "", &ms);
    if (ms.n == 0)
        return NULL;
    char *r = xstrdup(ms.m[0]);
    vmsgs_release(&ms);
    return r;
}

char *validate_dns1123_label(const char *s)
{
    struct vmsgs ms = {0};
    vnames_dns1123_label(s ? s : "", &ms);
    if (ms.n == 0)
        return NULL;
    char *r = xstrdup(ms.m[0]);
    vmsgs_release(&ms);
    return r;
}

/* ---- error helpers ------------------------------------------------------------------------ */

void verr_invalid_str(struct field_errors *errs, const char *path, const char *s,
                      const char *detail)
{
    json_t *v = json_string(s);
    field_errors_add(errs, FIELD_INVALID, path, v ? v : json_null(), detail);
    json_decref(v);
}

void verr_invalid_int(struct field_errors *errs, const char *path, json_int_t i,
                      const char *detail)
{
    json_t *v = json_integer(i);
    field_errors_add(errs, FIELD_INVALID, path, v, detail);
    json_decref(v);
}

void verr_invalid_msgs(struct field_errors *errs, const char *path, const char *s,
                       struct vmsgs *ms)
{
    for (size_t i = 0; i < ms->n; i++)
        verr_invalid_str(errs, path, s, ms->m[i]);
    vmsgs_release(ms);
}

void vcheck_nonnegative(struct field_errors *errs, const char *path, json_t *v)
{
    if (json_is_integer(v) && json_integer_value(v) < 0)
        verr_invalid_int(errs, path, json_integer_value(v), "must be greater than or equal to 0");
}

/* ---- JSON accessors ----------------------------------------------------------------------- */

const char *jstr(json_t *o, const char *key)
{
    json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;
    return json_is_string(v) ? json_string_value(v) : "";
}

json_t *jobj(json_t *o, const char *key)
{
    json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;
    return json_is_object(v) ? v : NULL;
}

json_t *jarr(json_t *o, const char *key)
{
    json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;
    return json_is_array(v) ? v : NULL;
}

json_t *jobj_ensure(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (json_is_object(v))
        return v;
    if (v && !json_is_null(v))
        return NULL; /* wrong type: leave it to schema validation */
    v = json_object();
    json_object_set_new(o, key, v);
    return v;
}

static bool absent(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return !v || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0);
}

void jset_default_str(json_t *o, const char *key, const char *v)
{
    if (json_is_object(o) && absent(o, key))
        json_object_set_new(o, key, json_string(v));
}

void jset_default_int(json_t *o, const char *key, json_int_t v)
{
    if (json_is_object(o) && absent(o, key))
        json_object_set_new(o, key, json_integer(v));
}

void jset_default_bool(json_t *o, const char *key, bool v)
{
    if (json_is_object(o) && absent(o, key))
        json_object_set_new(o, key, json_boolean(v));
}

/* ---- selector requirements ---------------------------------------------------------------- */

static const char *req_str(json_t *req, const char *key)
{
    const char *s = json_string_value(json_object_get(req, key));
    return s != NULL ? s : "";
}

void validate_selector_requirement(json_t *req, bool label, const char *path, struct field_errors *errs)
{
    const char *key = req_str(req, "key"), *op = req_str(req, "operator");
    json_t *values = json_object_get(req, "values");
    size_t nvalues = json_array_size(values);
    char *vpath = xasprintf("%s.values", path), *kpath = xasprintf("%s.key", path);
    if (!label && *key == '\0')
        field_errors_add(errs, FIELD_REQUIRED, kpath, NULL, "must be specified");
    if ((strcmp(op, "In") == 0 || strcmp(op, "NotIn") == 0) && nvalues == 0)
        field_errors_add(errs, FIELD_REQUIRED, vpath, NULL, "must be specified when `operator` is 'In' or 'NotIn'");
    else if ((strcmp(op, "Exists") == 0 || strcmp(op, "DoesNotExist") == 0) && nvalues > 0)
        field_errors_add(errs, FIELD_FORBIDDEN, vpath, NULL,
                         "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
    /* any other operator passes (AllowUnknownOperatorInRequirement) */
    if (label) {
        struct vmsgs ms = {0};
        vnames_qualified_name(key, &ms);
        verr_invalid_msgs(errs, kpath, key, &ms);
        for (size_t i = 0; i < nvalues; i++) {
            const char *v = json_string_value(json_array_get(values, i));
            char *ipath = xasprintf("%s[%zu]", vpath, i);
            vnames_label_value(v != NULL ? v : "", &ms);
            verr_invalid_msgs(errs, ipath, v != NULL ? v : "", &ms);
            free(ipath);
        }
    }
    free(vpath);
    free(kpath);
}

/* ---- object metadata ---------------------------------------------------------------------- */

static void vmeta_labels(json_t *labels, struct field_errors *errs)
{
    const char *k;
    json_t *v;
    json_object_foreach(labels, k, v) {
        struct vmsgs ms = {0};
        vnames_qualified_name(k, &ms);
        verr_invalid_msgs(errs, "metadata.labels", k, &ms);
        if (json_is_string(v)) {
            vnames_label_value(json_string_value(v), &ms);
            verr_invalid_msgs(errs, "metadata.labels", json_string_value(v), &ms);
        }
    }
}

#define TOTAL_ANNOTATION_SIZE_LIMIT (256 * 1024)

static void vmeta_annotations(json_t *ann, struct field_errors *errs)
{
    const char *k;
    json_t *v;
    size_t total = 0;
    json_object_foreach(ann, k, v) {
        /* The rule is QualifiedName except that case doesn't matter. */
        char *lower = xstrdup(k);
        for (char *p = lower; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        struct vmsgs ms = {0};
        vnames_qualified_name(lower, &ms);
        verr_invalid_msgs(errs, "metadata.annotations", k, &ms);
        free(lower);
        total += strlen(k) + (json_is_string(v) ? json_string_length(v) : 0);
    }
    if (total > TOTAL_ANNOTATION_SIZE_LIMIT) {
        char *d = xasprintf("must have at most %d bytes", TOTAL_ANNOTATION_SIZE_LIMIT);
        field_errors_add(errs, FIELD_TOO_LONG, "metadata.annotations", NULL, d);
        free(d);
    }
}

static void vmeta_owner_refs(json_t *refs, struct field_errors *errs)
{
    size_t i;
    json_t *r;
    json_array_foreach(refs, i, r) {
        const char *av = jstr(r, "apiVersion");
        /* schema.FromAPIVersionAndKind: "v" -> version v; "g/v" -> v; anything else -> "" */
        const char *slash = strchr(av, '/');
        bool no_version = *av == 0 || (slash && (slash[1] == 0 || strchr(slash + 1, '/')));
        if (slash && slash == av)
            no_version = true;
        if (no_version)
            verr_invalid_str(errs, "metadata.ownerReferences.apiVersion", av,
                             "version must not be empty");
        if (!*jstr(r, "kind"))
            verr_invalid_str(errs, "metadata.ownerReferences.kind", "", "must not be empty");
        if (!*jstr(r, "name"))
            verr_invalid_str(errs, "metadata.ownerReferences.name", "", "must not be empty");
        if (!*jstr(r, "uid"))
            verr_invalid_str(errs, "metadata.ownerReferences.uid", "", "must not be empty");
    }
}

static void vmeta_finalizers(json_t *fins, struct field_errors *errs)
{
    size_t i;
    json_t *f;
    bool orphan = false, foreground = false;
    json_array_foreach(fins, i, f) {
        if (!json_is_string(f))
            continue;
        struct vmsgs ms = {0};
        vnames_qualified_name(json_string_value(f), &ms);
        verr_invalid_msgs(errs, "metadata.finalizers", json_string_value(f), &ms);
        if (strcmp(json_string_value(f), "orphan") == 0)
            orphan = true;
        if (strcmp(json_string_value(f), "foregroundDeletion") == 0)
            foreground = true;
    }
    if (orphan && foreground)
        field_errors_add(errs, FIELD_INVALID, "metadata.finalizers", fins,
                         "finalizer orphan and foregroundDeletion cannot be both set");
}

/* ValidateObjectMeta on obj.metadata (path "metadata"). */
static void vmeta_create(json_t *obj, bool namespaced, vname_fn name_fn, struct field_errors *errs)
{
    json_t *md = jobj(obj, "metadata");
    const char *gen = jstr(md, "generateName");
    const char *name = jstr(md, "name");
    const char *ns = jstr(md, "namespace");
    struct vmsgs ms = {0};

    if (*gen) {
        name_fn(gen, true, &ms);
        verr_invalid_msgs(errs, "metadata.generateName", gen, &ms);
    }
    if (!*name) {
        field_errors_add(errs, FIELD_REQUIRED, "metadata.name", NULL,
                         "name or generateName is required");
    } else {
        name_fn(name, false, &ms);
        verr_invalid_msgs(errs, "metadata.name", name, &ms);
    }
    if (namespaced) {
        if (!*ns) {
            field_errors_add(errs, FIELD_REQUIRED, "metadata.namespace", NULL, NULL);
        } else {
            vnames_dns1123_label(ns, &ms);
            verr_invalid_msgs(errs, "metadata.namespace", ns, &ms);
        }
    } else if (*ns) {
        field_errors_add(errs, FIELD_FORBIDDEN, "metadata.namespace", NULL,
                         "not allowed on this type");
    }
    vcheck_nonnegative(errs, "metadata.generation", json_object_get(md, "generation"));
    if (jobj(md, "labels"))
        vmeta_labels(jobj(md, "labels"), errs);
    if (jobj(md, "annotations"))
        vmeta_annotations(jobj(md, "annotations"), errs);
    if (jarr(md, "ownerReferences"))
        vmeta_owner_refs(jarr(md, "ownerReferences"), errs);
    if (jarr(md, "finalizers"))
        vmeta_finalizers(jarr(md, "finalizers"), errs);
}

void vmeta_core_finalizer(const char *path, const char *name, struct field_errors *errs)
{
    if (strchr(name, '/'))
        return;
    if (strcmp(name, "kubernetes") && strcmp(name, "orphan") && strcmp(name, "foregroundDeletion"))
        verr_invalid_str(errs, path, name,
                         "name is neither a standard finalizer name nor is it fully qualified");
}

void vmeta_create_core(json_t *obj, bool namespaced, vname_fn name_fn, struct field_errors *errs)
{
    vmeta_create(obj, namespaced, name_fn, errs);
    json_t *fins = jarr(jobj(obj, "metadata"), "finalizers");
    size_t i;
    json_t *f;
    json_array_foreach(fins, i, f) {
        if (!json_is_string(f))
            continue;
        char path[64];
        snprintf(path, sizeof(path), "metadata.finalizers[%zu]", i);
        vmeta_core_finalizer(path, json_string_value(f), errs);
    }
}

/* metav1.Time's String(): "2006-01-02 15:04:05 +0000 UTC" for an RFC3339 UTC timestamp. */
static char *render_time(json_t *v)
{
    if (!json_is_string(v))
        return xstrdup("null");
    time_t t = time_parse_rfc3339(json_string_value(v));
    if (t == (time_t)-1) {
        struct buf b = BUF_INIT;
        field_value_render(&b, v);
        return buf_detach(&b, NULL);
    }
    struct tm tm;
    gmtime_r(&t, &tm);
    char out[64];
    strftime(out, sizeof(out), "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
    return xstrdup(out);
}

static void immutable_meta(json_t *md, json_t *omd, const char *key, bool is_time,
                           struct field_errors *errs)
{
    json_t *nv = json_object_get(md, key), *ov = json_object_get(omd, key);
    if (nv && json_is_null(nv))
        nv = NULL;
    if (ov && json_is_null(ov))
        ov = NULL;
    /* Go compares the typed values: "" and absent are the same string. */
    bool nv_empty = !nv || (json_is_string(nv) && json_string_length(nv) == 0);
    bool ov_empty = !ov || (json_is_string(ov) && json_string_length(ov) == 0);
    if (nv_empty && ov_empty)
        return;
    if (nv && ov && json_equal(nv, ov))
        return;
    char path[64];
    snprintf(path, sizeof(path), "metadata.%s", key);
    if (is_time) {
        char *r = render_time(nv);
        field_errors_add_raw(errs, FIELD_INVALID, path, r, "field is immutable");
        free(r);
    } else if (!nv) {
        json_t *empty = json_is_integer(ov) ? json_null() : json_string("");
        field_errors_add(errs, FIELD_INVALID, path, empty, "field is immutable");
        json_decref(empty);
    } else {
        field_errors_add(errs, FIELD_INVALID, path, nv, "field is immutable");
    }
}

/* True if the JSON string v holds a NUL byte (C string functions would see a prefix). */
static bool has_nul(json_t *v)
{
    return json_is_string(v) && strlen(json_string_value(v)) != json_string_length(v);
}

/* The checks that take C strings see "a" in "a\u0000b": names, namespaces, label keys and
 * values and finalizers holding a NUL are refused here, with the value as sent and the message
 * upstream's regular expression gives for a character outside the allowed set. */
static void vnul_report(struct field_errors *errs, const char *path, json_t *v,
                        void (*check)(const char *, struct vmsgs *))
{
    char *copy = xmalloc(json_string_length(v) + 1);
    memcpy(copy, json_string_value(v), json_string_length(v) + 1);
    for (size_t i = 0; i < json_string_length(v); i++)
        if (copy[i] == '\0')
            copy[i] = '\x01';
    struct vmsgs ms = {0};
    check(copy, &ms);
    for (size_t i = 0; i < ms.n; i++)
        field_errors_add(errs, FIELD_INVALID, path, v, ms.m[i]);
    vmsgs_release(&ms);
    free(copy);
}

static void vmeta_nul(json_t *obj, struct field_errors *errs)
{
    json_t *md = jobj(obj, "metadata");
    if (has_nul(json_object_get(md, "name")))
        vnul_report(errs, "metadata.name", json_object_get(md, "name"), vnames_dns1123_subdomain);
    if (has_nul(json_object_get(md, "generateName")))
        vnul_report(errs, "metadata.generateName", json_object_get(md, "generateName"), vnames_dns1123_subdomain);
    if (has_nul(json_object_get(md, "namespace")))
        vnul_report(errs, "metadata.namespace", json_object_get(md, "namespace"), vnames_dns1123_label);
    const char *k;
    json_t *v;
    json_object_foreach(jobj(md, "labels"), k, v) {
        if (has_nul(v))
            vnul_report(errs, "metadata.labels", v, vnames_label_value);
    }
    size_t i;
    json_array_foreach(jarr(md, "finalizers"), i, v) {
        if (has_nul(v))
            vnul_report(errs, "metadata.finalizers", v, vnames_qualified_name);
    }
}

void vmeta_update(json_t *obj, json_t *old, struct field_errors *errs)
{
    json_t *md = jobj(obj, "metadata"), *omd = jobj(old, "metadata");
    if (json_is_string(json_object_get(omd, "deletionTimestamp"))) {
        /* ValidateNoNewFinalizers */
        json_t *nf = jarr(md, "finalizers"), *of = jarr(omd, "finalizers");
        size_t i, j;
        json_t *f, *g;
        json_t *extra = json_array();
        json_array_foreach(nf, i, f) {
            bool found = false;
            json_array_foreach(of, j, g) if (json_equal(f, g)) found = true;
            if (!found && json_is_string(f))
                json_array_append(extra, f);
        }
        if (json_array_size(extra)) {
            struct buf b = BUF_INIT;
            buf_puts(&b, "no new finalizers can be added if the object is being deleted, found "
                         "new finalizers ");
            field_value_render(&b, extra);
            field_errors_add(errs, FIELD_FORBIDDEN, "metadata.finalizers", NULL, b.data);
            buf_release(&b);
        }
        json_decref(extra);
    }
    immutable_meta(md, omd, "name", false, errs);
    immutable_meta(md, omd, "namespace", false, errs);
    immutable_meta(md, omd, "uid", false, errs);
    immutable_meta(md, omd, "creationTimestamp", true, errs);
    immutable_meta(md, omd, "deletionTimestamp", true, errs);
    immutable_meta(md, omd, "deletionGracePeriodSeconds", false, errs);
    if (jobj(md, "labels"))
        vmeta_labels(jobj(md, "labels"), errs);
    if (jobj(md, "annotations"))
        vmeta_annotations(jobj(md, "annotations"), errs);
    if (jarr(md, "ownerReferences"))
        vmeta_owner_refs(jarr(md, "ownerReferences"), errs);
}

/* ---- entry points ------------------------------------------------------------------------- */

void validate_metadata_nul(json_t *obj, struct field_errors *errs)
{
    vmeta_nul(obj, errs);
}

void validate_generic(json_t *obj, json_t *old, bool namespaced, struct field_errors *errs)
{
    /* a kind without a hook: metadata only, names as DNS subdomains (the most common rule) */
    if (old)
        vmeta_update(obj, old, errs);
    vmeta_create(obj, namespaced, vname_dns_subdomain, errs);
}
