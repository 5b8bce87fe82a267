#include <cjson/cJSON.h>
#include <getopt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "netprep_cli.h"
#include "link.h"

#define LINKS_SHOWN_MAX 1024

static void help(FILE *f)
{
	fprintf(f,
		"usage: netprep links [--netns PATH] [--json]\n\n"
		"Lists the links of a network namespace with kind, MAC, MTU, state,\n"
		"master, peer/parent index and addresses, as mignet's netlink core\n"
		"reads them.\n\n"
		"exit: 0 listed, 1 the namespace could not be read, 2 usage error\n");
}

struct table {
	struct np_link_info links[LINKS_SHOWN_MAX];
	size_t n;
	cJSON *addrs[LINKS_SHOWN_MAX];
};

static int collect_link(const struct np_link_info *l, void *arg)
{
	struct table *t = arg;
	if (t->n == LINKS_SHOWN_MAX)
		return -E2BIG;
	t->links[t->n] = *l;
	t->addrs[t->n] = cJSON_CreateArray();
	t->n++;
	return 0;
}

static int collect_addr(const struct np_addr_info *a, void *arg)
{
	struct table *t = arg;
	char s[NP_PREFIX_STRLEN];
	for (size_t i = 0; i < t->n; i++)
		if (t->links[i].ifindex == a->ifindex)
			cJSON_AddItemToArray(t->addrs[i],
					     cJSON_CreateString(np_prefix_str(&a->prefix, s, sizeof(s))));
	return 0;
}

static const char *operstate_name(uint8_t s)
{
	static const char *const names[] = { "UNKNOWN", "NOTPRESENT", "DOWN",
		"LOWERLAYERDOWN", "TESTING", "DORMANT", "UP" };
	return s < sizeof(names) / sizeof(*names) ? names[s] : "?";
}

static cJSON *link_json(const struct np_link_info *l, cJSON *addrs)
{
	char mac[NP_MAC_STRLEN] = "";
	if (l->mac_len == NP_MAC_LEN)
		np_mac_str(l->mac, mac, sizeof(mac));
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "ifindex", l->ifindex);
	cJSON_AddStringToObject(o, "name", l->name);
	cJSON_AddStringToObject(o, "kind", l->kind);
	cJSON_AddStringToObject(o, "mac", mac);
	cJSON_AddNumberToObject(o, "mtu", l->mtu);
	cJSON_AddBoolToObject(o, "up", (l->flags & IFF_UP) != 0);
	cJSON_AddStringToObject(o, "operstate", operstate_name(l->operstate));
	cJSON_AddNumberToObject(o, "master", l->master);
	cJSON_AddNumberToObject(o, "link", l->link);
	if (l->macvlan_mode >= 0)
		cJSON_AddStringToObject(o, "macvlan_mode", np_macvlan_mode_name(l->macvlan_mode));
	cJSON_AddItemToObject(o, "addresses", addrs);
	return o;
}

int cmd_links(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "netns", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *netns = NULL;
	int json = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': netns = optarg; break;
		case 'j': json = 1; break;
		case 'h': help(stdout); return NP_EXIT_OK;
		default: help(stderr); return NP_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "netprep links: unexpected argument \"%s\"\n", argv[optind]);
		return NP_EXIT_USAGE;
	}
	struct np_err e = { 0 };
	struct np_nl *nl = np_nl_alloc();
	struct table *t = calloc(1, sizeof(*t));
	int rc = (!nl || !t) ? np_errmsg(&e, -ENOMEM, "out of memory") : np_nl_open(nl, netns, &e);
	if (rc == 0) {
		rc = np_link_list(nl, collect_link, t, &e);
		if (rc == 0)
			rc = np_addr_list(nl, NULL, AF_UNSPEC, collect_addr, t, &e);
		np_nl_close(nl);
	}
	free(nl);
	if (rc < 0) {
		fprintf(stderr, "netprep links: %s\n", e.msg);
		for (size_t i = 0; t && i < t->n; i++)
			cJSON_Delete(t->addrs[i]);
		free(t);
		return NP_EXIT_FAIL;
	}
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < t->n; i++)
		cJSON_AddItemToArray(arr, link_json(&t->links[i], t->addrs[i]));
	if (json) {
		char *s = cJSON_PrintUnformatted(arr);
		printf("%s\n", s ? s : "[]");
		cJSON_free(s);
	} else {
		printf("%-4s %-15s %-8s %-17s %-6s %-8s %s\n", "IDX", "NAME", "KIND", "MAC", "MTU", "STATE", "ADDRESSES");
		for (size_t i = 0; i < t->n; i++) {
			const struct np_link_info *l = &t->links[i];
			char mac[NP_MAC_STRLEN] = "-";
			if (l->mac_len == NP_MAC_LEN)
				np_mac_str(l->mac, mac, sizeof(mac));
			printf("%-4d %-15s %-8s %-17s %-6u %-8s", l->ifindex, l->name,
			       l->kind[0] ? l->kind : "-", mac, l->mtu, operstate_name(l->operstate));
			cJSON *a;
			cJSON_ArrayForEach(a, t->addrs[i])
				printf(" %s", a->valuestring);
			printf("\n");
		}
	}
	cJSON_Delete(arr);
	free(t);
	return NP_EXIT_OK;
}
