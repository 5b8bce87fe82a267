/* mignet-cni: one binary installed as mignet-macvlan, mignet-bridge,
 * mignet-sriov and mignet-ipam. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "skel.h"

#define STDIN_MAX (1 << 20)

static char *read_stdin(size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (n + 1 >= cap) {
			if (cap >= STDIN_MAX) {
				free(buf);
				return NULL;
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(STDIN_FILENO, buf + n, cap - n - 1);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	if (buf)
		buf[n] = '\0';
	*len = n;
	return buf;
}

static int cmd_version(void)
{
	size_t len = 0;
	char *in = isatty(STDIN_FILENO) ? NULL : read_stdin(&len);
	cJSON *conf = in && len ? cJSON_Parse(in) : NULL;
	free(in);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(conf, "cniVersion");
	/* The spec echoes the request's version; Go's skel does not, which is
	 * one of the differences listed in the README. */
	const char *echo = cJSON_IsString(v) && cni_version_index(v->valuestring) >= 0 ?
				   v->valuestring : "1.1.0";
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "cniVersion", echo);
	cJSON *arr = cJSON_AddArrayToObject(o, "supportedVersions");
	for (size_t i = 0; i < cni_n_supported_versions; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(cni_supported_versions[i]));
	char *s = cJSON_PrintUnformatted(o);
	printf("%s\n", s ? s : "");
	cJSON_free(s);
	cJSON_Delete(o);
	cJSON_Delete(conf);
	return 0;
}

int main(void)
{
	const char *command = getenv("CNI_COMMAND");
	if (!command || !*command) {
		fprintf(stderr, "mignet CNI plugin (macvlan, bridge, sriov, ipam)\n"
				"CNI protocol versions supported: 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0\n");
		return 0;
	}
	if (!strcmp(command, "VERSION"))
		return cmd_version();
	char msg[160];
	snprintf(msg, sizeof(msg), "CNI_COMMAND \"%.32s\" is not handled by this build", command);
	cni_print_error(NULL, CNI_ERR_INVALID_ENV, msg,
			"this build answers VERSION only; ADD/DEL/CHECK/STATUS/GC arrive with the attachment kinds");
	return 1;
}
