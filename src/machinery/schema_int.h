/* schema_int.h — internals shared by schema_core.c (the tables), schema.c (lookups and
 * strict field validation) and openapi.c (document generation). Not for other modules. */
#ifndef ANZEN_API_SCHEMA_INT_H
#define ANZEN_API_SCHEMA_INT_H

#include "machinery/schema.h"

/* One served kind and its root schema. group/version "*" match any group-version (the
 * meta/v1 kinds DeleteOptions and Status). */
struct schema_kind {
    const char *group;               /* "" for core, "*" for any */
    const char *version;             /* "v1", "*" for any */
    const char *kind;                /* "Pod" */
    const struct schema_node *root;  /* object node with apiVersion/kind/metadata */
};

/* NULL-kind-terminated index of every kind. */
extern const struct schema_kind schema_core__kinds[];
/* meta/v1 ListMeta, for the generated <Kind>List schemas. */
extern const struct schema_node *const schema_core__list_meta;

#endif
