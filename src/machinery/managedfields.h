/* managedfields.h — field sets and typed object walks for server-side apply and
 * metadata.managedFields (upstream: sigs.k8s.io/structured-merge-diff v4 fieldpath + typed,
 * as vendored by kube-apiserver 1.32).
 *
 * A field set is a JSON object in canonical form: every key is one serialized path element
 * ("f:<name>", "k:<json object of the key fields>", "v:<json value>", "i:<index>") mapping to
 * the child set; the key "." inside a child means the child's own path is a member. So
 * {"f:data":{"f:a":{".":{}}}} holds the one path .data.a. fs_from_fields_v1/fs_to_fields_v1
 * convert from/to the wire form (fieldsV1), where a leaf member is written `{}` and a member
 * with children as {".":{}, ...}, keys sorted as upstream's PathElement order
 * (f: < k: < v: < i:, then by name / key fields / value / index).
 *
 * Object walks are driven by api/schema.h plus the tables in managedfields.c (list map keys,
 * atomic structs, zero objects) and follow upstream's element relationships: lists with
 * listType map (or patchStrategy merge + patchMergeKey) are associative by their keys, set
 * lists (or patchStrategy merge without key) hold values, other lists are atomic; structs and
 * maps are granular unless declared atomic; untyped values are granular maps / atomic lists. */
#ifndef ANZEN_API_MANAGEDFIELDS_H
#define ANZEN_API_MANAGEDFIELDS_H

#include <jansson.h>
#include <stdbool.h>
#include "machinery/schema.h"

/* ---- sets ---------------------------------------------------------------------------- */

json_t *fs_new(void);
bool fs_empty(json_t *s);                 /* no member paths */
json_t *fs_union(json_t *a, json_t *b);   /* new references */
json_t *fs_difference(json_t *a, json_t *b);
json_t *fs_intersection(json_t *a, json_t *b);
/* Whether s has a member at path p (n elements) or below it. */
bool fs_has_prefix(json_t *s, const char *const *p, size_t n);
/* Number of member paths. */
size_t fs_count(json_t *s);

/* Parses a fieldsV1 value. Returns 0 and a new canonical set, or -1 with *ret_err (malloc'd). */
int fs_from_fields_v1(json_t *v1, json_t **ret, char **ret_err);
/* The fieldsV1 wire form of s (new reference, keys in upstream's order). */
json_t *fs_to_fields_v1(json_t *s);
/* Upstream's fieldpath.Path strings of every member of s in Set.Iterate order, appended to
 * out (a JSON array): ".data.a", ".spec.containers[name=\"c\"].image", ".metadata.finalizers[=\"x\"]". */
void fs_paths(json_t *s, json_t *out);

/* ---- typed walks --------------------------------------------------------------------- */

/* The set of every field v sets (typed.ToFieldSet). */
json_t *mf_to_field_set(const struct schema_node *sch, json_t *v);
/* typed.Compare(lhs, rhs): three new sets. lhs/rhs may be NULL (absent). */
void mf_compare(const struct schema_node *sch, json_t *lhs, json_t *rhs, json_t **ret_added,
                json_t **ret_modified, json_t **ret_removed);
/* typed.Merge(live, config) with the applied value winning on leaves: new reference. On a
 * config that cannot be typed (associative list item without its key, duplicate keys) returns
 * NULL with *ret_err (malloc'd), upstream's text. */
json_t *mf_merge(const struct schema_node *sch, json_t *live, json_t *config, char **ret_err);
/* Checks that v can be typed (list keys present, no duplicate keys): 0, or -1 with *ret_err. */
int mf_check(const struct schema_node *sch, json_t *v, char **ret_err);
/* Removes the member paths of s from v in place (typed.RemoveItems). */
void mf_remove_items(const struct schema_node *sch, json_t *v, json_t *s);

/* Upstream's fieldpath string of a path in value v given as schema.h renders unknown fields
 * ("spec.containers[0].bogus" → ".spec.containers[name=\"a\"].bogus"). malloc'd. */
char *mf_path_string(const struct schema_node *sch, json_t *v, const char *dotted);

/* Schema facts the tables here add for OpenAPI: the x-kubernetes-list-map-keys of list field
 * `field` of struct `owner` (ref name) into ret_keys (at most 4, declared order), returning
 * their count (0 when it is not an associative list); and whether a struct is declared
 * x-kubernetes-map-type: atomic. */
size_t mf_list_map_keys(const char *owner, const char *field, const struct schema_node *list,
                        const char *ret_keys[4]);
bool mf_struct_is_atomic(const char *ref_name);

/* The zero value of a kind as upstream's typed Go struct serialises it (non-pointer structs
 * as {}, non-omitempty slices as null): the "live object" of a create. New reference. */
json_t *mf_zero_object(const char *group, const char *kind);

/* The fields the strategy resets (ignored by field management): "f:status" for the main
 * resource of a kind with status, "f:spec" for its status subresource. Removes them from s. */
void mf_filter_reset(json_t *s, bool has_status, const char *subresource);
/* Removes the metadata paths upstream strips from a manager's set (stripMetaManager). */
void mf_strip_meta(json_t *s);

#endif
