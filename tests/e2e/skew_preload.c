/* LD_PRELOAD shim for the simulated version-skew test: a libvirt
 * connection whose URI contains $MIGNET_SKEW_URI reports $MIGNET_SKEW_QEMU
 * (libvirt's encoding, e.g. 6002000 for 6.2.0) as its QEMU version. The
 * lab has one QEMU, so an older target can only be pretended; everything
 * else netprep does is real. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <libvirt/libvirt.h>
#include <stdlib.h>
#include <string.h>

int virConnectGetVersion(virConnectPtr conn, unsigned long *hv_ver)
{
	int (*real)(virConnectPtr, unsigned long *) =
		(int (*)(virConnectPtr, unsigned long *))dlsym(RTLD_NEXT, "virConnectGetVersion");
	int rc = real(conn, hv_ver);
	const char *match = getenv("MIGNET_SKEW_URI"), *ver = getenv("MIGNET_SKEW_QEMU");
	char *uri = rc == 0 && match && ver ? virConnectGetURI(conn) : NULL;
	if (uri && strstr(uri, match))
		*hv_ver = strtoul(ver, NULL, 10);
	free(uri);
	return rc;
}
