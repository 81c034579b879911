/* serviceaccount.h — the ServiceAccount admission plugin (spec/04): default
 * serviceAccountName, reject pods of missing SAs, automount precedence, and the injected
 * kube-api-access-XXXXX projected volume and mounts. */
#ifndef ANZEN_ADMISSION_SERVICEACCOUNT_H
#define ANZEN_ADMISSION_SERVICEACCOUNT_H

/* Adds the plugin to the admission chain (called once by identity_init). */
void serviceaccount_admission_register(void);

#endif
