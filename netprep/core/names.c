#include "names.h"

#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

static int is_safe_char(char c)
{
	return is_alnum(c) || c == '_' || c == '.' || c == '-';
}

int np_valid_ifname(const char *name, const char *what, struct np_err *e)
{
	char shown[64];
	if (!name || !*name)
		return np_errmsg(e, -EINVAL, "%s is empty: an interface name is required", what);
	size_t n = strnlen(name, IFNAMSIZ);
	if (n >= IFNAMSIZ)
		return np_errmsg(e, -EINVAL, "%s \"%s\" is too long: interface names have at most %d characters",
				 what, np_quote(name, shown, sizeof(shown)), IFNAMSIZ - 1);
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return np_errmsg(e, -EINVAL, "%s \"%s\" is not a valid interface name", what, name);
	for (const char *p = name; *p; p++) {
		unsigned char c = (unsigned char)*p;
		/* '%' makes the kernel treat the name as a template ("eth%d"
		 * becomes eth0), so the link would not be the one asked for. */
		if (c <= 0x20 || c >= 0x7f || c == '/' || c == ':' || c == '%')
			return np_errmsg(e, -EINVAL,
					 "%s \"%s\" contains a forbidden character (whitespace, control, '/', ':', '%%' or non-ASCII)",
					 what, np_quote(name, shown, sizeof(shown)));
	}
	return 0;
}

static int valid_cni_identifier(const char *s, size_t max, const char *what,
				struct np_err *e)
{
	char shown[64];
	if (!s || !*s)
		return np_errmsg(e, -EINVAL, "%s is empty", what);
	size_t n = strnlen(s, max + 1);
	if (n > max)
		return np_errmsg(e, -EINVAL, "%s \"%s\" is too long: at most %zu characters",
				 what, np_quote(s, shown, sizeof(shown)), max);
	if (!is_alnum(s[0]))
		return np_errmsg(e, -EINVAL, "%s \"%s\" must start with a letter or digit",
				 what, np_quote(s, shown, sizeof(shown)));
	for (const char *p = s; *p; p++)
		if (!is_safe_char(*p))
			return np_errmsg(e, -EINVAL,
					 "%s \"%s\" may contain only letters, digits, '_', '.' and '-'",
					 what, np_quote(s, shown, sizeof(shown)));
	return 0;
}

int np_valid_container_id(const char *id, struct np_err *e)
{
	return valid_cni_identifier(id, NP_CONTAINER_ID_MAX, "container ID", e);
}

int np_valid_network_name(const char *name, struct np_err *e)
{
	return valid_cni_identifier(name, NP_NETWORK_NAME_MAX, "network name", e);
}

int np_valid_path_component(const char *s, size_t max, const char *what,
			    struct np_err *e)
{
	char shown[64];
	if (!s || !*s)
		return np_errmsg(e, -EINVAL, "%s is empty", what);
	if (strnlen(s, max + 1) > max)
		return np_errmsg(e, -EINVAL, "%s \"%s\" is too long: at most %zu characters",
				 what, np_quote(s, shown, sizeof(shown)), max);
	if (!strcmp(s, ".") || !strcmp(s, ".."))
		return np_errmsg(e, -EINVAL, "%s \"%s\" is not allowed", what, s);
	for (const char *p = s; *p; p++)
		if (!is_safe_char(*p))
			return np_errmsg(e, -EINVAL,
					 "%s \"%s\" may contain only letters, digits, '_', '.' and '-'",
					 what, np_quote(s, shown, sizeof(shown)));
	return 0;
}

static int is_k8s_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* The characters first, so "../x" is told about '/' rather than its
 * empty parts. Returns NULL or the reason. */
static const char *k8s_chars_problem(const char *s, bool dots)
{
	for (const char *p = s; *p; p++) {
		if (is_k8s_char(*p) || (dots && *p == '.'))
			continue;
		if (*p >= 'A' && *p <= 'Z')
			return "uppercase letters are not allowed";
		if (*p == '.')
			return "'.' is not allowed";
		return dots ? "only lowercase letters, digits, '-' and '.' are allowed" :
			      "only lowercase letters, digits and '-' are allowed";
	}
	return NULL;
}

/* One part of a DNS-1123 name, n bytes at s, its characters already
 * checked: [a-z0-9]([-a-z0-9]*[a-z0-9])?. Returns NULL or the reason. */
static const char *k8s_part_problem(const char *s, size_t n, bool dots)
{
	if (n == 0)
		return "it has an empty part (a leading, trailing or doubled '.')";
	if (s[0] == '-' || s[n - 1] == '-')
		return dots ? "each part between dots must start and end with a lowercase letter or digit" :
			      "it must start and end with a lowercase letter or digit";
	return NULL;
}

static int k8s_name(const char *s, const char *what, size_t max, bool dots,
		    const char *kind, struct np_err *e)
{
	char shown[NP_QUOTE_MAX];
	if (!s || !*s)
		return np_errmsg(e, -EINVAL, "%s is empty: a Kubernetes name is required", what);
	size_t n = strnlen(s, max + 1);
	if (n > max)
		return np_errmsg(e, -EINVAL, "%s \"%s\" is not a valid Kubernetes name (%s): longer than %zu characters",
				 what, np_quote(s, shown, sizeof(shown)), kind, max);
	const char *why = k8s_chars_problem(s, dots);
	for (const char *p = s; !why;) {
		const char *end = strchr(p, '.');
		why = k8s_part_problem(p, end ? (size_t)(end - p) : strlen(p), dots);
		if (!end)
			break;
		p = end + 1;
	}
	if (why)
		return np_errmsg(e, -EINVAL, "%s \"%s\" is not a valid Kubernetes name (%s): %s",
				 what, np_quote(s, shown, sizeof(shown)), kind, why);
	return 0;
}

int np_valid_k8s_label(const char *s, const char *what, struct np_err *e)
{
	return k8s_name(s, what, NP_K8S_LABEL_MAX, false, "DNS-1123 label", e);
}

int np_valid_k8s_subdomain(const char *s, const char *what, struct np_err *e)
{
	return k8s_name(s, what, NP_K8S_SUBDOMAIN_MAX, true, "DNS-1123 subdomain", e);
}

int np_path_plain_absolute(const char *path, const char *what, struct np_err *e)
{
	char shown[NP_QUOTE_MAX];
	if (!path || path[0] != '/')
		return np_errmsg(e, -EINVAL, "%s \"%s\" must be an absolute path", what,
				 np_quote(path ? path : "", shown, sizeof(shown)));
	for (const char *p = path; *p; p++) {
		if (p[0] != '.' || p[-1] != '/')
			continue;
		size_t n = p[1] == '.' ? 2 : 1;
		if (p[n] == '/' || !p[n])
			return np_errmsg(e, -EINVAL, "%s \"%s\" must not contain \".\" or \"..\" components",
					 what, np_quote(path, shown, sizeof(shown)));
	}
	return 0;
}

#define OWNER_NAME_MAX 200

void np_owner_filename(const char *container_id, const char *ifname,
		       char *buf, size_t len)
{
	if (strlen(container_id) + 1 + strlen(ifname) <= OWNER_NAME_MAX) {
		snprintf(buf, len, "%s@%s", container_id, ifname);
		return;
	}
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
	for (const char *p = container_id; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	h = (h ^ '@') * 0x100000001b3ULL;
	for (const char *p = ifname; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	snprintf(buf, len, "h-%016llx", (unsigned long long)h);
}
