/* image_ref_fuzz.c — libFuzzer target for image reference normalisation (node/image.c):
 * the input (up to the first NUL) is normalised; a normalised reference must normalise to
 * itself and stay within the length limits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* the source itself, so that libFuzzer instruments it */
#include "node/image.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = strndup((const char *)data, size);
    if (s == NULL)
        abort();
    char *n = image_normalize(s);
    if (n != NULL) {
        char *again = image_normalize(n);
        if (again == NULL || strcmp(again, n) != 0)
            abort();
        if (strchr(n, '/') == NULL)
            abort(); /* always has a domain */
        free(again);
        free(n);
    }
    free(s);
    return 0;
}
