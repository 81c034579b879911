/* openapi_v2.c — the Swagger 2.0 document and its gnostic protobuf encoding (see
 * openapi_v2.h).
 *
 * Protobuf layout used (gnostic openapiv2/OpenAPIv2.proto field numbers):
 *   Document      1 swagger, 2 info{1 title, 2 version}, 8 paths{2 NamedPathItem},
 *                 9 definitions{1 NamedSchema}, 12 security, 13 securityDefinitions
 *   NamedX        1 name, 2 value
 *   PathItem      2 get, 3 put, 4 post, 5 delete, 8 patch, 9 parameters
 *   Operation     1 tags, 3 description, 5 operationId, 6 produces, 7 consumes,
 *                 8 parameters, 9 responses{1 NamedResponseValue}, 10 schemes, 13 x-*
 *   ParametersItem 1 parameter{1 body{1 description, 2 name, 3 in, 4 required, 5 schema},
 *                              2 nonBody{3 query{1 required, 2 in, 3 description, 4 name,
 *                                                6 type, 20 uniqueItems},
 *                                        4 path{1 required, 2 in, 3 description, 4 name,
 *                                               5 type, 19 uniqueItems}}}
 *   ResponseValue 1 response{1 description, 2 schemaItem{1 schema}}
 *   Schema        1 $ref, 2 format, 4 description, 5 default(Any), 16 uniqueItems,
 *                 19 required, 21 additionalProperties{1 schema | 2 boolean},
 *                 22 type{1 value}, 23 items{1 schema}, 25 properties{1 NamedSchema}, 31 x-*
 *   Any           2 yaml */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "registry/discovery.h"
#include "registry/openapi_v2.h"
#include "machinery/schema.h"
#include "util/err.h"
#include "machinery/yaml_out.h"

#define V3_REF "#/components/schemas/"
#define V2_REF "#/definitions/"

/* ---- Swagger 2.0 from the OpenAPI 3 documents ------------------------------------------ */

/* Rewrites references and the {"allOf":[{"$ref"}],"default":{}} wrapper in place. */
static void schema_to_v2(json_t *s)
{
    if (json_is_array(s)) {
        size_t i;
        json_t *it;
        json_array_foreach(s, i, it) schema_to_v2(it);
        return;
    }
    if (!json_is_object(s))
        return;
    json_t *all = json_object_get(s, "allOf");
    if (json_is_array(all) && json_array_size(all) == 1 && json_object_get(json_array_get(all, 0), "$ref")) {
        json_object_set(s, "$ref", json_object_get(json_array_get(all, 0), "$ref"));
        json_object_del(s, "allOf");
        json_object_del(s, "default");
    }
    const char *ref = json_string_value(json_object_get(s, "$ref"));
    if (ref != NULL && strncmp(ref, V3_REF, strlen(V3_REF)) == 0) {
        char *r = xasprintf(V2_REF "%s", ref + strlen(V3_REF));
        json_object_set_new(s, "$ref", json_string(r));
        free(r);
    }
    const char *k;
    json_t *v;
    json_object_foreach(s, k, v) {
        if (strcmp(k, "properties") == 0) {
            const char *pk;
            json_t *pv;
            json_object_foreach(v, pk, pv) schema_to_v2(pv);
        } else if (strcmp(k, "items") == 0 || strcmp(k, "additionalProperties") == 0) {
            schema_to_v2(v);
        }
    }
}

/* A v3 parameter ({"schema":{"type":…}}) as a v2 one (type inline). */
static json_t *param_to_v2(json_t *p)
{
    json_t *out = json_deep_copy(p);
    json_t *sch = json_object_get(out, "schema");
    if (json_is_object(sch)) {
        json_object_update(out, sch);
        json_object_del(out, "schema");
    }
    return out;
}

static json_t *params_to_v2(json_t *params)
{
    json_t *out = json_array();
    size_t i;
    json_t *p;
    json_array_foreach(params, i, p) json_array_append_new(out, param_to_v2(p));
    return out;
}

static json_t *operation_to_v2(json_t *op)
{
    json_t *out = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(op, k, v) {
        if (strcmp(k, "parameters") == 0 || strcmp(k, "requestBody") == 0 || strcmp(k, "responses") == 0)
            continue;
        json_object_set(out, k, v);
    }
    json_t *params = params_to_v2(json_object_get(op, "parameters"));
    json_t *rb = json_object_get(op, "requestBody");
    if (rb != NULL) {
        json_t *content = json_object_get(rb, "content");
        json_t *consumes = json_array();
        json_t *schema = NULL;
        const char *ct;
        json_t *cv;
        json_object_foreach(content, ct, cv) {
            json_array_append_new(consumes, json_string(ct));
            if (schema == NULL)
                schema = json_deep_copy(json_object_get(cv, "schema"));
        }
        if (json_array_size(consumes) > 1 || (json_array_size(consumes) == 1 &&
                                              strcmp(json_string_value(json_array_get(consumes, 0)), "application/json") != 0))
            json_object_set(out, "consumes", consumes);
        else
            json_object_set_new(out, "consumes", json_pack("[s]", "*/*"));
        json_decref(consumes);
        schema_to_v2(schema);
        json_t *body = json_pack("{s:s,s:s,s:o}", "name", "body", "in", "body", "schema",
                                 schema ? schema : json_object());
        if (json_is_true(json_object_get(rb, "required")))
            json_object_set_new(body, "required", json_true());
        json_array_insert_new(params, 0, body);
    }
    json_object_set_new(out, "parameters", params);
    json_object_set_new(out, "produces", json_pack("[s,s,s]", "application/json", "application/yaml",
                                                   "application/vnd.kubernetes.protobuf"));
    json_object_set_new(out, "schemes", json_pack("[s]", "https"));
    json_t *resp = json_object();
    const char *code;
    json_t *r;
    json_object_foreach(json_object_get(op, "responses"), code, r) {
        json_t *nr = json_pack("{s:s}", "description", json_string_value(json_object_get(r, "description")));
        json_t *sch = json_object_get(json_object_get(json_object_get(r, "content"), "application/json"), "schema");
        if (sch != NULL) {
            json_t *c = json_deep_copy(sch);
            schema_to_v2(c);
            json_object_set_new(nr, "schema", c);
        }
        json_object_set_new(resp, code, nr);
    }
    json_object_set_new(out, "responses", resp);
    return out;
}

static void merge_gvks(json_t *into, json_t *from)
{
    json_t *a = json_object_get(into, "x-kubernetes-group-version-kind");
    json_t *b = json_object_get(from, "x-kubernetes-group-version-kind");
    if (!json_is_array(b))
        return;
    if (!json_is_array(a)) {
        json_object_set(into, "x-kubernetes-group-version-kind", b);
        return;
    }
    size_t i, j;
    json_t *g, *h;
    json_array_foreach(b, i, g) {
        bool have = false;
        json_array_foreach(a, j, h) have = have || json_equal(g, h);
        if (!have)
            json_array_append(a, g);
    }
}

json_t *openapi_v2_document(void)
{
    json_t *paths = json_object(), *defs = json_object();
    json_t *gvs = discovery_openapi_paths();
    size_t i;
    json_t *gvp;
    json_array_foreach(gvs, i, gvp) {
        /* "api/v1" or "apis/<group>/<version>" */
        const char *p = json_string_value(gvp);
        char group[128] = "", version[32] = "v1";
        if (strncmp(p, "apis/", 5) == 0) {
            const char *slash = strrchr(p, '/');
            size_t gl = (size_t)(slash - (p + 5));
            if (gl >= sizeof(group))
                continue;
            memcpy(group, p + 5, gl);
            group[gl] = '\0';
            snprintf(version, sizeof(version), "%s", slash + 1);
        }
        json_t *kinds = discovery_openapi_kinds(group, version);
        json_t *doc = openapi_v3_document(group, version, kinds);
        json_decref(kinds);
        const char *name;
        json_t *s;
        json_object_foreach(json_object_get(json_object_get(doc, "components"), "schemas"), name, s) {
            json_t *have = json_object_get(defs, name);
            if (have != NULL) {
                merge_gvks(have, s);
                continue;
            }
            json_t *c = json_deep_copy(s);
            schema_to_v2(c);
            json_object_set_new(defs, name, c);
        }
        const char *path;
        json_t *item;
        json_object_foreach(json_object_get(doc, "paths"), path, item) {
            json_t *out = json_object();
            const char *k;
            json_t *v;
            json_object_foreach(item, k, v) {
                if (strcmp(k, "parameters") == 0)
                    json_object_set_new(out, k, params_to_v2(v));
                else
                    json_object_set_new(out, k, operation_to_v2(v));
            }
            json_object_set_new(paths, path, out);
        }
        json_decref(doc);
    }
    json_decref(gvs);
    return json_pack("{s:s,s:{s:s,s:s},s:o,s:o,s:{s:{s:s,s:s,s:s,s:s}},s:[{s:[]}]}", "swagger", "2.0",
                     "info", "title", "Kubernetes", "version", ANZEN_K8S_GIT_VERSION, "paths", paths,
                     "definitions", defs, "securityDefinitions", "BearerToken", "description",
                     "Bearer Token authentication", "type", "apiKey", "name", "authorization", "in",
                     "header", "security", "BearerToken");
}

/* ---- protobuf ------------------------------------------------------------------------- */

static void pb_varint(struct buf *b, uint64_t v)
{
    while (v >= 0x80) {
        buf_putc(b, (char)(v | 0x80));
        v >>= 7;
    }
    buf_putc(b, (char)v);
}

static void pb_bytes(struct buf *b, int field, const void *data, size_t len)
{
    pb_varint(b, ((uint64_t)field << 3) | 2);
    pb_varint(b, len);
    buf_append(b, data, len);
}

static void pb_string(struct buf *b, int field, const char *s)
{
    if (s != NULL && *s)
        pb_bytes(b, field, s, strlen(s));
}

static void pb_bool(struct buf *b, int field, bool v)
{
    pb_varint(b, ((uint64_t)field << 3) | 0);
    pb_varint(b, v ? 1 : 0);
}

/* Appends sub as a length-delimited field and releases it. */
static void pb_msg(struct buf *b, int field, struct buf *sub)
{
    pb_bytes(b, field, sub->data ? sub->data : "", sub->len);
    buf_release(sub);
}

static void pb_strings(struct buf *b, int field, json_t *arr)
{
    size_t i;
    json_t *s;
    json_array_foreach(arr, i, s) if (json_is_string(s)) pb_bytes(b, field, json_string_value(s), json_string_length(s));
}

/* Any{yaml} of a JSON value. */
static void pb_any_yaml(struct buf *b, int field, json_t *v)
{
    struct buf y = BUF_INIT, any = BUF_INIT;
    yaml_write(&y, v);
    pb_bytes(&any, 2, y.data ? y.data : "", y.len);
    buf_release(&y);
    pb_msg(b, field, &any);
}

static void pb_vendor_extensions(struct buf *b, int field, json_t *obj)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        if (strncmp(k, "x-", 2) != 0)
            continue;
        struct buf na = BUF_INIT;
        pb_string(&na, 1, k);
        pb_any_yaml(&na, 2, v);
        pb_msg(b, field, &na);
    }
}

static void pb_schema(struct buf *b, json_t *s);

static void pb_schema_field(struct buf *b, int field, json_t *s)
{
    struct buf m = BUF_INIT;
    pb_schema(&m, s);
    pb_msg(b, field, &m);
}

static void pb_schema(struct buf *b, json_t *s)
{
    pb_string(b, 1, json_string_value(json_object_get(s, "$ref")));
    pb_string(b, 2, json_string_value(json_object_get(s, "format")));
    pb_string(b, 4, json_string_value(json_object_get(s, "description")));
    json_t *dflt = json_object_get(s, "default");
    if (dflt != NULL)
        pb_any_yaml(b, 5, dflt);
    if (json_is_true(json_object_get(s, "uniqueItems")))
        pb_bool(b, 16, true);
    pb_strings(b, 19, json_object_get(s, "required"));
    json_t *ap = json_object_get(s, "additionalProperties");
    if (ap != NULL) {
        struct buf m = BUF_INIT;
        if (json_is_boolean(ap))
            pb_bool(&m, 2, json_is_true(ap));
        else
            pb_schema_field(&m, 1, ap);
        pb_msg(b, 21, &m);
    }
    const char *type = json_string_value(json_object_get(s, "type"));
    if (type != NULL) {
        struct buf m = BUF_INIT;
        pb_string(&m, 1, type);
        pb_msg(b, 22, &m);
    }
    json_t *items = json_object_get(s, "items");
    if (items != NULL) {
        struct buf m = BUF_INIT;
        if (json_is_array(items)) {
            size_t i;
            json_t *it;
            json_array_foreach(items, i, it) pb_schema_field(&m, 1, it);
        } else {
            pb_schema_field(&m, 1, items);
        }
        pb_msg(b, 23, &m);
    }
    json_t *props = json_object_get(s, "properties");
    if (json_is_object(props)) {
        struct buf m = BUF_INIT;
        const char *k;
        json_t *v;
        json_object_foreach(props, k, v) {
            struct buf ns = BUF_INIT;
            pb_string(&ns, 1, k);
            pb_schema_field(&ns, 2, v);
            pb_msg(&m, 1, &ns);
        }
        pb_msg(b, 25, &m);
    }
    pb_vendor_extensions(b, 31, s);
}

/* One ParametersItem in field `field` (8 in an Operation, 9 in a PathItem). */
static void pb_parameter(struct buf *b, int field, json_t *p)
{
    const char *in = json_string_value(json_object_get(p, "in"));
    const char *desc = json_string_value(json_object_get(p, "description"));
    const char *name = json_string_value(json_object_get(p, "name"));
    bool required = json_is_true(json_object_get(p, "required"));
    struct buf param = BUF_INIT, item = BUF_INIT;
    if (in != NULL && strcmp(in, "body") == 0) {
        struct buf body = BUF_INIT;
        pb_string(&body, 1, desc);
        pb_string(&body, 2, name);
        pb_string(&body, 3, in);
        if (required)
            pb_bool(&body, 4, true);
        pb_schema_field(&body, 5, json_object_get(p, "schema"));
        pb_msg(&param, 1, &body);
    } else {
        bool path = in != NULL && strcmp(in, "path") == 0;
        struct buf sub = BUF_INIT, nb = BUF_INIT;
        if (required)
            pb_bool(&sub, 1, true);
        pb_string(&sub, 2, in);
        pb_string(&sub, 3, desc);
        pb_string(&sub, 4, name);
        pb_string(&sub, path ? 5 : 6, json_string_value(json_object_get(p, "type")));
        if (json_is_true(json_object_get(p, "uniqueItems")))
            pb_bool(&sub, path ? 19 : 20, true);
        pb_msg(&nb, path ? 4 : 3, &sub);
        pb_msg(&param, 2, &nb);
    }
    pb_msg(&item, 1, &param);
    pb_msg(b, field, &item);
}

/* Parameters as repeated ParametersItem in field `field`. */
static void pb_parameters(struct buf *b, int field, json_t *params)
{
    size_t i;
    json_t *p;
    json_array_foreach(params, i, p) pb_parameter(b, field, p);
}

static void pb_operation(struct buf *b, int field, json_t *op)
{
    struct buf m = BUF_INIT;
    pb_strings(&m, 1, json_object_get(op, "tags"));
    pb_string(&m, 3, json_string_value(json_object_get(op, "description")));
    pb_string(&m, 5, json_string_value(json_object_get(op, "operationId")));
    pb_strings(&m, 6, json_object_get(op, "produces"));
    pb_strings(&m, 7, json_object_get(op, "consumes"));
    pb_parameters(&m, 8, json_object_get(op, "parameters"));
    struct buf resps = BUF_INIT;
    const char *code;
    json_t *r;
    json_object_foreach(json_object_get(op, "responses"), code, r) {
        struct buf resp = BUF_INIT, rv = BUF_INIT, named = BUF_INIT;
        pb_string(&resp, 1, json_string_value(json_object_get(r, "description")));
        json_t *sch = json_object_get(r, "schema");
        if (sch != NULL) {
            struct buf si = BUF_INIT;
            pb_schema_field(&si, 1, sch);
            pb_msg(&resp, 2, &si);
        }
        pb_msg(&rv, 1, &resp);
        pb_string(&named, 1, code);
        pb_msg(&named, 2, &rv);
        pb_msg(&resps, 1, &named);
    }
    pb_msg(&m, 9, &resps);
    pb_strings(&m, 10, json_object_get(op, "schemes"));
    pb_vendor_extensions(&m, 13, op);
    pb_msg(b, field, &m);
}

int openapi_v2_protobuf(json_t *doc, struct buf *out)
{
    size_t before = out->len;
    pb_string(out, 1, json_string_value(json_object_get(doc, "swagger")));
    json_t *info = json_object_get(doc, "info");
    struct buf m = BUF_INIT;
    pb_string(&m, 1, json_string_value(json_object_get(info, "title")));
    pb_string(&m, 2, json_string_value(json_object_get(info, "version")));
    pb_msg(out, 2, &m);

    static const struct {
        const char *verb;
        int field;
    } ops[] = {{"get", 2}, {"put", 3}, {"post", 4}, {"delete", 5}, {"options", 6}, {"head", 7}, {"patch", 8}};
    struct buf paths = BUF_INIT;
    const char *path;
    json_t *item;
    json_object_foreach(json_object_get(doc, "paths"), path, item) {
        struct buf pi = BUF_INIT, named = BUF_INIT;
        for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
            json_t *op = json_object_get(item, ops[i].verb);
            if (op != NULL)
                pb_operation(&pi, ops[i].field, op);
        }
        pb_parameters(&pi, 9, json_object_get(item, "parameters"));
        pb_string(&named, 1, path);
        pb_msg(&named, 2, &pi);
        pb_msg(&paths, 2, &named);
    }
    pb_msg(out, 8, &paths);

    struct buf defs = BUF_INIT;
    const char *name;
    json_t *s;
    json_object_foreach(json_object_get(doc, "definitions"), name, s) {
        struct buf ns = BUF_INIT;
        pb_string(&ns, 1, name);
        pb_schema_field(&ns, 2, s);
        pb_msg(&defs, 1, &ns);
    }
    pb_msg(out, 9, &defs);

    /* security: [{BearerToken: []}], securityDefinitions: {BearerToken: apiKey} */
    struct buf sec = BUF_INIT, nsa = BUF_INIT, sa = BUF_INIT;
    pb_string(&nsa, 1, "BearerToken");
    pb_msg(&nsa, 2, &sa);
    pb_msg(&sec, 1, &nsa);
    pb_msg(out, 12, &sec);
    json_t *bt = json_object_get(json_object_get(doc, "securityDefinitions"), "BearerToken");
    if (bt != NULL) {
        struct buf sd = BUF_INIT, nsd = BUF_INIT, sdi = BUF_INIT, ak = BUF_INIT;
        pb_string(&ak, 1, json_string_value(json_object_get(bt, "type")));
        pb_string(&ak, 2, json_string_value(json_object_get(bt, "name")));
        pb_string(&ak, 3, json_string_value(json_object_get(bt, "in")));
        pb_string(&ak, 4, json_string_value(json_object_get(bt, "description")));
        pb_msg(&sdi, 2, &ak);
        pb_string(&nsd, 1, "BearerToken");
        pb_msg(&nsd, 2, &sdi);
        pb_msg(&sd, 1, &nsd);
        pb_msg(out, 13, &sd);
    }
    (void)before;
    return out->max != 0 && out->len >= out->max ? AZ_ETOOLARGE : 0;
}
