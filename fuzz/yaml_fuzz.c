/* yaml_fuzz.c — libFuzzer target for util/yaml.c, the reader of every YAML request body,
 * apply body and audit policy: arbitrary bytes (valid UTF-8, as the callers check first) are
 * built into a quiet document and converted to JSON text, which must always be JSON that
 * jansson reads (numbers beyond its range aside, as with libfyaml's emitter before), and
 * every scalar read with yaml_scalar. Leaks are failures (libFuzzer's leak detection): the
 * libfyaml calls this module avoids leak on such inputs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/text.h"
#include "util/yaml.h"

static void scalars(struct fy_node *n, int depth)
{
    if (n == NULL || depth > 64)
        return;
    void *it = NULL;
    if (fy_node_is_scalar(n)) {
        size_t len = 0;
        char *s = yaml_scalar(n, &len);
        if (s == NULL || strlen(s) > len)
            abort();
        free(s);
    } else if (fy_node_is_sequence(n)) {
        struct fy_node *c;
        while ((c = fy_node_sequence_iterate(n, &it)) != NULL)
            scalars(c, depth + 1);
    } else if (fy_node_is_mapping(n)) {
        struct fy_node_pair *p;
        while ((p = fy_node_mapping_iterate(n, &it)) != NULL) {
            scalars(fy_node_pair_key(p), depth + 1);
            scalars(fy_node_pair_value(p), depth + 1);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    if (utf8_invalid_at(text, size) < size)
        return 0; /* libfyaml 0.7.12 may loop forever: never handed such text */
    struct fy_document *fyd = yaml_document_quiet(text, size, size % 2 ? FYPCF_ALLOW_DUPLICATE_KEYS : 0);
    if (fyd == NULL)
        return 0;
    char *js = yaml_document_to_json(fyd);
    if (js != NULL) {
        json_error_t err;
        json_t *v = json_loads(js, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
        /* jansson refuses a NUL in an object key (a YAML key may hold one, "\0"): the
         * callers then answer 400 as for any body jansson cannot read */
        if (v == NULL && strstr(err.text, "too big") == NULL && strstr(err.text, "overflow") == NULL &&
            strstr(err.text, "NUL byte in object key") == NULL)
            abort(); /* the conversion wrote something that is not JSON */
        json_decref(v);
        free(js);
    }
    scalars(fy_document_root(fyd), 0);
    fy_document_destroy(fyd);
    return 0;
}
