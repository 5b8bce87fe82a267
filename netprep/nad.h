/* The CNI config inside a NetworkAttachmentDefinition, from its JSON form
 * or its YAML form. For YAML, spec.config may be a single- or double-quoted
 * scalar (over several lines) or a block scalar (| or >); other YAML is out
 * of scope and refused with a message. */
#ifndef NETPREP_NAD_H
#define NETPREP_NAD_H

#include <cjson/cJSON.h>

#include "err.h"

#define NAD_MAX (1024 * 1024)

/* Returns the parsed config (a plugin config or a conflist). */
cJSON *nad_config(const char *text, size_t len, struct np_err *e);
/* Splits "---"-separated documents and calls cb with each NAD's config;
 * non-NAD documents are skipped. Returns the number of NADs found. */
int nad_each(const char *text, size_t len, int (*cb)(cJSON *config, void *arg), void *arg,
	     struct np_err *e);

#endif
