/* audit_policy_fuzz.c — libFuzzer target for the audit policy parser (YAML/JSON text →
 * rules) and its evaluation: any parsed policy is evaluated against a few fixed requests,
 * and every Event built from them must be a JSON object. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *err = NULL;
    struct audit_policy *p = audit_policy_parse((const char *)data, size, &err);
    if (p == NULL) {
        if (err == NULL)
            abort(); /* a refusal always says why */
        free(err);
        return 0;
    }
    char *groups[] = {"system:authenticated", "system:nodes"};
    struct user_info u = {.name = "system:node:n1", .groups = groups, .ngroups = 2};
    static const char *const resources[][2] = {{"pods", ""}, {"pods", "log"}, {"secrets", ""}, {"", ""}};
    for (size_t i = 0; i < sizeof(resources) / sizeof(resources[0]); i++) {
        struct audit_attrs a = {.user = i == 3 ? NULL : &u, .verb = "get", .is_resource = i != 3,
                                .group = "", .version = "v1", .resource = resources[i][0],
                                .subresource = resources[i][1], .ns = "kube-system", .name = "x",
                                .path = "/healthz/etcd"};
        unsigned omit = 0;
        enum audit_level level = audit_policy_eval(p, &a, &omit);
        if (level > AUDIT_REQUEST_RESPONSE || omit > 15)
            abort();
        struct audit_request r = {.attrs = a, .audit_id = "x", .request_uri = "/", .code = 200};
        json_t *ev = audit_event(&r, level, AUDIT_STAGE_RESPONSE_COMPLETE);
        if (!json_is_object(ev))
            abort();
        json_decref(ev);
    }
    audit_policy_free(p);
    return 0;
}
