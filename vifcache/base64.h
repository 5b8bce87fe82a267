/* Standard base64 (RFC 4648, with padding), as Go encodes []byte. */
#ifndef MIGNET_VC_BASE64_H
#define MIGNET_VC_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* out needs 4 * ((len + 2) / 3) + 1 bytes. */
void vc_base64_encode(const uint8_t *in, size_t len, char *out);
/* Returns the decoded length, or -1 for invalid input or when it would
 * exceed max. */
int vc_base64_decode(const char *in, uint8_t *out, size_t max);

#endif
