/* Runs a delegated plugin (e.g. host-local, static, whereabouts, dhcp)
 * found in CNI_PATH, feeding it the same stdin and environment with
 * CNI_COMMAND replaced. */
#ifndef MIGNET_IPAM_EXEC_H
#define MIGNET_IPAM_EXEC_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "skel.h"

/* On success *out (may be NULL) receives the parsed stdout (NULL when the
 * plugin printed nothing). A failing plugin's CNI error is passed on with
 * its code. */
/* Whether CNI_PATH holds an executable plugin named type. */
bool cni_plugin_installed(const char *type, const char *cni_path);

int cni_exec_plugin(const char *type, const char *command,
		    const struct cni_env *env, const char *stdin_json,
		    cJSON **out, struct cni_error *ce);

#endif
