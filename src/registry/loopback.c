/* loopback.c — the API server's own identity; see loopback.h. */
#include "registry/loopback.h"

static char *loopback_groups[] = {"system:masters", "system:authenticated"};

const struct user_info *apiserver_loopback_user(void)
{
    static const struct user_info u = {.name = "system:apiserver", .groups = loopback_groups,
                                       .ngroups = 2};
    return &u;
}
