/* serviceaccount.c — placeholder until the ServiceAccount controllers land. */
#include "controllers/serviceaccount.h"

void serviceaccount_controllers_start(struct apiserver *srv)
{
    (void)srv;
}
