// KubeVirt's cache types, declared again with the field names, Go types,
// order and json tags of the versions KubeVirt vendors, so that Go's own
// encoding/json reads and writes them exactly as KubeVirt does:
//
//   - kubevirt/kubevirt v1.9.0 (and main at d923fdb815):
//     pkg/network/cache/dhcpconfig.go (DHCPConfig, the vif-cache file) and
//     pkg/network/cache/podinterface.go (PodIfaceCacheData);
//   - github.com/vishvananda/netlink v1.3.1 as vendored there: Addr
//     (addr.go) and Route, NexthopInfo, Scope, RouteProtocol (route.go).
//     v1.3.1 made Route.MTULock and Route.RtoMinLock bools; KubeVirt
//     v1.4 to v1.8 vendor v1.3.0, which has neither field (unknown keys
//     are ignored by json.Unmarshal, so a v1.3.1 file reads there too).
//
// Only encoding-relevant facts are reproduced (names, types, order); no
// methods. net.IP, net.IPNet and net.HardwareAddr are the real stdlib
// types, as in KubeVirt.
package main

import (
	"encoding/json"
	"net"
)

// netlink.Scope
type Scope uint8

// netlink.RouteProtocol
type RouteProtocol int

// netlink.Destination and netlink.Encap are interfaces with methods:
// encoding/json writes a nil one as null and cannot read anything else
// into it. Any non-empty method set behaves the same for JSON.
type Destination interface {
	Family() int
	String() string
}

type Encap interface {
	Type() int
	String() string
}

// netlink.NexthopInfo (v1.3.1)
type NexthopInfo struct {
	LinkIndex int
	Hops      int
	Gw        net.IP
	Flags     int
	NewDst    Destination
	Encap     Encap
	Via       Destination
}

// netlink.Route (v1.3.1): 36 fields. Newer netlink adds Expires,
// CacheInfo and NHID after FastOpenNoCookie.
type Route struct {
	LinkIndex        int
	ILinkIndex       int
	Scope            Scope
	Dst              *net.IPNet
	Src              net.IP
	Gw               net.IP
	MultiPath        []*NexthopInfo
	Protocol         RouteProtocol
	Priority         int
	Family           int
	Table            int
	Type             int
	Tos              int
	Flags            int
	MPLSDst          *int
	NewDst           Destination
	Encap            Encap
	Via              Destination
	Realm            int
	MTU              int
	MTULock          bool
	Window           int
	Rtt              int
	RttVar           int
	Ssthresh         int
	Cwnd             int
	AdvMSS           int
	Reordering       int
	Hoplimit         int
	InitCwnd         int
	Features         int
	RtoMin           int
	RtoMinLock       bool
	InitRwnd         int
	QuickACK         int
	Congctl          string
	FastOpenNoCookie int
}

// netlink.Addr (v1.3.1); the embedded *net.IPNet's IP and Mask are
// written at the top level, and not at all when it is nil. Newer netlink
// adds Protocol at the end.
type Addr struct {
	*net.IPNet
	Label       string
	Flags       int
	Scope       int
	Peer        *net.IPNet
	Broadcast   net.IP
	PreferedLft int
	ValidLft    int
	LinkIndex   int
}

// cache.DHCPConfig: no json tags, so the keys are the field names.
type DHCPConfig struct {
	Name                string
	IP                  Addr
	IPv6                Addr
	MAC                 net.HardwareAddr
	AdvertisingIPAddr   net.IP
	AdvertisingIPv6Addr net.IP
	Routes              *[]Route
	Mtu                 uint16
	IPAMDisabled        bool
	Gateway             net.IP
	Subdomain           string
}

// cache.PodIfaceState
type PodIfaceState int

// cache.PodIfaceCacheData. Iface is a *v1.Interface (kubevirt.io/api,
// the VMI's interface spec) in KubeVirt; mignet writes no pod-interface
// cache, so its inside is kept raw here and only the four tags are
// checked (check --podiface).
type PodIfaceCacheData struct {
	Iface  *json.RawMessage `json:"iface,omitempty"`
	PodIP  string           `json:"podIP,omitempty"`
	PodIPs []string         `json:"podIPs,omitempty"`
	State  PodIfaceState    `json:"networkState,omitempty"`
}
