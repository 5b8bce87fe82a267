#include "curl_dl.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>

int np_curl_load(struct np_curl *c, struct np_err *e)
{
	memset(c, 0, sizeof(*c));
	c->lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!c->lib)
		return np_errmsg(e, -ENOENT, "etcd store: cannot load libcurl.so.4 (install libcurl4): %s", dlerror());
	static const struct { const char *name; size_t off; } syms[] = {
		{ "curl_global_init", offsetof(struct np_curl, global_init) },
		{ "curl_global_cleanup", offsetof(struct np_curl, global_cleanup) },
		{ "curl_easy_init", offsetof(struct np_curl, easy_init) },
		{ "curl_easy_setopt", offsetof(struct np_curl, easy_setopt) },
		{ "curl_easy_perform", offsetof(struct np_curl, easy_perform) },
		{ "curl_easy_getinfo", offsetof(struct np_curl, easy_getinfo) },
		{ "curl_easy_cleanup", offsetof(struct np_curl, easy_cleanup) },
		{ "curl_easy_strerror", offsetof(struct np_curl, easy_strerror) },
		{ "curl_slist_append", offsetof(struct np_curl, slist_append) },
		{ "curl_slist_free_all", offsetof(struct np_curl, slist_free_all) },
	};
	for (size_t i = 0; i < sizeof(syms) / sizeof(*syms); i++) {
		void *f = dlsym(c->lib, syms[i].name);
		if (!f) {
			np_curl_unload(c);
			return np_errmsg(e, -ENOENT, "etcd store: libcurl.so.4 has no %s", syms[i].name);
		}
		memcpy((char *)c + syms[i].off, &f, sizeof(f));
	}
	return 0;
}

void np_curl_unload(struct np_curl *c)
{
	if (c->lib)
		dlclose(c->lib);
	memset(c, 0, sizeof(*c));
}
