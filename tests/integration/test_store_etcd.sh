#!/usr/bin/env bash
# The cluster store's etcd backend against a real three-member etcd 3.4
# (tests/lib/etcd_world.sh): get, put, compare-and-swap create, delete with
# and without a revision, prefix lists, leases that expire, user/password
# auth, fail-over when the first endpoint is dead, a bounded -EAGAIN when
# quorum is lost and when every member is down, mTLS, and a wrong CA or a
# missing client certificate refused with a message that says so.
set -uo pipefail
build=${MIGNET_BUILD:-build}
ctl=$(cd "$build" && pwd)/tests/storectl
. tests/lib/suite.sh
. tests/lib/etcd_world.sh
ew_init
ew_net || { echo "cannot create the namespaces"; exit 1; }
ew_start || { echo "etcd did not start"; exit 1; }

auth=()
# sc [storectl args]: storectl on node 2, against the endpoints in $eps
eps=$EW_ENDPOINTS
sc() { ip netns exec "${EW_NODE[2]}" "$ctl" --endpoints "$eps" "${auth[@]}" "$@"; }
# timed VAR CMD...: runs CMD, VAR gets its exit status, $ms the time taken
timed() { local v=$1 t0 t1; shift; t0=$(date +%s%N); "$@" >"$EW_DIR/out" 2>"$EW_DIR/err"; printf -v "$v" %s $?; t1=$(date +%s%N); ms=$(( (t1 - t0) / 1000000 )); }

# ---- basic operations -------------------------------------------------------
sc put /mignet/t/a one >/dev/null
check "put then get gives the value" test "$(sc get /mignet/t/a)" = one
sc create /mignet/t/b first; rc1=$?
sc create /mignet/t/b second; rc2=$?
why="create: $rc1 then $rc2, value $(sc get /mignet/t/b)"
check "create (create_revision == 0) twice: the second fails, the value stays" \
	test "$rc1" = 0 -a "$rc2" = 3 -a "$(sc get /mignet/t/b)" = first
sc put /mignet/t/c x >/dev/null
rev=$(sc list /mignet/t/c | awk '{print $3}')
sc del /mignet/t/c $((rev + 100)); rc1=$?
sc del /mignet/t/c "$rev"; rc2=$?
sc get /mignet/t/c >/dev/null; rc3=$?
why="del with a wrong revision: $rc1, with the right one: $rc2, get after: $rc3"
check "delete with a mod_revision check: a wrong revision deletes nothing, the right one deletes" \
	test "$rc1" = 3 -a "$rc2" = 0 -a "$rc3" = 3
sc del /mignet/t/a >/dev/null; rc1=$?; sc del /mignet/t/a >/dev/null; rc2=$?
why="$rc1 then $rc2"
check "delete: 0 when it removed the key, 3 when it was absent" test "$rc1" = 0 -a "$rc2" = 3
sc put /mignet/t/l/1 v1 >/dev/null; sc put /mignet/t/l/2 v2 >/dev/null; sc put /mignet/t/l2 no >/dev/null
out=$(sc list /mignet/t/l/ | awk '{print $1 "=" $2}' | tr '\n' ' ')
why="list gave: $out"
check "list of a prefix: exactly the keys under it, sorted" test "$out" = "/mignet/t/l/1=v1 /mignet/t/l/2=v2 "
out=$(sc list /mignet/none/ ); rc=$?
why="status $rc, output $out"
check "list of an empty prefix: nothing, status 0" test "$rc" = 0 -a -z "$out"
val=$(printf 'a "quoted" value\\with\ttab')
sc put /mignet/t/q "$val" >/dev/null
why="got $(sc get /mignet/t/q)"
check "a value with quotes, backslash and tab comes back byte for byte" test "$(sc get /mignet/t/q)" = "$val"

# ---- leases ------------------------------------------------------------------
lease=$(sc grant 2)
sc put /mignet/t/lease v "$lease" >/dev/null
ttl=$(sc keepalive "$lease")
have=$(sc get /mignet/t/lease)
t0=$(date +%s)
while sc get /mignet/t/lease >/dev/null 2>&1 && [ $(( $(date +%s) - t0 )) -lt 8 ]; do sleep 0.2; done
sc get /mignet/t/lease >/dev/null 2>&1; gone=$?
sc keepalive "$lease" >/dev/null 2>&1; krc=$?
why="lease $lease, keepalive ttl $ttl, value $have, get after expiry $gone, keepalive after $krc"
check "a key on a 2 s lease is there, then gone within 8 s; the keepalive of the expired lease says so" \
	test -n "$lease" -a "$ttl" -ge 1 -a "$have" = v -a "$gone" = 3 -a "$krc" = 3
lease=$(sc grant 60); sc put /mignet/t/lease2 v "$lease" >/dev/null
sc revoke "$lease" >/dev/null; sc get /mignet/t/lease2 >/dev/null 2>&1; rc=$?
why="get after revoke: $rc"
check "revoking a lease deletes its keys at once" test "$rc" = 3

# ---- input validation -------------------------------------------------------
bad_ep() { local rc; eps=$1 sc get /mignet/t/b 2>"$EW_DIR/err" >/dev/null; rc=$?; eps=$EW_ENDPOINTS
	[ "$rc" = 1 ] && grep -q "$2" "$EW_DIR/err" || { why="status $rc: $(cat "$EW_DIR/err")"; return 1; }; }
check "endpoint with a path refused" bad_ep "http://10.251.0.1:2379/v3" "not http(s)://host:port"
check "endpoint with a bad scheme refused" bad_ep "ftp://10.251.0.1:2379" "scheme must be http or https"
check "endpoint without a port refused" bad_ep "http://10.251.0.1" "not http(s)://host:port"
check "endpoint with port 0 refused" bad_ep "10.251.0.1:0" "not http(s)://host:port"
check "an empty entry in the endpoint list refused" bad_ep "10.251.0.1:2379,,10.251.0.2:2379" "empty entry"
eps="10.251.0.1:2379, 10.251.0.2:2379"
why="$(sc get /mignet/t/b 2>&1)"
check "whereabouts' etcd_host form (host:port, spaces after commas) works" test "$(sc get /mignet/t/b)" = first
eps=$EW_ENDPOINTS

# ---- user/password auth -------------------------------------------------------
ew_ctl user add root --new-user-password=rootpw >/dev/null 2>&1 &&
	ew_ctl auth enable >/dev/null 2>&1
sc get /mignet/t/b >/dev/null 2>"$EW_DIR/err"; rc_none=$?
auth=(--user root --password wrong)
sc get /mignet/t/b >/dev/null 2>"$EW_DIR/err2"; rc_wrong=$?
auth=(--user root --password rootpw)
got=$(sc get /mignet/t/b 2>&1)
why="without credentials $rc_none ($(cat "$EW_DIR/err")), wrong password $rc_wrong ($(cat "$EW_DIR/err2")), right: $got"
check "auth enabled: no credentials and a wrong password refused, the right ones read" \
	test "$rc_none" != 0 -a "$rc_wrong" = 4 -a "$got" = first
grep -q "etcd_password" "$EW_DIR/err2"; why="$(cat "$EW_DIR/err2")"
check "a wrong password's message names etcd_username/etcd_password" test $? = 0

# ---- fail-over and bounded failure ---------------------------------------------
ew_kill 1
timed rc sc put /mignet/t/fo after-kill
why="status $rc in $ms ms: $(cat "$EW_DIR/err")"
check "first endpoint killed (-9): a put fails over to the next member" test "$rc" = 0
why="got $(sc get /mignet/t/fo 2>&1)"
check "... and a get reads it back" test "$(sc get /mignet/t/fo)" = after-kill
ew_kill 2
timed rc sc put /mignet/t/q2 v
why="status $rc in $ms ms: $(cat "$EW_DIR/err")"
check "quorum lost (2 of 3 killed): put fails with EAGAIN within 6 s" test "$rc" = 2 -a "$ms" -lt 6000
grep -q "try again later" "$EW_DIR/err"; why="$(cat "$EW_DIR/err")"
check "... and the message says the store is unreachable or without quorum" test $? = 0
timed rc sc get /mignet/t/b
why="status $rc in $ms ms: $(cat "$EW_DIR/err")"
check "quorum lost: a (linearizable) get fails with EAGAIN within 6 s" test "$rc" = 2 -a "$ms" -lt 6000
ew_kill 3
timed rc sc get /mignet/t/b
why="status $rc in $ms ms: $(cat "$EW_DIR/err")"
check "every member down: EAGAIN within 6 s" test "$rc" = 2 -a "$ms" -lt 6000
eps="http://10.251.0.99:2379"
timed rc sc --budget 1500 get /mignet/t/b
why="status $rc in $ms ms: $(cat "$EW_DIR/err")"
check "an address nobody has (connect times out): EAGAIN within the 1.5 s budget given" \
	test "$rc" = 2 -a "$ms" -lt 2500
eps=$EW_ENDPOINTS
auth=()

# ---- mTLS ---------------------------------------------------------------------
ew_cleanup
ew_init
ew_net || { echo "cannot create the namespaces"; exit 1; }
if ew_start tls; then
	eps=$EW_ENDPOINTS
	timed rc sc --ca "$EW_CA" --cert "$EW_CERT" --key "$EW_KEY" put /mignet/t/tls yes
	got=$(sc --ca "$EW_CA" --cert "$EW_CERT" --key "$EW_KEY" get /mignet/t/tls 2>&1)
	why="put: $rc ($(cat "$EW_DIR/err")), get: $got"
	check "mTLS (CA, client certificate and key): put and get" test "$rc" = 0 -a "$got" = yes
	timed rc sc --ca "$EW_BADCA" --cert "$EW_CERT" --key "$EW_KEY" get /mignet/t/tls
	why="status $rc in $ms ms: $(cat "$EW_DIR/err")"
	check "a wrong CA is refused (status 4) with a message naming TLS and etcd_ca_cert_file" \
		eval 'test "$rc" = 4 && grep -q "TLS" "$EW_DIR/err" && grep -q "etcd_ca_cert_file" "$EW_DIR/err"'
	timed rc sc --ca "$EW_CA" get /mignet/t/tls
	why="status $rc in $ms ms: $(cat "$EW_DIR/err")"
	check "no client certificate: refused, not a success" test "$rc" != 0
	eps=${EW_ENDPOINTS//https/http}
	timed rc sc get /mignet/t/tls
	why="status $rc in $ms ms: $(cat "$EW_DIR/err")"
	check "plain http to a TLS member: an error within 6 s" test "$rc" != 0 -a "$ms" -lt 6000
else
	bad "mTLS world" "the TLS members did not start"
fi
finish
