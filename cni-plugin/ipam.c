#include "ipam.h"

#include <string.h>

#include "ipam_cluster.h"
#include "ipam_exec.h"
#include "ipam_local.h"

/* The store in-process: a main plugin's "ipam": {"type": "mignet-ipam"},
 * or mignet-ipam run as the main plugin, whose config needs no ipam.type. */
static bool builtin(const struct cni_conf *c)
{
	return !strcmp(c->type, MIGNET_IPAM_TYPE) || (c->ipam_type && !strcmp(c->ipam_type, MIGNET_IPAM_TYPE));
}

/* The built-in IPAM's verbs, local or cluster-wide: c's ipam object with
 * what the node file adds (ipam_cluster.h), datastore "etcd" to the
 * cluster store, anything else to the local files. */
enum verb { V_ADD, V_DEL, V_CHECK, V_STATUS, V_GC };

static int builtin_run(enum verb v, const struct cni_conf *c, const struct cni_env *env,
		       struct cni_result *out, struct cni_error *ce)
{
	cJSON *merged = NULL;
	bool etcd = false;
	if (ipam_conf_resolve(c, &merged, &etcd, ce) < 0)
		return -1;
	struct cni_conf c2 = *c;
	if (merged)
		c2.ipam = merged;
	int rc;
	switch (v) {
	case V_ADD:
		rc = etcd ? ipam_cluster_add(&c2, env, out, ce) : ipam_local_add(&c2, env, out, ce);
		break;
	case V_DEL:
		rc = etcd ? ipam_cluster_del(&c2, env, ce) : ipam_local_del(&c2, env, ce);
		break;
	case V_CHECK:
		rc = etcd ? ipam_cluster_check(&c2, env, ce) : ipam_local_check(&c2, env, ce);
		break;
	case V_STATUS:
		rc = etcd ? ipam_cluster_status(&c2, ce) : ipam_local_status(&c2, ce);
		break;
	default:
		rc = etcd ? ipam_cluster_gc(&c2, ce) : ipam_local_gc(&c2, ce);
		break;
	}
	cJSON_Delete(merged);
	return rc;
}

/* IPs that did not come from the delegate's own input (a vif-cache record)
 * are passed to it as runtimeConfig.ips, which IPAM plugins honour as
 * requested addresses. Returns a new string, or NULL to use stdin as is. */
static char *delegate_input(const struct cni_conf *c)
{
	if (!c->n_ips || !c->ips_source || strcmp(c->ips_source, "vif-cache record"))
		return NULL;
	cJSON *root = cJSON_Duplicate(c->root, 1);
	cJSON *rt = cJSON_GetObjectItemCaseSensitive(root, "runtimeConfig");
	if (!cJSON_IsObject(rt)) {
		cJSON_DeleteItemFromObjectCaseSensitive(root, "runtimeConfig");
		rt = cJSON_AddObjectToObject(root, "runtimeConfig");
	}
	cJSON_DeleteItemFromObjectCaseSensitive(rt, "ips");
	cJSON *ips = cJSON_AddArrayToObject(rt, "ips");
	char buf[NP_PREFIX_STRLEN];
	for (int i = 0; i < c->n_ips; i++)
		cJSON_AddItemToArray(ips, cJSON_CreateString(np_prefix_str(&c->ips[i], buf, sizeof(buf))));
	char *s = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return s;
}

int cni_ipam_add(const struct cni_conf *c, const struct cni_env *env,
		 const char *stdin_json, struct cni_result *out, struct cni_error *ce)
{
	if (builtin(c))
		return builtin_run(V_ADD, c, env, out, ce);
	cJSON *j = NULL;
	char *input = delegate_input(c);
	if (input)
		stdin_json = input;
	int erc = cni_exec_plugin(c->ipam_type, "ADD", env, stdin_json, &j, ce);
	if (erc < 0) {
		cJSON_free(input);
		return -1;
	}
	int rc = cni_result_parse(j, out, ce);
	cJSON_Delete(j);
	if (rc == 0 && out->n_ips == 0)
		rc = cni_fail(ce, CNI_ERR_INTERNAL, "IPAM plugin %s returned no IP", c->ipam_type);
	if (rc < 0) {
		/* the spec: a failed delegate ADD is followed by its DEL */
		struct cni_error ignore = { 0 };
		cni_exec_plugin(c->ipam_type, "DEL", env, stdin_json, NULL, &ignore);
	}
	cJSON_free(input);
	return rc;
}

int cni_ipam_del(const struct cni_conf *c, const struct cni_env *env,
		 const char *stdin_json, struct cni_error *ce)
{
	if (builtin(c))
		return builtin_run(V_DEL, c, env, NULL, ce);
	return cni_exec_plugin(c->ipam_type, "DEL", env, stdin_json, NULL, ce);
}

int cni_ipam_check(const struct cni_conf *c, const struct cni_env *env,
		   const char *stdin_json, struct cni_error *ce)
{
	if (builtin(c))
		return builtin_run(V_CHECK, c, env, NULL, ce);
	return cni_exec_plugin(c->ipam_type, "CHECK", env, stdin_json, NULL, ce);
}

int cni_ipam_status(const struct cni_conf *c, const struct cni_env *env,
		    const char *stdin_json, struct cni_error *ce)
{
	if (builtin(c))
		return builtin_run(V_STATUS, c, env, NULL, ce);
	return cni_exec_plugin(c->ipam_type, "STATUS", env, stdin_json, NULL, ce);
}

int cni_ipam_gc(const struct cni_conf *c, const struct cni_env *env,
		const char *stdin_json, struct cni_error *ce)
{
	if (builtin(c))
		return builtin_run(V_GC, c, env, NULL, ce);
	return cni_exec_plugin(c->ipam_type, "GC", env, stdin_json, NULL, ce);
}
