/* Parsing JSON that comes from outside (CNI configs, NADs, node.json,
 * inventories, export documents, cache files) so that mignet and the Go
 * programs around it cannot read one document two ways. */
#ifndef MIGNET_JSON_STRICT_H
#define MIGNET_JSON_STRICT_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "err.h"

/* Parses text[0..len) with cJSON and refuses what cJSON would accept but
 * read differently from Go's encoding/json: a duplicate key in any object
 * (Go keeps the last one, cJSON the first), data after the value, and
 * "\u0000" inside a string (cJSON cuts the string there). what names the
 * document in messages ("config", "node.json"). Returns the tree, or NULL
 * with e->code -EBADMSG for malformed JSON and -EINVAL for the others. */
cJSON *np_json_parse_strict(const char *text, size_t len, const char *what,
			    struct np_err *e);

/* The same checks on a tree cJSON already parsed: the first duplicate key
 * at any depth, named with its path ("ipam.routes[2].dst"). */
int np_json_check_duplicates(const cJSON *root, const char *what, struct np_err *e);

#endif
