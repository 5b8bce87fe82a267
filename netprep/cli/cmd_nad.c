#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "netprep_cli.h"
#include "nad.h"

static int print_cb(cJSON *config, void *arg)
{
	(void)arg;
	char *s = cJSON_PrintUnformatted(config);
	printf("%s\n", s ? s : "");
	cJSON_free(s);
	return 0;
}

int cmd_nad(int argc, char **argv)
{
	if (argc != 2 || !strcmp(argv[1], "--help")) {
		fprintf(argc == 2 ? stdout : stderr,
			"usage: netprep nad FILE\n\n"
			"Prints, one per line, the CNI config carried by each NetworkAttachmentDefinition\n"
			"in FILE (YAML or JSON, several documents allowed), e.g. to pipe into\n"
			"mignet-cni --check-config.\n\nexit: 0 printed, 1 none found or unreadable, 2 usage\n");
		return argc == 2 ? NP_EXIT_OK : NP_EXIT_USAGE;
	}
	struct np_err e = { 0 };
	char *txt = NULL;
	size_t len;
	if (np_file_read(AT_FDCWD, argv[1], NAD_MAX, &txt, &len, &e) < 0) {
		fprintf(stderr, "netprep nad: %s\n", e.msg);
		return NP_EXIT_FAIL;
	}
	int n = nad_each(txt, len, print_cb, NULL, &e);
	free(txt);
	if (n <= 0) {
		fprintf(stderr, "netprep nad: %s: %s\n", argv[1], n < 0 ? e.msg : "no NetworkAttachmentDefinition");
		return NP_EXIT_FAIL;
	}
	return NP_EXIT_OK;
}
