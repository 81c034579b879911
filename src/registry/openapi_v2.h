/* openapi_v2.h — /openapi/v2: the Swagger 2.0 document kubectl 1.27 and 1.28 read (apply's
 * fieldValidation check and patch metadata, explain), as JSON or in the protobuf encoding of
 * gnostic's openapi.v2.Document that they ask for
 * (Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf). */
#ifndef ANZEN_API_OPENAPI_V2_H
#define ANZEN_API_OPENAPI_V2_H

#include <jansson.h>
#include "util/buf.h"

#define OPENAPI_V2_PROTOBUF_TYPE "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"

/* The whole document for every served group-version (new reference): the /openapi/v3
 * documents merged and rewritten in Swagger 2.0 terms (definitions, body parameters,
 * parameter types inline, #/definitions/ references). */
json_t *openapi_v2_document(void);

/* doc (as openapi_v2_document() builds it) encoded as openapi.v2.Document. Vendor
 * extensions travel as YAML text, as gnostic carries them. Returns 0 or AZ_ETOOLARGE. */
int openapi_v2_protobuf(json_t *doc, struct buf *out);

#endif
