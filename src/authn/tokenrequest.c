/* tokenrequest.c — POST /api/v1/namespaces/NS/serviceaccounts/NAME/token (TokenRequest,
 * authentication.k8s.io/v1): validation, boundObjectRef checks, expiration clamping and the
 * 3607-second extension, and the signed JWT (spec/02-tokenrequest.md, claims spec/01 §1.2).
 * Objects come from the identity module's watch-fed caches, never from the store.
 *
 * JWT PAYLOAD (keys sorted, as go-jose writes them)
 *   aud [..]  exp  iat  iss  jti  kubernetes.io{namespace node? pod? secret? serviceaccount
 *   warnafter?}  nbf  sub */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "registry/apiserver.h"
#include "registry/rest.h"
#include "machinery/field.h"
#include "machinery/status.h"
#include "authn/identity.h"
#include "authn/identity_int.h"
#include "authn/satoken.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/json.h"
#include "util/util.h"

#define TOKEN_DEFAULT_EXPIRATION 3600
#define TOKEN_MIN_EXPIRATION 600
#define TOKEN_MAX_EXPIRATION 4294967296LL          /* 2^32 */
#define WARN_ONLY_BOUND_TOKEN_EXPIRATION 3607      /* 60*60 + 7 */
#define EXPIRATION_EXTENSION_SECONDS 31536000      /* 24*365*60*60 */

static json_t *invalid_status(const char *name, const char *field, json_t *value, const char *detail)
{
    struct field_errors fe;
    field_errors_init(&fe);
    field_errors_add(&fe, FIELD_INVALID, field, value, detail);
    json_t *st = status_invalid("authentication.k8s.io", "TokenRequest", name, &fe);
    field_errors_release(&fe);
    return st;
}

static json_t *ref_json(const char *name, const char *uid)
{
    json_t *r = json_object();
    if (name && *name)
        json_object_set_new(r, "name", json_string(name));
    if (uid && *uid)
        json_object_set_new(r, "uid", json_string(uid));
    return r;
}

static bool all_api_audiences(struct satoken *s, json_t *auds)
{
    size_t i;
    json_t *v;
    json_array_foreach(auds, i, v) {
        bool found = false;
        size_t j;
        json_t *w;
        json_array_foreach(s->api_audiences, j, w)
            if (json_equal(v, w))
                found = true;
        if (!found)
            return false;
    }
    return true;
}

int authn_token_request_create(struct api_call *call, json_t *body, json_t **ret_obj, json_t **ret_status)
{
    struct satoken *s = call->srv->identity;
    const char *ns = call->ns ? call->ns : "", *name = call->name ? call->name : "";
    *ret_status = NULL;
    if (s == NULL) {
        *ret_status = status_internal("token signing is not configured");
        return AZ_EINTERNAL;
    }
    int nrc = rest_check_namespace(call, body, ret_status);
    if (nrc < 0)
        return nrc;
    json_t *meta = json_object_get(body, "metadata");
    const char *bname = json_str(meta, "name"), *bns = json_str(meta, "namespace");
    if (bname != NULL && *bname && strcmp(bname, name) != 0) {
        *ret_status = invalid_status(name, "metadata.name", json_object_get(meta, "name"),
                                     "must match the service account name if specified");
        return AZ_EINVALID;
    }
    if (bns != NULL && *bns && strcmp(bns, ns) != 0) {
        *ret_status = invalid_status(name, "metadata.namespace", json_object_get(meta, "namespace"),
                                     "must match the service account namespace if specified");
        return AZ_EINVALID;
    }
    int rc = AZ_EINTERNAL;
    json_t *sa = satoken_object(s, "serviceaccounts", ns, name), *bound = NULL, *node = NULL;
    json_t *resp = NULL, *payload = NULL;
    char *token = NULL;
    if (sa == NULL) {
        *ret_status = status_not_found("", "serviceaccounts", name);
        return AZ_ENOTFOUND;
    }
    json_t *spec = json_object_get(body, "spec");
    json_t *jexp = json_object_get(spec, "expirationSeconds");
    if (jexp != NULL && !json_is_null(jexp) && !json_is_integer(jexp)) {
        *ret_status = status_bad_request("spec.expirationSeconds must be an integer");
        rc = AZ_EBADREQUEST;
        goto out;
    }
    int64_t expsec = json_is_integer(jexp) ? json_integer_value(jexp) : TOKEN_DEFAULT_EXPIRATION;
    json_t *auds = json_object_get(spec, "audiences");
    if (auds != NULL && !json_is_null(auds) && !json_is_array(auds)) {
        *ret_status = status_bad_request("spec.audiences must be a list of strings");
        rc = AZ_EBADREQUEST;
        goto out;
    }
    if (json_array_size(auds) > SATOKEN_MAX_AUDIENCES) {
        *ret_status = status_bad_request("spec.audiences: too many audiences");
        rc = AZ_EBADREQUEST;
        goto out;
    }
    size_t ai;
    json_t *av;
    json_array_foreach(auds, ai, av) {
        if (!json_is_string(av)) {
            *ret_status = status_bad_request("spec.audiences must be a list of strings");
            rc = AZ_EBADREQUEST;
            goto out;
        }
    }
    auds = json_array_size(auds) > 0 ? json_deep_copy(auds) : json_deep_copy(s->api_audiences);
    /* static validation: empty name in the message (upstream validates the defaulted object) */
    if (expsec < s->min_expiration) {
        json_t *v = json_integer(expsec);
        *ret_status = invalid_status("", "spec.expirationSeconds", v, "may not specify a duration less than 10 minutes");
        json_decref(v);
        json_decref(auds);
        rc = AZ_EINVALID;
        goto out;
    }
    if (expsec > TOKEN_MAX_EXPIRATION) {
        json_t *v = json_integer(expsec);
        *ret_status = invalid_status("", "spec.expirationSeconds", v, "may not specify a duration larger than 2^32 seconds");
        json_decref(v);
        json_decref(auds);
        rc = AZ_EINVALID;
        goto out;
    }
    payload = json_object();
    json_object_set_new(payload, "aud", auds);

    /* boundObjectRef */
    json_t *ref = json_object_get(spec, "boundObjectRef");
    if (!json_is_object(ref))
        ref = NULL;
    const char *rkind = json_str(ref, "kind"), *rver = json_str(ref, "apiVersion");
    const char *rname = json_str(ref, "name"), *ruid = json_str(ref, "uid");
    const char *bound_kind = NULL;
    if (ref != NULL) {
        rkind = rkind ? rkind : "";
        rver = rver ? rver : "";
        rname = rname ? rname : "";
        const char *slash = strchr(rver, '/');
        char *group = slash ? xstrndup(rver, (size_t)(slash - rver)) : xstrdup("");
        const char *version = slash ? slash + 1 : rver;
        bool core = *group == '\0';
        if (core && strcmp(rkind, "Pod") == 0) {
            bound = satoken_object(s, "pods", ns, rname);
            if (bound == NULL) {
                *ret_status = status_not_found("", "pods", rname);
                rc = AZ_ENOTFOUND;
            } else {
                const char *psa = json_path_str(bound, "spec.serviceAccountName");
                if (psa == NULL || strcmp(psa, name) != 0) {
                    char *m = xasprintf("cannot bind token for serviceaccount \"%s\" to pod running with different serviceaccount name.", name);
                    *ret_status = status_bad_request(m);
                    free(m);
                    rc = AZ_EBADREQUEST;
                }
                const char *nn = json_path_str(bound, "spec.nodeName");
                if (nn != NULL && *nn) {
                    node = satoken_object(s, "nodes", NULL, nn);
                    if (node == NULL)
                        node = json_pack("{s:{s:s}}", "metadata", "name", nn);
                }
            }
            bound_kind = "Pod";
        } else if (core && strcmp(rkind, "Node") == 0) {
            bound = satoken_object(s, "nodes", NULL, rname);
            if (bound == NULL) {
                *ret_status = status_not_found("", "nodes", rname);
                rc = AZ_ENOTFOUND;
            }
            bound_kind = "Node";
        } else if (core && strcmp(rkind, "Secret") == 0) {
            bound = satoken_object(s, "secrets", ns, rname);
            if (bound == NULL) {
                *ret_status = status_not_found("", "secrets", rname);
                rc = AZ_ENOTFOUND;
            }
            bound_kind = "Secret";
        } else {
            char *m = xasprintf("cannot bind token to object of type %s/%s, Kind=%s", group, version, rkind);
            *ret_status = status_bad_request(m);
            free(m);
            rc = AZ_EBADREQUEST;
        }
        free(group);
        if (*ret_status == NULL && ruid != NULL && *ruid) {
            const char *ouid = json_path_str(bound, "metadata.uid");
            if (ouid == NULL || strcmp(ouid, ruid) != 0) {
                char *why = xasprintf("the UID in the bound object reference (%s) does not match the UID in record. "
                                      "The object might have been deleted and then recreated", ruid);
                *ret_status = status_conflict("", bound_kind, rname, why);
                free(why);
                rc = AZ_ECONFLICT;
            }
        }
        if (*ret_status != NULL)
            goto out;
    }

    /* expiration: max clamp, then the extension for pod-bound 3607 s tokens */
    if (s->max_expiration > 0 && expsec > s->max_expiration) {
        char *w = xasprintf("requested expiration of %lld seconds shortened to %lld seconds",
                            (long long)expsec, (long long)s->max_expiration);
        api_call_warn(call, w);
        free(w);
        expsec = s->max_expiration;
    }
    int64_t warnafter = 0, jwt_exp = expsec;
    if (s->extend_expiration && bound_kind != NULL && strcmp(bound_kind, "Pod") == 0 &&
        expsec == WARN_ONLY_BOUND_TOKEN_EXPIRATION && all_api_audiences(s, json_object_get(payload, "aud"))) {
        warnafter = expsec;
        jwt_exp = EXPIRATION_EXTENSION_SECONDS;
    }
    time_t now = clock_wall_s();
    char jti[37];
    uuid_v4(jti);
    json_t *k8s = json_object();
    json_object_set_new(k8s, "namespace", json_string(ns));
    if (node != NULL)
        json_object_set_new(k8s, "node", ref_json(json_path_str(node, "metadata.name"), json_path_str(node, "metadata.uid")));
    else if (bound_kind != NULL && strcmp(bound_kind, "Node") == 0)
        json_object_set_new(k8s, "node", ref_json(json_path_str(bound, "metadata.name"), json_path_str(bound, "metadata.uid")));
    if (bound_kind != NULL && strcmp(bound_kind, "Pod") == 0)
        json_object_set_new(k8s, "pod", ref_json(json_path_str(bound, "metadata.name"), json_path_str(bound, "metadata.uid")));
    if (bound_kind != NULL && strcmp(bound_kind, "Secret") == 0)
        json_object_set_new(k8s, "secret", ref_json(json_path_str(bound, "metadata.name"), json_path_str(bound, "metadata.uid")));
    json_object_set_new(k8s, "serviceaccount", ref_json(name, json_path_str(sa, "metadata.uid")));
    if (warnafter)
        json_object_set_new(k8s, "warnafter", json_integer((json_int_t)(now + warnafter)));
    json_object_set_new(payload, "exp", json_integer((json_int_t)(now + jwt_exp)));
    json_object_set_new(payload, "iat", json_integer((json_int_t)now));
    json_object_set(payload, "iss", json_array_get(s->issuers, 0));
    json_object_set_new(payload, "jti", json_string(jti));
    json_object_set_new(payload, "kubernetes.io", k8s);
    json_object_set_new(payload, "nbf", json_integer((json_int_t)now));
    char *sub = xasprintf("system:serviceaccount:%s:%s", ns, name);
    json_object_set_new(payload, "sub", json_string(sub));
    free(sub);
    size_t plen;
    char *ptxt = json_dump_go(payload, false, &plen);
    while (plen > 0 && ptxt[plen - 1] == '\n')
        plen--;
    token = jwt_sign(&s->signing, ptxt, plen);
    free(ptxt);
    if (token == NULL) {
        *ret_status = status_internal("failed to sign token");
        rc = AZ_EINTERNAL;
        goto out;
    }
    char ts[32], exts[32];
    time_rfc3339(now, ts);
    time_rfc3339(now + (time_t)expsec, exts);
    resp = json_object();
    json_object_set_new(resp, "kind", json_string("TokenRequest"));
    json_object_set_new(resp, "apiVersion", json_string("authentication.k8s.io/v1"));
    json_object_set_new(resp, "metadata", json_pack("{s:s,s:s,s:s}", "name", name, "namespace", ns,
                                                    "creationTimestamp", ts));
    json_t *rspec = json_object();
    json_object_set(rspec, "audiences", json_object_get(payload, "aud"));
    json_object_set_new(rspec, "expirationSeconds", json_integer((json_int_t)expsec));
    if (ref != NULL) {
        json_t *r = json_object();
        static const char *const keys[] = {"kind", "apiVersion", "name", "uid"};
        for (size_t i = 0; i < 4; i++) {
            const char *v = json_str(ref, keys[i]);
            if (v != NULL && *v)
                json_object_set_new(r, keys[i], json_string(v));
        }
        json_object_set_new(rspec, "boundObjectRef", r);
    } else {
        json_object_set_new(rspec, "boundObjectRef", json_null());
    }
    json_object_set_new(resp, "spec", rspec);
    json_object_set_new(resp, "status", json_pack("{s:s,s:s}", "token", token, "expirationTimestamp", exts));
    *ret_obj = resp;
    rc = 0;
out:
    if (token != NULL) {
        memset(token, 0, strlen(token));
        free(token);
    }
    json_decref(payload);
    json_decref(sa);
    json_decref(bound);
    json_decref(node);
    return rc;
}
