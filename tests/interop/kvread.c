/* mignet's side of tests/integration/test_go_interop.sh: reads each file
 * with vc_kubevirt_parse, the reader of vifcache verify and repair, and
 * prints what it took in the form kubevirt-go/main.go prints:
 *   FILE: ok mac=M ip=P gw=G ipam-disabled=B routes=DST>GW,...
 *   FILE: reject: MESSAGE
 * Exit 0 when every file was read (accepted or not), 1 on I/O errors. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubevirt.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t cap = 0, n;
	*len = 0;
	do {
		if (cap - *len < 4096) {
			char *nb = realloc(buf, cap += 65536);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
	} while (n > 0);
	bool err = ferror(f);
	fclose(f);
	if (err) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void print_one(const char *name, const struct vc_record *r, bool disabled)
{
	char mac[32] = "-", ip[NP_PREFIX_STRLEN] = "-", gw[NP_PREFIX_STRLEN] = "-";
	if (r->has_mac)
		np_mac_str(r->mac, mac, sizeof(mac));
	if (r->n_ips)
		np_prefix_str(&r->ips[0], ip, sizeof(ip));
	if (r->n_gws)
		np_ip_str(&r->gws[0], gw, sizeof(gw));
	printf("%s: ok mac=%s ip=%s gw=%s ipam-disabled=%s routes=", name, mac, ip, gw,
	       disabled ? "true" : "false");
	if (!r->n_routes)
		putchar('-');
	for (int i = 0; i < r->n_routes; i++) {
		char dst[NP_PREFIX_STRLEN] = "default", via[NP_PREFIX_STRLEN] = "-";
		if (r->routes[i].dst.len)
			np_prefix_str(&r->routes[i].dst, dst, sizeof(dst));
		if (r->routes[i].has_gw)
			np_ip_str(&r->routes[i].gw, via, sizeof(via));
		printf("%s%s>%s", i ? "," : "", dst, via);
	}
	putchar('\n');
}

int main(int argc, char **argv)
{
	int status = 0;
	for (int i = 1; i < argc; i++) {
		const char *name = argv[i];
		size_t len;
		char *txt = slurp(argv[i], &len);
		if (!txt) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno ? errno : EIO));
			status = 1;
			continue;
		}
		struct vc_record r = { .schema = VC_SCHEMA };
		struct np_err e = { 0 };
		bool disabled = false;
		if (vc_kubevirt_parse(txt, len, &r, &disabled, &e) < 0)
			printf("%s: reject: %s\n", name, e.msg);
		else
			print_one(name, &r, disabled);
		free(txt);
	}
	return status;
}
