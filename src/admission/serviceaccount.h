/* serviceaccount.h — the ServiceAccount admission plugin (spec/04): default
 * serviceAccountName, reject pods of missing SAs, automount precedence, and the injected
 * kube-api-access-XXXXX projected volume and mounts. */
#ifndef ANZEN_ADMISSION_SERVICEACCOUNT_H
#define ANZEN_ADMISSION_SERVICEACCOUNT_H

/* The plugin, for the admission chain cmd/serve.c lists (srv->admission). */
struct admission_plugin;
const struct admission_plugin *serviceaccount_admission(void);

#endif
