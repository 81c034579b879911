/* analyze_manifest_fuzz.c — libFuzzer target for `anzen analyze`'s manifest parser
 * (analyze_load_manifest, analyze_yaml_to_json): the input is parsed as a YAML/JSON manifest
 * stream; whatever objects come out are analysed (graph, shortest paths, checks) and the
 * report is rendered in one of the formats (by the input's length), so hostile RBAC/pod
 * shapes reach the model too. */
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "analyze/analyze.h"

#define FUZZ_MAX_INPUT (256 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return 0;
    char *err = NULL;
    /* the same document reader as the manifest's below, stopping after the first document:
     * one input in four, so that most inputs are parsed once */
    if (size % 4 == 3) {
        json_t *v = analyze_yaml_to_json((const char *)data, size, &err);
        json_decref(v);
        free(err);
        err = NULL;
    }

    struct analyze_inventory inv;
    analyze_inventory_init(&inv);
    analyze_load_manifest(&inv, (const char *)data, size, "fuzz.yaml", &err);
    free(err);
    json_t *report = analyze_run(&inv);
    /* one format per input, picked by its length (the rendering costs more than the
     * parsing; all four formats get their share of inputs) */
    static const enum analyze_format fmts[] = {ANALYZE_TABLE, ANALYZE_JSON, ANALYZE_SARIF, ANALYZE_DOT};
    free(analyze_render(report, fmts[size % 4], size % 8 >= 4));
    analyze_report_max_severity(report);
    json_decref(report);
    analyze_inventory_release(&inv);
    return 0;
}
