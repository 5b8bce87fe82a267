/* The CNI config inside NetworkAttachmentDefinitions, from a JSON or YAML
 * file: one NAD, several "---"-separated documents, or a `kubectl get -o
 * yaml` List. A document is a NAD by its kind, and its spec.config must be
 * a string holding a JSON object (a plugin config or a conflist). */
#ifndef NETPREP_NAD_H
#define NETPREP_NAD_H

#include <cjson/cJSON.h>

#include "err.h"

#define NAD_MAX (1024 * 1024)

/* The config of the first NAD in text. */
cJSON *nad_config(const char *text, size_t len, struct np_err *e);
/* Calls cb with each NAD's config (cb must not keep it); documents of
 * other kinds are skipped. Returns the number of NADs found. */
int nad_each(const char *text, size_t len, int (*cb)(cJSON *config, void *arg), void *arg,
	     struct np_err *e);

#endif
