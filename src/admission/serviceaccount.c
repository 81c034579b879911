/* serviceaccount.c — placeholder until the ServiceAccount admission plugin lands. */
#include "admission/serviceaccount.h"

void serviceaccount_admission_register(void)
{
}
