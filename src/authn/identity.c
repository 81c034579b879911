/* identity.c — placeholder until the identity module lands: installs nothing. */
#include "authn/identity.h"

int identity_init(struct apiserver *srv, const struct identity_config *cfg, char **ret_err)
{
    (void)srv;
    (void)cfg;
    (void)ret_err;
    return 0;
}
