/* libcurl, loaded only when a store talks to etcd: linked in, its 30-odd
 * libraries (TLS, Kerberos, LDAP...) cost every plugin run ~4 ms of
 * dynamic loading, also in the default local mode that never uses it. */
#ifndef MIGNET_CURL_DL_H
#define MIGNET_CURL_DL_H

#include <curl/curl.h>

#include "err.h"

struct np_curl {
	void *lib;
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *h);
	CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *h);
	const char *(*easy_strerror)(CURLcode code);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
};

/* dlopen()s libcurl.so.4 and resolves what the etcd backend calls; the
 * message says to install libcurl4 when it is missing. */
int np_curl_load(struct np_curl *c, struct np_err *e);
void np_curl_unload(struct np_curl *c);

#endif
