/* virt-handler's network-info-cache entry (kubevirt.md A.4, Go's
 * PodIfaceCacheData): read as Go's encoding/json reads it, and rewritten
 * without its networkState, as KubeVirt's own ConfigStateCache.Delete
 * does, so the network counts as pending again. Pure: no file access. */
#ifndef MIGNET_VC_KVSTATE_H
#define MIGNET_VC_KVSTATE_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define VC_KVSTATE_MAX (256 * 1024)

/* PodIfaceState; any other number makes KubeVirt neither prepare nor skip
 * the network (state.go's switch has no default). */
enum {
	VC_KV_PENDING = 0,
	VC_KV_STARTED = 1,
	VC_KV_FINISHED = 2,
};

struct vc_kvstate {
	long long state;    /* 0 when networkState is absent or null */
	bool has_state;     /* a non-null networkState member */
	bool is_null;       /* the document is "null": Go reads that as empty */
	char binding[16];   /* the binding member of iface ("bridge", ...), "" if none */
	char iface_name[64];
	char pod_ip[64];
};

/* Fills st from an entry's text. -EBADMSG: not JSON or not an object
 * (torn); -EINVAL: a member of a type Go's json.Unmarshal refuses (a
 * networkState of 2.0, a podIP number...), which makes virt-handler fail
 * on the entry just the same; -EFBIG above VC_KVSTATE_MAX. Member names
 * match case-insensitively, as in Go ("NetworkState" is the state, the
 * last of several counts); the iface object's inner fields are not
 * type-checked. */
int vc_kvstate_parse(const char *text, size_t len, struct vc_kvstate *st, struct np_err *e);

/* The entry with every networkState member removed, indented as Go's
 * json.MarshalIndent(v, "", "  ") (no trailing newline); the other members
 * keep their text, so a file KubeVirt wrote comes back as KubeVirt would
 * write the same data with state pending. text must parse. NULL on
 * failure (e says why). */
char *vc_kvstate_reset(const char *text, size_t len, struct np_err *e);

/* "pending", "started", "finished" or "unknown". */
const char *vc_kvstate_name(long long state);

#endif
