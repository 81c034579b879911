/* validate_int.h — helpers shared by validate.c (metadata, names, dispatch), validate_core.c
 * (core/v1 kinds and their defaults), validate_batch.c and validate_rbac.c. Not for use outside
 * src/api/validate*.c. */
#ifndef ANZEN_API_VALIDATE_INT_H
#define ANZEN_API_VALIDATE_INT_H

#include <jansson.h>
#include <stdbool.h>
#include "machinery/field.h"

/* A short list of malloc'd messages, as upstream's []string results. */
struct vmsgs {
    char *m[8];  /* messages, malloc'd */
    size_t n;    /* used */
};
void vmsgs_add(struct vmsgs *ms, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Upstream name checks: append the messages (IsDNS1123Subdomain, IsDNS1123Label, path segment,
 * IsQualifiedName, IsValidLabelValue, IsConfigMapKey). */
void vnames_dns1123_subdomain(const char *s, struct vmsgs *ms);
void vnames_dns1123_label(const char *s, struct vmsgs *ms);
void vnames_qualified_name(const char *s, struct vmsgs *ms);
void vnames_label_value(const char *s, struct vmsgs *ms);
void vnames_config_map_key(const char *s, struct vmsgs *ms);
void vnames_path_segment(const char *s, struct vmsgs *ms);

/* A ValidateNameFunc: appends the messages for name (prefix: it is a generateName). */
typedef void (*vname_fn)(const char *name, bool prefix, struct vmsgs *ms);
void vname_dns_subdomain(const char *name, bool prefix, struct vmsgs *ms);
void vname_dns_label(const char *name, bool prefix, struct vmsgs *ms);
void vname_path_segment(const char *name, bool prefix, struct vmsgs *ms);

/* Adds one FIELD_INVALID error per message, with the string value s; releases ms. */
void verr_invalid_msgs(struct field_errors *errs, const char *path, const char *s,
                       struct vmsgs *ms);
void verr_invalid_str(struct field_errors *errs, const char *path, const char *s,
                      const char *detail);
void verr_invalid_int(struct field_errors *errs, const char *path, json_int_t v,
                      const char *detail);

/* ValidateObjectMetaUpdate on obj.metadata (path "metadata"). */
void vmeta_update(json_t *obj, json_t *old, struct field_errors *errs);
/* The core group's ValidateObjectMeta: vmeta_create plus the kube finalizer-name rule. */
void vmeta_create_core(json_t *obj, bool namespaced, vname_fn name_fn, struct field_errors *errs);
/* validateFinalizerName of pkg/apis/core/validation (qualified name + standard-or-qualified). */
void vmeta_core_finalizer(const char *path, const char *name, struct field_errors *errs);

/* ValidateNonnegativeField when v is an integer. */
void vcheck_nonnegative(struct field_errors *errs, const char *path, json_t *v);

/* JSON accessors: the member if it has the type, else NULL / "". */
const char *jstr(json_t *o, const char *key);          /* "" when absent */
json_t *jobj(json_t *o, const char *key);               /* object or NULL */
json_t *jarr(json_t *o, const char *key);               /* array or NULL */
json_t *jobj_ensure(json_t *o, const char *key);        /* creates {} if absent */
void jset_default_str(json_t *o, const char *key, const char *v);
void jset_default_int(json_t *o, const char *key, json_int_t v);
void jset_default_bool(json_t *o, const char *key, bool v);

/* The PodSpec defaults (is_pod: a Pod's own spec, not a template's). */
void defaults_pod_spec(json_t *spec, bool is_pod);

/* ValidatePodUpdate's spec rules (validate_pod_update.c); metadata is checked by the caller. */
void validate_pod_update(json_t *obj, json_t *old, struct field_errors *errs);
void validate_pod_template(json_t *tmpl, const char *path, struct field_errors *errs);

#endif
