/* user.c — see user.h. */
#include <stdlib.h>
#include <string.h>
#include "machinery/user.h"
#include "util/buf.h"

void user_info_release(struct user_info *u)
{
    if (u == NULL)
        return;
    if (u->borrowed) {
        memset(u, 0, sizeof(*u));
        return;
    }
    free(u->name);
    free(u->uid);
    for (size_t i = 0; i < u->ngroups; i++)
        free(u->groups[i]);
    free(u->groups);
    json_decref(u->extra);
    memset(u, 0, sizeof(*u));
}

void user_info_add_group(struct user_info *u, const char *group)
{
    if (user_info_in_group(u, group))
        return;
    u->groups = xrealloc(u->groups, (u->ngroups + 1) * sizeof(*u->groups));
    u->groups[u->ngroups++] = xstrdup(group);
}

int user_info_in_group(const struct user_info *u, const char *group)
{
    for (size_t i = 0; i < u->ngroups; i++)
        if (strcmp(u->groups[i], group) == 0)
            return 1;
    return 0;
}

void user_info_copy(struct user_info *ret, const struct user_info *u)
{
    memset(ret, 0, sizeof(*ret));
    ret->name = u->name ? xstrdup(u->name) : NULL;
    ret->uid = u->uid ? xstrdup(u->uid) : NULL;
    for (size_t i = 0; i < u->ngroups; i++)
        user_info_add_group(ret, u->groups[i]);
    ret->extra = u->extra ? json_deep_copy(u->extra) : NULL;
}
