#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "netprep_cli.h"
#include "names.h"

static void help(FILE *f)
{
	fprintf(f,
		"usage: netprep address [--iface NAME | --network NAME [--cni-cache-dir DIR]]\n"
		"                       [--family 4|6|auto] [--peer IP] [--netns PATH] [--strict] [--json]\n\n"
		"Prints the address a live-migration stream to this node should target:\n"
		"the first global-unicast address of the migration interface (default\n"
		"migration0). IPv6 is printed in brackets, ready for tcp://ADDR:PORT.\n"
		"If the interface is missing or has no address, the default-route\n"
		"interface's address is printed instead, with a warning on stderr.\n\n"
		"  --iface NAME     migration interface (default migration0)\n"
		"  --network NAME   the interface the runtime attached for this network\n"
		"                   (from libcni's result cache, default /var/lib/cni/results)\n"
		"  --family F       4, 6 or auto (default auto: the first one found)\n"
		"  --peer IP        pick the family of this peer address\n"
		"  --netns PATH     look inside this network namespace\n"
		"  --strict         fail instead of falling back to the default route\n"
		"  --json           print {\"address\",\"uri\",\"interface\",\"fallback\",\"warning\"}\n\n"
		"exit: 0 address printed, 1 no usable address, 2 usage error\n");
}

static int parse_family(const char *s, int *out)
{
	if (!strcmp(s, "4"))
		*out = AF_INET;
	else if (!strcmp(s, "6"))
		*out = AF_INET6;
	else if (!strcmp(s, "auto"))
		*out = AF_UNSPEC;
	else
		return -1;
	return 0;
}

int cmd_address(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "iface", required_argument, NULL, 'i' },
		{ "network", required_argument, NULL, 'N' },
		{ "cni-cache-dir", required_argument, NULL, 'C' },
		{ "family", required_argument, NULL, 'f' },
		{ "peer", required_argument, NULL, 'p' },
		{ "netns", required_argument, NULL, 'n' },
		{ "strict", no_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct np_pick_request req = { .iface = "migration0", .family = AF_UNSPEC };
	const char *netns = NULL, *peer = NULL, *network = NULL, *cache_dir = NULL;
	char net_iface[IFNAMSIZ];
	int json = 0, c;
	struct np_err e = { 0 };
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i': req.iface = optarg; break;
		case 'N': network = optarg; break;
		case 'C': cache_dir = optarg; break;
		case 'f':
			if (parse_family(optarg, &req.family) < 0) {
				fprintf(stderr, "netprep address: --family \"%s\": use 4, 6 or auto\n", optarg);
				return NP_EXIT_USAGE;
			}
			break;
		case 'p': peer = optarg; break;
		case 'n': netns = optarg; break;
		case 's': req.strict = true; break;
		case 'j': json = 1; break;
		case 'h': help(stdout); return NP_EXIT_OK;
		default: help(stderr); return NP_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "netprep address: unexpected argument \"%s\"\n", argv[optind]);
		return NP_EXIT_USAGE;
	}
	if (network) {
		if (np_iface_for_network(cache_dir, network, netns, net_iface, &e) < 0) {
			fprintf(stderr, "netprep address: %s\n", e.msg);
			if (req.strict)
				return NP_EXIT_FAIL;
			np_err_clear(&e);
			/* no attachment known: the default-route fallback below applies */
			snprintf(net_iface, sizeof(net_iface), "%s", "migration0");
		}
		req.iface = net_iface;
	}
	if (np_valid_ifname(req.iface, "--iface", &e) < 0) {
		fprintf(stderr, "netprep address: %s\n", e.msg);
		return NP_EXIT_USAGE;
	}
	if (peer) {
		struct np_ip pip;
		if (np_ip_parse(peer, &pip, &e) < 0) {
			fprintf(stderr, "netprep address: --peer: %s\n", e.msg);
			return NP_EXIT_USAGE;
		}
		if (req.family && req.family != pip.family) {
			fprintf(stderr, "netprep address: --peer %s contradicts --family\n", peer);
			return NP_EXIT_USAGE;
		}
		req.family = pip.family;
	}

	struct np_nl *nl = np_nl_alloc();
	if (!nl) {
		fprintf(stderr, "netprep address: out of memory\n");
		return NP_EXIT_FAIL;
	}
	struct np_pick_result r;
	int rc = np_nl_open(nl, netns, &e);
	if (rc == 0) {
		rc = np_pick_address(nl, &req, &r, &e);
		np_nl_close(nl);
	}
	free(nl);
	if (rc < 0) {
		fprintf(stderr, "netprep address: %s\n", e.msg);
		return NP_EXIT_FAIL;
	}
	char uri[NP_PREFIX_STRLEN + 2], plain[NP_PREFIX_STRLEN];
	np_ip_uri_str(&r.ip, uri, sizeof(uri));
	if (r.fallback)
		fprintf(stderr, "netprep address: warning: %s; falling back to %s on \"%s\" (default route)\n",
			r.why, uri, r.iface);
	if (!json) {
		printf("%s\n", uri);
		return NP_EXIT_OK;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "address", np_ip_str(&r.ip, plain, sizeof(plain)));
	cJSON_AddStringToObject(o, "uri", uri);
	cJSON_AddStringToObject(o, "interface", r.iface);
	cJSON_AddBoolToObject(o, "fallback", r.fallback);
	if (r.fallback)
		cJSON_AddStringToObject(o, "warning", r.why);
	char *s = cJSON_PrintUnformatted(o);
	printf("%s\n", s ? s : "{}");
	cJSON_free(s);
	cJSON_Delete(o);
	return NP_EXIT_OK;
}
