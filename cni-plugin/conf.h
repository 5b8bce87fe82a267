/* The network configuration a plugin receives on stdin, the CNI_ARGS it
 * gets in its environment, and the identity and addresses they request. */
#ifndef MIGNET_CONF_H
#define MIGNET_CONF_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "inet.h"
#include "skel.h"

#define CNI_MAX_IPS 8
#define CNI_STDIN_MAX (1 << 20)

struct cni_pod {
	char namespace_[254];
	char name[254];
	char uid[64];
	char infra_container_id[128];
};

/* The VM behind a virt-launcher pod: namespace from K8S_POD_NAMESPACE,
 * name from K8S_POD_NAME (launcher_name.h) unless the pod annotation
 * kubevirt.io/domain (io.kubernetes.cri.pod-annotations capability) names
 * it, UID from args.cni.vmiUID or the annotation mignet.io/vmi-uid. Empty
 * name: not a VM pod. */
struct cni_vm {
	char namespace_[254];
	char name[254];
	char uid[64];
	const char *source;          /* which input named it, for the log */
};

struct cni_conf {
	cJSON *root;                 /* owns every cJSON pointer below */
	const char *version;
	const char *name;
	const char *type;
	const cJSON *ipam;           /* object or NULL */
	const char *ipam_type;       /* NULL: L2 only */
	const cJSON *dns;            /* config "dns", may be NULL */
	const cJSON *prev_result;
	const cJSON *runtime;        /* runtimeConfig */

	bool has_mac;
	uint8_t mac[NP_MAC_LEN];
	const char *mac_source;      /* which input won, for logs and errors */
	int n_ips;
	struct np_prefix ips[CNI_MAX_IPS];
	const char *ips_source;
	const char *device_id;       /* runtimeConfig.deviceID (SR-IOV) */
	struct cni_pod pod;
	struct cni_vm vm;
	const char *log_file;        /* "logFile": append logs here, not stderr */
	const char *vif_cache_dir;   /* "vifCacheDir", checked; NULL: the default */
	bool ignore_unknown_args;
	char warning[384];           /* logged after the command, success or not */
};

/* Parses stdin's config for env->cmd: version (code 1), JSON (code 6),
 * name and fields (code 7, naming key and value), CNI_ARGS (code 4). */
int cni_conf_parse(const char *json, size_t len, const struct cni_env *env,
		   struct cni_conf *c, struct cni_error *ce);
void cni_conf_free(struct cni_conf *c);

/* Typed field access that fails with code 7 naming the key and value. */
int cni_json_str(const cJSON *obj, const char *ctx, const char *key,
		 bool required, const char **out, struct cni_error *ce);
int cni_json_bool(const cJSON *obj, const char *ctx, const char *key,
		  bool *out, struct cni_error *ce);
int cni_json_array(const cJSON *obj, const char *ctx, const char *key,
		   const cJSON **out, struct cni_error *ce);
int cni_json_object(const cJSON *obj, const char *ctx, const char *key,
		    const cJSON **out, struct cni_error *ce);
/* Code 7 naming ctx.key unless dir (NULL: not given) is absolute and free
 * of "." and ".." components. */
int cni_conf_check_dir(const char *dir, const char *ctx, const char *key,
		       struct cni_error *ce);
int cni_json_uint(const cJSON *obj, const char *ctx, const char *key,
		  unsigned long min, unsigned long max, unsigned long *out,
		  struct cni_error *ce);

#endif
