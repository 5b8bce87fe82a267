#include "err.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

static int vrecord(struct np_err *e, int rc, int with_errno, const char *fmt,
		   va_list ap)
{
	if (!e || e->code)
		return rc;
	e->code = rc ? rc : -1;
	int n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	if (with_errno && n >= 0 && (size_t)n < sizeof(e->msg))
		snprintf(e->msg + n, sizeof(e->msg) - (size_t)n, ": %s",
			 strerror(rc < 0 ? -rc : rc));
	return rc;
}

int np_errf(struct np_err *e, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vrecord(e, rc, 1, fmt, ap);
	va_end(ap);
	return rc;
}

int np_errmsg(struct np_err *e, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vrecord(e, rc, 0, fmt, ap);
	va_end(ap);
	return rc;
}

int np_err_prefix(struct np_err *e, int rc, const char *fmt, ...)
{
	if (!e)
		return rc;
	char pre[NP_ERR_MAX], old[NP_ERR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	snprintf(old, sizeof(old), "%s", e->msg);
	snprintf(e->msg, sizeof(e->msg), "%.200s%.300s", pre, old);
	if (!e->code)
		e->code = rc;
	return rc;
}

void np_err_clear(struct np_err *e)
{
	if (!e)
		return;
	e->code = 0;
	e->msg[0] = '\0';
}

const char *np_quote(const char *s, char *buf, size_t len)
{
	size_t o = 0;
	if (len < 5) {
		if (len)
			buf[0] = '\0';
		return buf;
	}
	if (!s)
		s = "";
	for (; *s && o + 5 < len; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
	}
	if (*s)
		strcpy(buf + (o < len - 4 ? o : len - 4), "...");
	else
		buf[o] = '\0';
	return buf;
}
