/* yaml_out.h — YAML output as kube-apiserver writes it for `Accept: application/yaml`
 * (sigs.k8s.io/yaml over go-yaml v2): mapping keys sorted, 2-space indent, sequences at
 * their key's indent ("key:\n- a"), {} and [] for empty collections, strings plain unless
 * they would read back as another type or break the syntax — then double-quoted for
 * look-alikes ("1", "true", timestamps), single-quoted for indicator characters ('*'), and
 * a literal block (|, |-) for multi-line text; plain and single-quoted text longer than the
 * 80-column line is folded at single spaces onto lines indented two more. */
#ifndef ANZEN_UTIL_YAML_OUT_H
#define ANZEN_UTIL_YAML_OUT_H

#include <jansson.h>
#include "util/buf.h"

/* Appends v as a YAML document (no "---"). Returns 0 or AZ_ETOOLARGE (buffer cap). */
int yaml_write(struct buf *out, json_t *v);

#endif
