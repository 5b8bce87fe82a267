/* Filling a record's network state from a CNI ADD result (any spec
 * version): the interface that carries a sandbox (or is named ifname),
 * its IPs and gateways, the result's routes, MAC and 1.1.0 MTU. */
#ifndef MIGNET_VC_FROM_RESULT_H
#define MIGNET_VC_FROM_RESULT_H

#include <cjson/cJSON.h>

#include "record.h"

int vc_record_from_result(const cJSON *result, const char *ifname,
			  struct vc_record *r, char *sandbox, size_t sandbox_len,
			  struct np_err *e);

#endif
