#include "conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_strict.h"
#include "launcher_name.h"
#include "names.h"

static const char *type_name(const cJSON *v)
{
	if (cJSON_IsString(v)) return "a string";
	if (cJSON_IsNumber(v)) return "a number";
	if (cJSON_IsBool(v)) return "a boolean";
	if (cJSON_IsNull(v)) return "null";
	if (cJSON_IsArray(v)) return "an array";
	if (cJSON_IsObject(v)) return "an object";
	return "invalid";
}

int cni_json_str(const cJSON *obj, const char *ctx, const char *key,
		 bool required, const char **out, struct cni_error *ce)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	*out = NULL;
	if (!v || cJSON_IsNull(v)) {
		if (required)
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "%s: \"%s\" is required", ctx, key);
		return 0;
	}
	if (!cJSON_IsString(v))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "%s: \"%s\" must be a string, not %s",
				ctx, key, type_name(v));
	*out = v->valuestring;
	return 0;
}

int cni_json_bool(const cJSON *obj, const char *ctx, const char *key,
		  bool *out, struct cni_error *ce)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsBool(v))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "%s: \"%s\" must be true or false, not %s",
				ctx, key, type_name(v));
	*out = cJSON_IsTrue(v);
	return 0;
}

int cni_json_uint(const cJSON *obj, const char *ctx, const char *key,
		  unsigned long min, unsigned long max, unsigned long *out,
		  struct cni_error *ce)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsNumber(v))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "%s: \"%s\" must be a number, not %s",
				ctx, key, type_name(v));
	double d = v->valuedouble;
	/* range first: converting an out-of-range double is undefined */
	if (!(d >= (double)min && d <= (double)max) || d != (double)(unsigned long)d)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "%s: \"%s\" is %g; it must be a whole number from %lu to %lu",
				ctx, key, d, min, max);
	*out = (unsigned long)d;
	return 0;
}

static int json_typed(const cJSON *obj, const char *ctx, const char *key,
		      cJSON_bool (*is)(const cJSON *), const char *want,
		      const cJSON **out, struct cni_error *ce)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	*out = NULL;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!is(v))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "%s: \"%s\" must be %s, not %s",
				ctx, key, want, type_name(v));
	*out = v;
	return 0;
}

int cni_json_array(const cJSON *obj, const char *ctx, const char *key,
		   const cJSON **out, struct cni_error *ce)
{
	return json_typed(obj, ctx, key, cJSON_IsArray, "a list", out, ce);
}

int cni_json_object(const cJSON *obj, const char *ctx, const char *key,
		    const cJSON **out, struct cni_error *ce)
{
	return json_typed(obj, ctx, key, cJSON_IsObject, "an object", out, ce);
}

/* ---- CNI_ARGS: "K=V;K=V", parsed the way the Go library does ---------- */

static bool truthy(const char *v, bool *ok)
{
	*ok = true;
	if (!strcasecmp(v, "1") || !strcasecmp(v, "true"))
		return true;
	if (!strcasecmp(v, "0") || !strcasecmp(v, "false"))
		return false;
	*ok = false;
	return false;
}

static int copy_arg(char *dst, size_t len, const char *key, const char *val,
		    struct cni_error *ce)
{
	char q[NP_QUOTE_MAX];
	if (strlen(val) >= len)
		return cni_fail(ce, CNI_ERR_INVALID_ENV, "CNI_ARGS %s=\"%s\" is too long", key,
				np_quote(val, q, sizeof(q)));
	strcpy(dst, val);
	return 0;
}

static int valid_uid(const char *s, const char *what, struct np_err *e)
{
	return np_valid_path_component(s, 63, what, e);
}

static int valid_container_id(const char *s, const char *what, struct np_err *e)
{
	int rc = np_valid_container_id(s, e);
	return rc < 0 ? np_err_prefix(e, rc, "%s: ", what) : 0;
}

/* Kubernetes names from CNI_ARGS end up in file names (the sticky VM
 * index, vif-cache records): only what the API server itself accepts. An
 * empty value means "not given", as kubelet sends for non-pod sandboxes. */
static int k8s_arg(char *dst, size_t len, const char *key, const char *val,
		   int (*valid)(const char *, const char *, struct np_err *),
		   struct cni_error *ce)
{
	struct np_err e = { 0 };
	char what[48];
	snprintf(what, sizeof(what), "CNI_ARGS %s", key);
	if (*val && valid(val, what, &e) < 0)
		return cni_fail(ce, CNI_ERR_INVALID_ENV, "%s", e.msg);
	return copy_arg(dst, len, key, val, ce);
}

struct cni_args_raw {
	char mac[32];
	char ip[512];
};

static int parse_cni_args(const char *args, struct cni_conf *c,
			  struct cni_args_raw *raw, struct cni_error *ce)
{
	if (!args)
		return 0;
	char *dup = strdup(args), *save = NULL;
	if (!dup)
		return cni_fail(ce, CNI_ERR_INTERNAL, "out of memory");
	char unknown[128] = "";
	int rc = 0;
	/* IgnoreUnknown may come after the unknown key; look for it first. */
	for (char *kv = strtok_r(dup, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(kv, '=');
		char q[NP_QUOTE_MAX];
		if (!eq || strchr(eq + 1, '=')) {
			rc = cni_fail(ce, CNI_ERR_INVALID_ENV,
				      "CNI_ARGS: \"%s\" is not KEY=VALUE", np_quote(kv, q, sizeof(q)));
			break;
		}
		*eq = '\0';
		const char *k = kv, *v = eq + 1;
		bool ok = true;
		if (!strcmp(k, "IgnoreUnknown")) {
			c->ignore_unknown_args = truthy(v, &ok);
			if (!ok)
				rc = cni_fail(ce, CNI_ERR_INVALID_ENV,
					      "CNI_ARGS IgnoreUnknown=\"%s\": use true, false, 1 or 0",
					      np_quote(v, q, sizeof(q)));
		} else if (!strcmp(k, "K8S_POD_NAMESPACE")) {
			rc = k8s_arg(c->pod.namespace_, sizeof(c->pod.namespace_), k, v, np_valid_k8s_label, ce);
		} else if (!strcmp(k, "K8S_POD_NAME")) {
			rc = k8s_arg(c->pod.name, sizeof(c->pod.name), k, v, np_valid_k8s_subdomain, ce);
		} else if (!strcmp(k, "K8S_POD_UID")) {
			rc = k8s_arg(c->pod.uid, sizeof(c->pod.uid), k, v, valid_uid, ce);
		} else if (!strcmp(k, "K8S_POD_INFRA_CONTAINER_ID")) {
			rc = k8s_arg(c->pod.infra_container_id, sizeof(c->pod.infra_container_id), k, v,
				     valid_container_id, ce);
		} else if (!strcmp(k, "MAC")) {
			rc = copy_arg(raw->mac, sizeof(raw->mac), k, v, ce);
		} else if (!strcmp(k, "IP")) {
			rc = copy_arg(raw->ip, sizeof(raw->ip), k, v, ce);
		} else if (!unknown[0]) {
			snprintf(unknown, sizeof(unknown), "%s", np_quote(k, q, sizeof(q)));
		}
		if (rc < 0)
			break;
	}
	free(dup);
	if (rc == 0 && unknown[0] && !c->ignore_unknown_args)
		rc = cni_fail(ce, CNI_ERR_INVALID_ENV,
			      "CNI_ARGS: unknown key \"%s\" (add IgnoreUnknown=true to allow it)", unknown);
	return rc;
}

/* ---- requested MAC and IPs -------------------------------------------- */

static int set_mac(struct cni_conf *c, const char *s, const char *source,
		   struct cni_error *ce)
{
	struct np_err e = { 0 };
	if (np_mac_parse(s, true, c->mac, &e) < 0)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "%s: %s", source, e.msg);
	c->has_mac = true;
	c->mac_source = source;
	return 0;
}

static int add_ip(struct cni_conf *c, const char *s, const char *source,
		  struct cni_error *ce)
{
	struct np_err e = { 0 };
	if (c->n_ips == CNI_MAX_IPS)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "%s: more than %d IPs requested", source, CNI_MAX_IPS);
	if (np_prefix_parse(s, true, &c->ips[c->n_ips], &e) < 0)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "%s: %s", source, e.msg);
	c->n_ips++;
	c->ips_source = source;
	return 0;
}

static int ips_from_array(struct cni_conf *c, const cJSON *arr, const char *source,
			  struct cni_error *ce)
{
	if (!cJSON_IsArray(arr))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "%s must be a list of \"ip[/prefix]\" strings", source);
	const cJSON *v;
	cJSON_ArrayForEach(v, arr) {
		if (!cJSON_IsString(v))
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "%s: every entry must be a string", source);
		if (add_ip(c, v->valuestring, source, ce) < 0)
			return -1;
	}
	return 0;
}

/* Precedence, highest first (CNI conventions): runtimeConfig
 * (capabilities), args.cni, CNI_ARGS, then the config's own "mac". */
static int resolve_mac(struct cni_conf *c, const struct cni_args_raw *raw,
		       const cJSON *args_cni, struct cni_error *ce)
{
	const char *s;
	if (cni_json_str(c->runtime, "runtimeConfig", "mac", false, &s, ce) < 0)
		return -1;
	if (s)
		return set_mac(c, s, "runtimeConfig.mac", ce);
	if (cni_json_str(args_cni, "args.cni", "mac", false, &s, ce) < 0)
		return -1;
	if (s)
		return set_mac(c, s, "args.cni.mac", ce);
	if (raw->mac[0])
		return set_mac(c, raw->mac, "CNI_ARGS MAC", ce);
	if (cni_json_str(c->root, "config", "mac", false, &s, ce) < 0)
		return -1;
	if (s)
		return set_mac(c, s, "config mac", ce);
	return 0;
}

static int resolve_ips(struct cni_conf *c, const struct cni_args_raw *raw,
		       const cJSON *args_cni, struct cni_error *ce)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->runtime, "ips");
	if (v && !cJSON_IsNull(v))
		return ips_from_array(c, v, "runtimeConfig.ips", ce);
	v = cJSON_GetObjectItemCaseSensitive(args_cni, "ips");
	if (v && !cJSON_IsNull(v))
		return ips_from_array(c, v, "args.cni.ips", ce);
	if (!raw->ip[0])
		return 0;
	char buf[sizeof(raw->ip)], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", raw->ip);
	for (char *ip = strtok_r(buf, ",", &save); ip; ip = strtok_r(NULL, ",", &save))
		if (add_ip(c, ip, "CNI_ARGS IP", ce) < 0)
			return -1;
	return 0;
}

/* ---- the VM behind the pod --------------------------------------------- */

static int copy_identity(char *dst, size_t len, const cJSON *v, const char *what,
			 int (*valid)(const char *, const char *, struct np_err *),
			 struct cni_error *ce)
{
	if (!cJSON_IsString(v) || !*v->valuestring)
		return 0;
	/* these end up in file names and records */
	struct np_err e = { 0 };
	if (valid(v->valuestring, what, &e) < 0 || strlen(v->valuestring) >= len)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "%s", e.msg[0] ? e.msg : "name too long");
	snprintf(dst, len, "%s", v->valuestring);
	return 0;
}

/* The VM from the launcher pod's name, as Multus passes it. A cut or
 * ambiguous name is used (source and target pods of one VM cut it alike)
 * and said in the log; a name that is not a launcher's is no VM. */
static void vm_from_pod_name(struct cni_conf *c)
{
	char vm[LAUNCHER_BASE_MAX];
	enum launcher_match how = launcher_vm_name(c->pod.name, vm, sizeof(vm));
	if (how == LAUNCHER_NOT || np_valid_k8s_subdomain(vm, "VM name", NULL) < 0)
		return;
	snprintf(c->vm.name, sizeof(c->vm.name), "%s", vm);
	c->vm.source = "K8S_POD_NAME";
	if (how == LAUNCHER_AMBIGUOUS)
		snprintf(c->warning, sizeof(c->warning),
			 "pod %.63s/%.63s: taken as VM \"%s\"; a VM whose name is longer and has '-' as its 44th character would have the same pod name (set the annotation kubevirt.io/domain to be sure)",
			 c->pod.namespace_, c->pod.name, vm);
	else if (how == LAUNCHER_TRUNCATED)
		snprintf(c->warning, sizeof(c->warning),
			 "pod %.63s/%.63s: Kubernetes cut the VM name to its first 44 characters, \"%s\": VMs of this namespace that share them share this identity (set the annotation kubevirt.io/domain to be sure)",
			 c->pod.namespace_, c->pod.name, vm);
}

static int resolve_vm(struct cni_conf *c, const cJSON *args_cni, struct cni_error *ce)
{
	const cJSON *ann = cJSON_GetObjectItemCaseSensitive(c->runtime, "io.kubernetes.cri.pod-annotations");
	if (ann && !cJSON_IsObject(ann))
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG,
				"runtimeConfig: \"io.kubernetes.cri.pod-annotations\" must be an object");
	if (copy_identity(c->vm.name, sizeof(c->vm.name), cJSON_GetObjectItemCaseSensitive(ann, "kubevirt.io/domain"),
			  "pod annotation kubevirt.io/domain", np_valid_k8s_subdomain, ce) < 0)
		return -1;
	if (c->vm.name[0])
		c->vm.source = "annotation kubevirt.io/domain";
	else if (c->pod.namespace_[0])
		vm_from_pod_name(c);
	const cJSON *uid = cJSON_GetObjectItemCaseSensitive(args_cni, "vmiUID");
	if (!uid)
		uid = cJSON_GetObjectItemCaseSensitive(ann, "mignet.io/vmi-uid");
	if (copy_identity(c->vm.uid, sizeof(c->vm.uid), uid, "VMI UID", valid_uid, ce) < 0)
		return -1;
	if (c->vm.name[0])
		snprintf(c->vm.namespace_, sizeof(c->vm.namespace_), "%s", c->pod.namespace_);
	return 0;
}

/* ---- the whole config -------------------------------------------------- */

static int check_version(struct cni_conf *c, enum cni_cmd cmd, struct cni_error *ce)
{
	if (cni_version_index(c->version) < 0) {
		char q[NP_QUOTE_MAX];
		cni_fail(ce, CNI_ERR_INCOMPATIBLE_VERSION, "incompatible CNI versions: config is \"%s\"",
			 np_quote(c->version, q, sizeof(q)));
		snprintf(ce->details, sizeof(ce->details),
			 "plugin supports [0.3.0 0.3.1 0.4.0 1.0.0 1.1.0]");
		return -1;
	}
	const char *need = cmd == CNI_CHECK ? "0.4.0" :
			   (cmd == CNI_STATUS || cmd == CNI_GC) ? "1.1.0" : NULL;
	if (need && cni_version_cmp(c->version, need) < 0)
		return cni_fail(ce, CNI_ERR_INCOMPATIBLE_VERSION,
				"config version %s does not allow %s (needs %s or later)",
				c->version, cmd == CNI_CHECK ? "CHECK" : cmd == CNI_GC ? "GC" : "STATUS", need);
	return 0;
}

int cni_conf_parse(const char *json, size_t len, const struct cni_env *env,
		   struct cni_conf *c, struct cni_error *ce)
{
	memset(c, 0, sizeof(*c));
	if (len > CNI_STDIN_MAX)
		return cni_fail(ce, CNI_ERR_IO, "network config on stdin is larger than %d bytes", CNI_STDIN_MAX);
	struct np_err je = { 0 };
	c->root = np_json_parse_strict(json, len, "network config", &je);
	if (!c->root)
		return cni_fail(ce, je.code == -EBADMSG ? CNI_ERR_DECODE : CNI_ERR_INVALID_CONFIG, "%s", je.msg);
	if (!cJSON_IsObject(c->root))
		return cni_fail(ce, CNI_ERR_DECODE, "error parsing network config: expected a JSON object");

	if (cni_json_str(c->root, "config", "cniVersion", true, &c->version, ce) < 0 ||
	    check_version(c, env->cmd, ce) < 0)
		return -1;
	if (cni_json_str(c->root, "config", "name", true, &c->name, ce) < 0)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "missing network name");
	struct np_err e = { 0 };
	if (np_valid_network_name(c->name, &e) < 0)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "config \"name\": %s", e.msg);
	if (cni_json_str(c->root, "config", "type", true, &c->type, ce) < 0)
		return -1;

	const cJSON *ipam = cJSON_GetObjectItemCaseSensitive(c->root, "ipam");
	if (ipam && !cJSON_IsNull(ipam)) {
		if (!cJSON_IsObject(ipam))
			return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "config: \"ipam\" must be an object");
		c->ipam = ipam;
		if (cni_json_str(ipam, "ipam", "type", false, &c->ipam_type, ce) < 0)
			return -1;
		if (c->ipam_type && !*c->ipam_type)
			c->ipam_type = NULL;
	}
	if (cni_json_object(c->root, "config", "dns", &c->dns, ce) < 0 ||
	    cni_json_object(c->root, "config", "prevResult", &c->prev_result, ce) < 0 ||
	    cni_json_object(c->root, "config", "runtimeConfig", &c->runtime, ce) < 0)
		return -1;
	if (cni_json_str(c->runtime, "runtimeConfig", "deviceID", false, &c->device_id, ce) < 0)
		return -1;

	struct cni_args_raw raw = { 0 };
	if (parse_cni_args(env->args, c, &raw, ce) < 0)
		return -1;
	const cJSON *args = cJSON_GetObjectItemCaseSensitive(c->root, "args");
	const cJSON *args_cni = cJSON_IsObject(args) ? cJSON_GetObjectItemCaseSensitive(args, "cni") : NULL;
	if (args_cni && !cJSON_IsObject(args_cni))
		args_cni = NULL; /* args is optional metadata: ignore what we do not understand */
	if (resolve_mac(c, &raw, args_cni, ce) < 0 || resolve_ips(c, &raw, args_cni, ce) < 0 ||
	    resolve_vm(c, args_cni, ce) < 0)
		return -1;
	const char *log_file;
	/* set only once checked: a refused logFile must not get the log line */
	if (cni_json_str(c->root, "config", "logFile", false, &log_file, ce) < 0)
		return -1;
	if (log_file && log_file[0] != '/')
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "config \"logFile\" must be an absolute path");
	c->log_file = log_file;
	if (cni_json_str(c->root, "config", "vifCacheDir", false, &c->vif_cache_dir, ce) < 0 ||
	    cni_conf_check_dir(c->vif_cache_dir, "config", "vifCacheDir", ce) < 0)
		return -1;
	return 0;
}

int cni_conf_check_dir(const char *dir, const char *ctx, const char *key,
		       struct cni_error *ce)
{
	char what[64];
	struct np_err e = { 0 };
	snprintf(what, sizeof(what), "%s \"%s\"", ctx, key);
	if (dir && np_path_plain_absolute(dir, what, &e) < 0)
		return cni_fail(ce, CNI_ERR_INVALID_CONFIG, "%s", e.msg);
	return 0;
}

void cni_conf_free(struct cni_conf *c)
{
	cJSON_Delete(c->root);
	c->root = NULL;
}
