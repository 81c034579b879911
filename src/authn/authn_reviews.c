/* authn_reviews.c — the authentication.k8s.io/v1 review APIs (spec/07 §7.1, §7.6, §7.7):
 * TokenReview (the request echoed with status: authenticated, user, audiences, error) and
 * SelfSubjectReview (`kubectl auth whoami`: a fresh object with the requester's user info). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "registry/rest.h"
#include "machinery/status.h"
#include "authn/identity.h"
#include "authn/identity_int.h"
#include "authn/satoken.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/json.h"
#include "util/util.h"

#define GROUP "authentication.k8s.io"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* extra with keys sorted (Go's encoder sorts map keys); NULL when empty. */
static json_t *sorted_extra(json_t *extra)
{
    size_t n = json_object_size(extra);
    if (n == 0)
        return NULL;
    const char **keys = xcalloc(n, sizeof(*keys));
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach(extra, k, v)
        keys[i++] = k;
    qsort(keys, n, sizeof(*keys), cmp_str);
    json_t *out = json_object();
    for (i = 0; i < n; i++)
        json_object_set(out, keys[i], json_object_get(extra, keys[i]));
    free(keys);
    return out;
}

/* UserInfo JSON: username, uid, groups, extra, each omitempty. */
static json_t *user_json(const struct user_info *u)
{
    json_t *o = json_object();
    if (u == NULL)
        return o;
    if (u->name && *u->name)
        json_object_set_new(o, "username", json_string(u->name));
    if (u->uid && *u->uid)
        json_object_set_new(o, "uid", json_string(u->uid));
    if (u->ngroups > 0) {
        json_t *g = json_array();
        for (size_t i = 0; i < u->ngroups; i++)
            json_array_append_new(g, json_string(u->groups[i]));
        json_object_set_new(o, "groups", g);
    }
    json_t *e = sorted_extra(u->extra);
    if (e != NULL)
        json_object_set_new(o, "extra", e);
    return o;
}

/* metadata.managedFields entry the create handler's field manager records (spec/07 §7.1). */
static void add_managed_fields(struct api_call *c, json_t *obj, json_t *meta)
{
    if (c->res == NULL || c->field_manager == NULL || *c->field_manager == '\0')
        return;
    json_t *fields = rest_fields_v1(c->res, obj);
    if (fields == NULL || json_object_size(fields) == 0) {
        json_decref(fields);
        return;
    }
    char now[32];
    time_rfc3339(clock_wall_s(), now);
    json_t *e = json_object();
    json_object_set_new(e, "manager", json_string(c->field_manager));
    json_object_set_new(e, "operation", json_string("Update"));
    json_object_set_new(e, "apiVersion", json_string(GROUP "/v1"));
    json_object_set_new(e, "time", json_string(now));
    json_object_set_new(e, "fieldsType", json_string("FieldsV1"));
    json_object_set_new(e, "fieldsV1", fields);
    json_object_set_new(meta, "managedFields", json_pack("[o]", e));
}

int authn_token_review_create(struct api_call *c, json_t *body, json_t **ret_obj, json_t **ret_status)
{
    struct satoken *s = c->srv->identity;
    if (c->ns != NULL && *c->ns) {
        *ret_status = status_newf(AZ_EBADREQUEST, "namespace is not allowed on this type: %s", c->ns);
        return AZ_EBADREQUEST;
    }
    json_t *spec = json_object_get(body, "spec");
    const char *token = json_str(spec, "token");
    if (token == NULL || *token == '\0') {
        *ret_status = status_bad_request("token is required for TokenReview in authentication");
        return AZ_EBADREQUEST;
    }
    json_t *auds = json_object_get(spec, "audiences");
    if (auds != NULL && !json_is_array(auds) && !json_is_null(auds)) {
        *ret_status = status_bad_request("spec.audiences must be a list of strings");
        return AZ_EBADREQUEST;
    }
    size_t i;
    json_t *v;
    json_array_foreach(auds, i, v) {
        if (!json_is_string(v)) {
            *ret_status = status_bad_request("spec.audiences must be a list of strings");
            return AZ_EBADREQUEST;
        }
    }
    json_t *out = json_object();
    json_object_set_new(out, "kind", json_string("TokenReview"));
    json_object_set_new(out, "apiVersion", json_string(GROUP "/v1"));
    json_t *meta = json_is_object(json_object_get(body, "metadata")) ? json_deep_copy(json_object_get(body, "metadata"))
                                                                      : json_object();
    json_object_del(meta, "managedFields");
    if (json_object_get(meta, "creationTimestamp") == NULL)
        json_object_set_new(meta, "creationTimestamp", json_null());
    add_managed_fields(c, body, meta);
    json_object_set_new(out, "metadata", meta);
    json_t *ospec = json_object();
    json_object_set_new(ospec, "token", json_string(token));
    if (json_array_size(auds) > 0)
        json_object_set(ospec, "audiences", auds);
    json_object_set_new(out, "spec", ospec);

    json_t *status = json_object();
    struct user_info u = {0};
    json_t *rauds = NULL;
    char *err = NULL;
    int rc = s ? satoken_authenticate(s, token, auds, &u, &rauds, &err) : AZ_ENOTFOUND;
    if (rc == 0) {
        user_info_add_group(&u, "system:authenticated");
        json_object_set_new(status, "authenticated", json_true());
        json_object_set_new(status, "user", user_json(&u));
        if (json_array_size(rauds) > 0)
            json_object_set(status, "audiences", rauds);
    } else {
        json_object_set_new(status, "user", json_object());
        char *msg = rc == AZ_EUNAUTHORIZED && err != NULL ? xasprintf("[invalid bearer token, %s]", err)
                                                           : xstrdup("invalid bearer token");
        json_object_set_new(status, "error", json_string(msg));
        free(msg);
    }
    json_object_set_new(out, "status", status);
    user_info_release(&u);
    json_decref(rauds);
    free(err);
    *ret_obj = out;
    return 0;
}

int authn_self_subject_review_create(struct api_call *c, json_t *body, json_t **ret_obj, json_t **ret_status)
{
    char now[32];
    time_rfc3339(clock_wall_s(), now);
    json_t *out = json_object();
    json_object_set_new(out, "kind", json_string("SelfSubjectReview"));
    json_object_set_new(out, "apiVersion", json_string(GROUP "/v1"));
    json_object_set_new(out, "metadata", json_pack("{s:s}", "creationTimestamp", now));
    json_object_set_new(out, "status", json_pack("{s:o}", "userInfo", user_json(c->user)));
    *ret_obj = out;
    return 0;
}
