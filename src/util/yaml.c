/* yaml.c — quiet libfyaml documents (yaml.h). */
#include "util/yaml.h"

static void discard(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    (void)diag;
    (void)user;
    (void)buf;
    (void)len;
}

struct fy_document *yaml_document_quiet(const char *text, size_t len, unsigned flags)
{
    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = discard;
    dcfg.show_source = false;
    dcfg.colorize = false;
    struct fy_diag *diag = fy_diag_create(&dcfg);
    if (diag == NULL)
        return NULL;
    struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET | (enum fy_parse_cfg_flags)flags, .diag = diag};
    struct fy_document *fyd = fy_document_build_from_string(&cfg, text, len);
    fy_diag_unref(diag); /* the document holds its own reference */
    return fyd;
}
