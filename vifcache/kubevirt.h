/* KubeVirt's vif-cache-<podiface>.json (DHCPConfig, kubevirt.md A.3): Go
 * field names, base64 MAC and masks, null Routes, an Addr without IP and
 * Mask when unset, written as Go's json.MarshalIndent(v, "", "  ") would
 * for the types KubeVirt v1.9 compiles in (netlink v1.3.1: Route.MTULock
 * and RtoMinLock are bools). Only MAC, IP/Mask, Gateway, Routes (Dst, Gw)
 * and IPAMDisabled carry meaning on disk; the reader accepts every form
 * KubeVirt writes and refuses a file its Go code cannot read
 * (tests/integration/test_go_interop.sh checks both with Go itself). */
#ifndef MIGNET_VC_KUBEVIRT_H
#define MIGNET_VC_KUBEVIRT_H

#include "record.h"

#define VC_KUBEVIRT_MAX (256 * 1024)
#define VC_KUBEVIRT_MODE 0604
#define VC_KUBEVIRT_UID 107
#define VC_KUBEVIRT_GID 107

/* "vif-cache-<podiface>.json" */
void vc_kubevirt_filename(const char *pod_iface, char *buf, size_t len);
/* The file's text for r (IPv4 only, as KubeVirt's bridge binding). */
char *vc_kubevirt_format(const struct vc_record *r);
/* Fills r's MAC, IPs (one IPv4), gateway and routes from the file; other
 * fields of r are left alone. */
int vc_kubevirt_parse(const char *text, size_t len, struct vc_record *r,
		      bool *ipam_disabled, struct np_err *e);

#endif
