/* typecheck.h — request bodies checked against the kind's schema with the rules of the
 * decoder upstream runs on them, so a body that upstream cannot decode is refused with the
 * decoder's own text and nothing of the wrong type reaches storage.
 *
 * TYPECHECK_JSON — what the apiserver's JSON serializer (sigs.k8s.io/json, Go's
 * encoding/json) says when decoding a POST/PUT body or a JSON/merge-patched object:
 *   json: cannot unmarshal <number|string|bool|object|array> into Go struct field
 *         <Struct>.<json.path> of type <go type>
 * (<Struct> is the Go struct holding the field, the path joins JSON names from the root
 * without array indexes or map keys; a fraction or overflow into an integer shows the number:
 * "number 1.5"); Secret data and ConfigMap binaryData are []byte: base64 (padded, standard
 * alphabet) or `illegal base64 data at input byte N`; IntOrString, Quantity and Time answer
 * through their UnmarshalJSON. The first error in document order wins, except that an
 * UnmarshalJSON error ends the decode at once (as Go's decoder does).
 *
 * TYPECHECK_UNSTRUCTURED — what runtime.DefaultUnstructuredConverter says when a strategic
 * merge patch result is converted to the typed object: `cannot convert int64 to string`,
 * `cannot restore struct from: string`, `cannot restore slice from map`, `cannot restore map
 * from string`, `error decoding from json: illegal base64 data at input byte N`.
 *
 * Integer fields are int32 except those upstream declares int64 (a fixed list of JSON names:
 * terminationGracePeriodSeconds, runAsUser, generation, expirationSeconds, ...). */
#ifndef ANZEN_API_TYPECHECK_H
#define ANZEN_API_TYPECHECK_H

#include <jansson.h>
#include "machinery/schema.h"

enum typecheck_mode { TYPECHECK_JSON, TYPECHECK_UNSTRUCTURED };

/* Checks obj (the whole object; kind names the root struct) against root. Returns NULL when
 * it decodes, else the decoder's message (malloc'd). */
char *typecheck_object(const struct schema_node *root, const char *kind, json_t *obj,
                       enum typecheck_mode mode);

/* v as Go's fmt %+v prints it once decoded into interface{} (maps sorted by key:
 * map[a:1 b:[x y]]), as upstream quotes a strategic merge patch in its error. malloc'd. */
char *typecheck_go_format(json_t *v);

/* Go's base64.StdEncoding.Decode verdict on s: -1 if valid, else the byte offset that
 * CorruptInputError reports. */
long typecheck_base64_error(const char *s, size_t len);

#endif
