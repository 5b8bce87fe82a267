/* What a plugin reads from kubelet or Multus: CNI_ARGS (the input's first
 * line) and the network config (the rest), and the results it takes from
 * prevResult or a delegated IPAM plugin. Never crash; every refusal has a
 * spec code and one bounded line; an accepted result prints in 1.1.0 and
 * parses back to the same addresses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "result.h"

static void check_refusal(const struct cni_error *ce)
{
	size_t n = strnlen(ce->msg, sizeof(ce->msg));
	if (ce->code < 1 || ce->code > 999 || n == 0 || n >= sizeof(ce->msg) || memchr(ce->msg, '\n', n))
		abort();
}

static void check_result(const cJSON *j)
{
	struct cni_result r, back;
	struct cni_error ce = { 0 };
	cni_result_init(&r);
	cni_result_init(&back);
	if (cni_result_parse(j, &r, &ce) < 0) {
		check_refusal(&ce);
	} else {
		cJSON *out = cni_result_json(&r, "1.1.0");
		if (!out || cni_result_parse(out, &back, &ce) < 0 || back.n_ips != r.n_ips)
			abort();
		for (int i = 0; i < r.n_ips; i++)
			if (!np_ip_equal(&back.ips[i].address.ip, &r.ips[i].address.ip) ||
			    back.ips[i].address.len != r.ips[i].address.len)
				abort();
		cJSON_Delete(out);
	}
	cni_result_free(&r);
	cni_result_free(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t args_len = nl ? (size_t)(nl - data) : 0;
	char *args = strndup((const char *)data, args_len);
	if (!args)
		return 0;
	const char *json = nl ? (const char *)nl + 1 : (const char *)data;
	size_t json_len = size - (size_t)(json - (const char *)data);
	static const enum cni_cmd cmds[] = { CNI_ADD, CNI_DEL, CNI_CHECK };
	for (size_t i = 0; i < sizeof(cmds) / sizeof(*cmds); i++) {
		struct cni_env env = { .cmd = cmds[i], .command = "ADD", .container_id = "c0ffee",
				       .netns = "/run/netns/x", .ifname = "net1", .args = args };
		struct cni_conf c;
		struct cni_error ce = { 0 };
		if (cni_conf_parse(json, json_len, &env, &c, &ce) < 0)
			check_refusal(&ce);
		else if (c.prev_result)
			check_result(c.prev_result);
		cni_conf_free(&c);
	}
	cJSON *j = cJSON_ParseWithLength(json, json_len);
	if (j)
		check_result(j);
	cJSON_Delete(j);
	free(args);
	return 0;
}
