// kubevirt-go: KubeVirt's side of mignet's vif-cache files, with Go's own
// encoding/json and the struct shapes in kubevirt_types.go. Driven by
// tests/integration/test_go_interop.sh.
//
//	check [--exact] [--podiface] FILE...  read each file as KubeVirt does
//	      (json.Unmarshal), then strictly (unknown keys, trailing data);
//	      --exact: marshalling the value again as KubeVirt writes gives
//	      the file byte for byte. Prints "FILE: ok SUMMARY".
//	verdict FILE...   "FILE: ok SUMMARY" or "FILE: reject: ERR", KubeVirt's read only
//	write DIR         sample files as KubeVirt writes them, with DIR/NAME.want
//	golden DIR        the values of mignet's golden files (tests/golden)
//	mutate BASE DIR   BASE with each field set to values of every JSON type
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
)

// As pkg/network/cache/cache.go: writeToCachedFile and readFromCachedFile.
func marshalLikeKubeVirt(v interface{}) ([]byte, error) {
	obj := v
	return json.MarshalIndent(&obj, "", "  ")
}

func writeLikeKubeVirt(path string, v interface{}) error {
	buf, err := marshalLikeKubeVirt(v)
	if err != nil {
		return err
	}
	return os.WriteFile(path, buf, 0604)
}

func readLikeKubeVirt(buf []byte, v interface{}) error {
	obj := v
	return json.Unmarshal(buf, &obj)
}

func readStrict(buf []byte, v interface{}) error {
	dec := json.NewDecoder(bytes.NewReader(buf))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("data after the JSON value")
	}
	return nil
}

// The fields mignet reads, in the form tests/interop/kvread.c prints.
func summary(c *DHCPConfig) string {
	mac, ip, gw, routes := "-", "-", "-", "-"
	if len(c.MAC) > 0 {
		mac = c.MAC.String()
	}
	if c.IP.IPNet != nil {
		ones, _ := c.IP.Mask.Size()
		ip = fmt.Sprintf("%s/%d", c.IP.IP, ones)
	}
	if len(c.Gateway) > 0 {
		gw = c.Gateway.String()
	}
	if c.Routes != nil && len(*c.Routes) > 0 {
		var rs []string
		for _, r := range *c.Routes {
			dst, via := "default", "-"
			if r.Dst != nil {
				if ones, _ := r.Dst.Mask.Size(); ones > 0 {
					dst = fmt.Sprintf("%s/%d", r.Dst.IP, ones)
				}
			}
			if len(r.Gw) > 0 {
				via = r.Gw.String()
			}
			rs = append(rs, dst+">"+via)
		}
		routes = strings.Join(rs, ",")
	}
	return fmt.Sprintf("mac=%s ip=%s gw=%s ipam-disabled=%t routes=%s", mac, ip, gw, c.IPAMDisabled, routes)
}

func check(args []string) int {
	exact, podiface, status := false, false, 0
	for len(args) > 0 && strings.HasPrefix(args[0], "--") {
		switch args[0] {
		case "--exact":
			exact = true
		case "--podiface":
			podiface = true
		default:
			fmt.Fprintf(os.Stderr, "check: unknown option %s\n", args[0])
			return 2
		}
		args = args[1:]
	}
	for _, f := range args {
		buf, err := os.ReadFile(f)
		if err != nil {
			fmt.Printf("%s: FAIL %v\n", f, err)
			status = 1
			continue
		}
		var kv, strict interface{}
		var sum string
		if podiface {
			kv, strict = &PodIfaceCacheData{}, &PodIfaceCacheData{}
		} else {
			kv, strict = &DHCPConfig{}, &DHCPConfig{}
		}
		if err := readLikeKubeVirt(buf, kv); err != nil {
			fmt.Printf("%s: FAIL KubeVirt's json.Unmarshal: %v\n", f, err)
			status = 1
			continue
		}
		if err := readStrict(buf, strict); err != nil {
			fmt.Printf("%s: FAIL strict decoding: %v\n", f, err)
			status = 1
			continue
		}
		if exact {
			again, err := marshalLikeKubeVirt(strict)
			if err != nil || !bytes.Equal(again, buf) {
				fmt.Printf("%s: FAIL not what KubeVirt writes for its value; KubeVirt writes:\n%s\n", f, again)
				status = 1
				continue
			}
		}
		if c, ok := strict.(*DHCPConfig); ok {
			sum = summary(c)
		} else {
			sum = "pod-interface cache"
		}
		fmt.Printf("%s: ok %s\n", f, sum)
	}
	return status
}

func verdict(args []string) int {
	for _, f := range args {
		buf, err := os.ReadFile(f)
		c := &DHCPConfig{}
		if err == nil {
			err = readLikeKubeVirt(buf, c)
		}
		if err != nil {
			fmt.Printf("%s: reject: %v\n", f, err)
		} else {
			fmt.Printf("%s: ok %s\n", f, summary(c))
		}
	}
	return 0
}

// As netlink.ParseAddr("IP/LEN"): the IPNet holds the address itself.
func parseAddr(s string) Addr {
	ip, n, err := net.ParseCIDR(s)
	if err != nil {
		panic(err)
	}
	n.IP = ip
	return Addr{IPNet: n}
}

// As translateNmstateToNetlinkRoutes: only Dst (nil for the default
// route) and Gw are set.
func route(dst, gw string) Route {
	var r Route
	if dst != "" {
		_, n, err := net.ParseCIDR(dst)
		if err != nil {
			panic(err)
		}
		r.Dst = n
	}
	r.Gw = net.ParseIP(gw)
	return r
}

func mac(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

func samples() map[string]*DHCPConfig {
	s := map[string]*DHCPConfig{}
	rs := []Route{route("", "10.244.1.1"), route("10.100.0.0/16", "10.244.1.254")}
	s["kubevirt-full"] = &DHCPConfig{IP: parseAddr("10.244.1.5/24"), MAC: mac("02:42:0a:f4:01:05"),
		Routes: &rs, Gateway: net.ParseIP("10.244.1.1")}
	// KubeVirt leaves the MAC unset when the pod interface has no IPv4
	s["ipam-disabled"] = &DHCPConfig{IPAMDisabled: true}
	s["no-routes"] = &DHCPConfig{IP: parseAddr("192.168.7.20/28"), MAC: mac("0a:58:c0:a8:07:14"),
		Gateway: net.ParseIP("192.168.7.17")}
	empty := []Route{}
	s["empty-routes"] = &DHCPConfig{IP: parseAddr("172.16.0.9/16"), MAC: mac("02:00:ac:10:00:09"),
		Routes: &empty, Gateway: net.ParseIP("172.16.0.1")}
	r32 := []Route{route("", "169.254.1.1")}
	s["slash32"] = &DHCPConfig{IP: parseAddr("10.1.2.3/32"), MAC: mac("ee:ee:ee:ee:ee:ee"),
		Routes: &r32, Gateway: net.ParseIP("169.254.1.1")}
	var many []Route
	for i := 0; i < 16; i++ {
		many = append(many, route(fmt.Sprintf("10.%d.0.0/16", 100+i), "10.13.0.254"))
	}
	s["sixteen-routes"] = &DHCPConfig{IP: parseAddr("10.13.0.3/24"), MAC: mac("02:00:00:00:13:03"),
		Routes: &many, Gateway: net.ParseIP("10.13.0.1")}
	// every field the launcher fills in memory, and routes as netlink
	// itself returns them: nothing a Go writer may put there stops mignet
	full := route("10.200.0.0/16", "10.13.0.254")
	full.LinkIndex, full.ILinkIndex, full.Scope, full.Src = 3, 4, 253, net.ParseIP("10.13.0.3")
	full.Protocol, full.Priority, full.Family, full.Table, full.Type, full.Tos, full.Flags = 4, 100, 2, 254, 1, 8, 4
	label := 16
	full.MPLSDst = &label
	full.MultiPath = []*NexthopInfo{{LinkIndex: 2, Hops: 1, Gw: net.ParseIP("10.13.0.253"), Flags: 1}}
	full.Realm, full.MTU, full.MTULock, full.Window, full.Rtt, full.RttVar = 1, 1400, true, 65535, 10, 5
	full.Ssthresh, full.Cwnd, full.AdvMSS, full.Reordering, full.Hoplimit, full.InitCwnd = 7, 10, 1360, 3, 64, 10
	full.Features, full.RtoMin, full.RtoMinLock, full.InitRwnd, full.QuickACK = 1, 200, true, 10, 1
	full.Congctl, full.FastOpenNoCookie = "cubic", 1
	addr := parseAddr("10.13.0.3/24")
	addr.Label, addr.Flags, addr.Scope, addr.LinkIndex = "k6t-pod1", 128, 0, 3
	addr.Broadcast, addr.PreferedLft, addr.ValidLft = net.ParseIP("10.13.0.255"), 3600, 7200
	_, addr.Peer, _ = net.ParseCIDR("10.13.0.1/32")
	fr := []Route{route("", "10.13.0.1"), full}
	s["launcher-filled"] = &DHCPConfig{Name: "pod16477688c0e", IP: addr, IPv6: parseAddr("fd10::5/64"),
		MAC: mac("02:00:00:00:13:03"), AdvertisingIPAddr: net.ParseIP("169.254.75.11"),
		AdvertisingIPv6Addr: net.ParseIP("fe80::1"), Routes: &fr, Mtu: 9000,
		Gateway: net.ParseIP("10.13.0.1"), Subdomain: "a<b>&c\u2028"}
	return s
}

func write(dir string) int {
	for name, c := range samples() {
		if err := writeLikeKubeVirt(filepath.Join(dir, "vif-cache-"+name+".json"), c); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := os.WriteFile(filepath.Join(dir, name+".want"), []byte(summary(c)+"\n"), 0644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}

// The values of tests/unit/test_vifcache.c's golden records: the C writer
// must give what KubeVirt writes for them.
func golden(dir string) int {
	rs := []Route{route("", "10.244.1.1"), route("10.100.0.0/16", "10.244.1.254")}
	files := map[string]*DHCPConfig{
		"vif-cache-full.json": {IP: parseAddr("10.244.1.5/24"), MAC: mac("02:42:0a:f4:01:05"),
			Routes: &rs, Gateway: net.ParseIP("10.244.1.1")},
		// mignet keeps the MAC when there is no IPv4 (KubeVirt leaves it null)
		"vif-cache-unset.json": {MAC: mac("02:00:00:00:00:2a"), IPAMDisabled: true},
	}
	for name, c := range files {
		if err := writeLikeKubeVirt(filepath.Join(dir, name), c); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}

// Values of every JSON type and of the edges of Go's number types.
var candidates = []string{`0`, `1`, `-1`, `1.5`, `255`, `256`, `65535`, `65536`, `1e30`,
	`9223372036854775807`, `true`, `false`, `""`, `"x"`, `"10.1.2.3"`, `"fd00::1"`,
	`"AkIK9AEF"`, `"////AA=="`, `{}`, `{"IP":"10.0.0.1","Mask":"////AA=="}`, `[]`, `[{}]`,
	`[null]`, `null`}

// Spellings encoding/json takes for the field name k: lower case, and
// the two non-ASCII letters that fold to ASCII ones (long s, Kelvin sign).
func foldedNames(k string) []string {
	var out []string
	if l := strings.ToLower(k); l != k {
		out = append(out, l)
	}
	for _, r := range []struct{ from, to string }{{"s", "\u017f"}, {"S", "\u017f"}, {"k", "\u212a"}, {"K", "\u212a"}} {
		if i := strings.Index(k, r.from); i >= 0 {
			out = append(out, k[:i]+r.to+k[i+1:])
		}
	}
	return out
}

func set(doc interface{}, path []interface{}, key string, val interface{}, del string) {
	o := doc
	for _, p := range path {
		switch k := p.(type) {
		case string:
			o = o.(map[string]interface{})[k]
		case int:
			o = o.([]interface{})[k]
		}
	}
	m := o.(map[string]interface{})
	if del != "" {
		delete(m, del)
	}
	m[key] = val
}

// mutate writes BASE unchanged (the first file), then with one member
// changed per file: every member of
// every object (found in BASE, which Go wrote with every field), under its
// own name and lower-cased (encoding/json matches names regardless of
// case), set to each candidate; and Routes[0].MultiPath holding one
// NexthopInfo with each of its fields (from the Go type) set so.
func mutate(base, dir string) int {
	buf, err := os.ReadFile(base)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var doc interface{}
	if err := json.Unmarshal(buf, &doc); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	type site struct {
		path []interface{}
		key  string
	}
	var sites []site
	var walk func(v interface{}, path []interface{})
	walk = func(v interface{}, path []interface{}) {
		switch t := v.(type) {
		case map[string]interface{}:
			keys := make([]string, 0, len(t))
			for k := range t {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				sites = append(sites, site{path, k})
				walk(t[k], append(append([]interface{}{}, path...), k))
			}
		case []interface{}:
			for i, e := range t {
				walk(e, append(append([]interface{}{}, path...), i))
			}
		}
	}
	walk(doc, nil)
	index, n := &strings.Builder{}, 0
	emit := func(desc string, change func(d interface{})) error {
		var d interface{}
		if err := json.Unmarshal(buf, &d); err != nil {
			return err
		}
		change(d)
		out, err := json.Marshal(d)
		if err != nil {
			return err
		}
		n++
		name := fmt.Sprintf("m-%05d.json", n)
		fmt.Fprintf(index, "%s %s\n", name, desc)
		return os.WriteFile(filepath.Join(dir, name), out, 0644)
	}
	if err := emit("unchanged", func(d interface{}) {}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for _, s := range sites {
		for ci, c := range candidates {
			var v interface{}
			_ = json.Unmarshal([]byte(c), &v)
			desc := fmt.Sprintf("%v.%s=%s", s.path, s.key, c)
			if err := emit(desc, func(d interface{}) { set(d, s.path, s.key, v, "") }); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			if ci%3 != 0 {
				continue // the other spellings with every third value
			}
			// names Go matches to the field too: in its place, and beside it
			for _, k := range foldedNames(s.key) {
				k := k
				if err := emit(fmt.Sprintf("%v.%q=%s instead", s.path, k, c),
					func(d interface{}) { set(d, s.path, k, v, s.key) }); err != nil {
					fmt.Fprintln(os.Stderr, err)
					return 1
				}
				if err := emit(fmt.Sprintf("%v.%q=%s besides", s.path, k, c),
					func(d interface{}) { set(d, s.path, k, v, "") }); err != nil {
					fmt.Fprintln(os.Stderr, err)
					return 1
				}
			}
		}
	}
	nh := reflect.TypeOf(NexthopInfo{})
	for i := 0; i < nh.NumField(); i++ {
		f := nh.Field(i).Name
		for _, c := range candidates {
			var v interface{}
			_ = json.Unmarshal([]byte(c), &v)
			mp := []interface{}{map[string]interface{}{f: v}}
			if err := emit(fmt.Sprintf("[Routes 0].MultiPath[0].%s=%s", f, c),
				func(d interface{}) { set(d, []interface{}{"Routes", 0}, "MultiPath", mp, "") }); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "index"), []byte(index.String()), 0644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: kubevirt-go check|verdict|write|golden|mutate ...")
		os.Exit(2)
	}
	args := os.Args[2:]
	var rc int
	switch os.Args[1] {
	case "check":
		rc = check(args)
	case "verdict":
		rc = verdict(args)
	case "write", "golden":
		if len(args) != 1 {
			rc = 2
		} else if os.Args[1] == "write" {
			rc = write(args[0])
		} else {
			rc = golden(args[0])
		}
	case "mutate":
		if len(args) != 2 {
			rc = 2
		} else {
			rc = mutate(args[0], args[1])
		}
	default:
		rc = 2
	}
	if rc == 2 {
		fmt.Fprintln(os.Stderr, "usage: kubevirt-go check|verdict|write|golden|mutate ...")
	}
	os.Exit(rc)
}
