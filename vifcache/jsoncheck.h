/* A JSON syntax check that allocates nothing, for scanning thousands of
 * small files. It is stricter than cJSON (RFC 8259 numbers, at most 64
 * levels) and accepts nothing cJSON rejects (a fuzz target checks that),
 * so a file it refuses simply takes the slow path. It can hand back one
 * top-level string member. */
#ifndef MIGNET_VC_JSONCHECK_H
#define MIGNET_VC_JSONCHECK_H

#include <stdbool.h>
#include <stddef.h>

/* true when text[0..len) is one JSON value (whitespace around allowed).
 * With key, val and val_len receive the raw (still escaped) contents of the
 * top-level object's string member named key; val is NULL if there is none. */
bool vc_json_valid(const char *text, size_t len, const char *key, const char **val,
		   size_t *val_len);

#endif
