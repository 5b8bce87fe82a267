/* Error reporting shared by every mignet library: functions return 0 or a
 * negative errno and, on failure, leave a sentence in a caller-owned buffer
 * that names the object, the step that failed and, where useful, what to do. */
#ifndef MIGNET_ERR_H
#define MIGNET_ERR_H

#include <stddef.h>

#define NP_ERR_MAX 512

struct np_err {
	int code; /* negative errno of the first failure */
	char msg[NP_ERR_MAX];
};

/* Records "<message>: <strerror(-rc)>" and returns rc. A second failure
 * (for example during rollback) never overwrites the first one. */
int np_errf(struct np_err *e, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like np_errf but without the strerror suffix, for validation errors
 * whose message already says everything. */
int np_errmsg(struct np_err *e, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void np_err_clear(struct np_err *e);

/* Puts context in front of an error already recorded by a callee ("record:
 * " + its message) and returns rc. Safe when e is NULL. */
int np_err_prefix(struct np_err *e, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Renders an untrusted value for a message: control bytes, quotes and
 * non-ASCII are escaped as \xNN and long values are cut with "...", so a
 * message stays one bounded line whatever the input held. Returns buf. */
const char *np_quote(const char *s, char *buf, size_t len);
#define NP_QUOTE_MAX 72

#endif
