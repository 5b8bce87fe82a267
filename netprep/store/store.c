#include "store.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int np_store_open(const struct np_store_cfg *cfg, struct np_store **out, struct np_err *e)
{
	*out = NULL;
	if (!cfg->kind || !strcmp(cfg->kind, "local"))
		return np_store_open_local(cfg, out, e);
	if (!strcmp(cfg->kind, "etcd"))
		return np_store_open_etcd(cfg, out, e);
	char q[NP_QUOTE_MAX];
	return np_errmsg(e, -EINVAL, "store kind \"%s\" is unknown (etcd or local)", np_quote(cfg->kind, q, sizeof(q)));
}

int np_store_valid_component(const char *s, const char *what, struct np_err *e)
{
	char q[NP_QUOTE_MAX];
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 253 || !strcmp(s, ".") || !strcmp(s, ".."))
		return np_errmsg(e, -EINVAL, "%s \"%s\" cannot be part of a store key (1-253 bytes, not . or ..)",
				 what, np_quote(s ? s : "", q, sizeof(q)));
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '/')
			return np_errmsg(e, -EINVAL, "%s \"%s\" cannot be part of a store key (printable ASCII without '/' or spaces)",
					 what, np_quote(s, q, sizeof(q)));
	return 0;
}

int np_store_key(char *buf, size_t len, struct np_err *e, ...)
{
	va_list ap;
	size_t n = (size_t)snprintf(buf, len, "%s", NP_STORE_ROOT);
	const char *c;
	bool first = true;
	int rc = 0;
	va_start(ap, e);
	while ((c = va_arg(ap, const char *))) {
		if (*c && (rc = np_store_valid_component(c, "key part", e)) < 0)
			break;
		n += (size_t)snprintf(buf + (n < len ? n : len), n < len ? len - n : 0, "%s%s", first ? "" : "/", c);
		first = false;
	}
	va_end(ap);
	if (!rc && n >= len)
		rc = np_errmsg(e, -ENAMETOOLONG, "store key longer than %zu bytes", len - 1);
	return rc;
}
