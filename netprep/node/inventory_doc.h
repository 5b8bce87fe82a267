/* A `netprep inventory --json` document read back, usually from another
 * node: it is outside input, so it is parsed and checked against the
 * schema np_inventory writes before `netprep compare` trusts any of it.
 *
 * Refused: anything np_json_parse_strict refuses (trailing data, a key
 * twice in one object, "\u0000"), a NUL byte, anything but one object,
 * another mignetInventory version, a key the version does not define (at
 * any level: a producer that adds keys must raise the version), a wrong
 * type, a number out of range or not whole, a list longer than
 * INV_DOC_LIST_MAX, two entries of a list with the same name, and a name
 * the kernel or a file system would refuse. Every refusal is one line that
 * names the document, the field as a JSON path (links[3].mtu), the value
 * quoted with np_quote, and the reason. */
#ifndef NETPREP_INVENTORY_DOC_H
#define NETPREP_INVENTORY_DOC_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "err.h"

/* The version np_inventory writes as "mignetInventory", the only one read. */
#define INV_DOC_VERSION 1
#define INV_DOC_MAX (4 << 20)
#define INV_DOC_LIST_MAX 1024
#define INV_DOC_PORTS_MAX 64

/* What an accepted document holds (optional keys marked "?"):
 *   mignetInventory  INV_DOC_VERSION
 *   node             "" or [A-Za-z0-9_.-]{1,253}
 *   links[]          {name: ifname, kind: "" or [A-Za-z0-9_.-]{1,23},
 *                     mtu: 0..INT_MAX (lo has 65536, CAN links 16), up: bool,
 *                     master?: ifname}
 *   bridges[]        {name: ifname, mtu: 68..65535, up: bool, ports[]: ifname}
 *   vlans[]          {name: ifname, id: 0..4094, parent: ifname or ""}
 *   macvlanMasters[] ifname
 *   migration        {interface: ifname, present: bool; with present true
 *                     also mtu: 68..65535, up: bool, addresses[]: ADDR/LEN}
 *   cni              {confDir, binDir: paths without control bytes,
 *                     configs[]: file names, mignetPlugins[]: "mignet-..."
 *                     of [A-Za-z0-9_.-]}
 *   virtualization   {libvirt?, qemu?: versions of [A-Za-z0-9_.+~-]{1,63}}
 *   unprivilegedUserfaultfd? 0..1
 *   migrationPortsFree {"<port 1..65535>": bool, ...}
 * Names in links, bridges, vlans, macvlanMasters and cni lists are unique.
 * So no string of an accepted document holds a control byte. */

/* Parses text[0..len) and returns the document, which the caller deletes
 * with cJSON_Delete; NULL with e set otherwise (-EINVAL, -EBADMSG for
 * malformed JSON, -EFBIG). what names the document in messages. */
cJSON *inv_doc_parse(const char *text, size_t len, const char *what, struct np_err *e);

#endif
