/* Validation of names that come from outside (kubelet, Multus, operators,
 * cache files) before they are used as kernel object names or path parts. */
#ifndef MIGNET_NAMES_H
#define MIGNET_NAMES_H

#include "err.h"

#define NP_CONTAINER_ID_MAX 255
#define NP_NETWORK_NAME_MAX 253

/* Kernel interface name: 1..15 bytes, printable ASCII, no '/', ':', '%'
 * or whitespace, and not "." or "..": every name the kernel would refuse
 * or rewrite. what names the field for the message. */
int np_valid_ifname(const char *name, const char *what, struct np_err *e);

/* CNI_CONTAINERID and network names: start alphanumeric, then alnum,
 * '_', '.', '-' (CNI spec), bounded length; safe as a path component. */
int np_valid_container_id(const char *id, struct np_err *e);
int np_valid_network_name(const char *name, struct np_err *e);

/* Kubernetes object names, as apimachinery's IsDNS1123Label and
 * IsDNS1123Subdomain judge them. A label (namespaces): 1..63 bytes of
 * [a-z0-9-], starting and ending with a letter or digit. A subdomain (VM
 * names, most object names): 1..253 bytes, labels joined by single '.'s
 * (as in Kubernetes, a part is not limited to 63 bytes on its own). Both
 * are safe path components. what names the field for the message. */
#define NP_K8S_LABEL_MAX 63
#define NP_K8S_SUBDOMAIN_MAX 253
int np_valid_k8s_label(const char *s, const char *what, struct np_err *e);
int np_valid_k8s_subdomain(const char *s, const char *what, struct np_err *e);

/* A generic single path component: 1..max bytes of [A-Za-z0-9_.-], not
 * "." or "..". */
int np_valid_path_component(const char *s, size_t max, const char *what,
			    struct np_err *e);

/* An absolute path without "." or ".." components, as a configured
 * directory must be: it means the same from any working directory and
 * cannot climb out of where it claims to be. */
int np_path_plain_absolute(const char *path, const char *what, struct np_err *e);

/* A file name for an attachment owner: "<containerID>@<ifname>", or a
 * hash of it ("h-<16 hex>") when that would be too long for NAME_MAX. The
 * file itself must still name its owner in full. */
void np_owner_filename(const char *container_id, const char *ifname,
		       char *buf, size_t len);

#endif
