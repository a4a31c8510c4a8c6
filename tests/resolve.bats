#!/usr/bin/env bats
# Hexin by name: the lookup a fresh process makes before it connects,
# through a DNS server of the test's own (tests/dns-netns, in a network
# and mount namespace made with unshare(1)).

load helpers

CHAT='{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}'

# in_netns DELAY_MS CMD...: CMD in the namespace, its DNS server answering
# DELAY_MS after each question; $output and $status as run gives them.
in_netns() {
	local delay=$1
	shift
	run unshare -mn "$ROOT/tests/dns-netns" "$BATS_TEST_TMPDIR/ns" \
	    "$delay" "$@"
}

# hexind_in_netns DELAY_MS: hexind on $REQ in the namespace, as
# in_netns runs it; its stderr to $ERR.
hexind_in_netns() {
	in_netns "$1" bash -c 'timeout 20 "$1" <"$2" 2>>"$3"' \
	    _ "$HEXIND" "$REQ" "$ERR"
}

# The main thread's trace (strace -f: its lines are the first process's)
# from the resolver thread's start to the first connect().
resolving() {
	awk 'NR == 1 { main = $1 }
	    $1 == main && /clone/ { on = 1 }
	    $1 == main && /connect\(/ && on { exit }
	    $1 == main && on' "$1"
}

@test "a name only DNS knows: looked up through DNS, the call served" {
	write_request /v1/chat/completions "$CHAT"
	hexind_in_netns 0
	[ "$status" -eq 0 ]
	assert_status 200
	grep -qx 'hexin.test A' "$BATS_TEST_TMPDIR/ns/dns.log"
}

# Without its socket pair the resolver's thread cannot wake the transfer:
# curl polls it instead, without waiting at all for the first 3 ms of a
# lookup, then every third of the time so far, every 50 ms after 50 and
# every 200 after 250, so a lookup that has ended is found late.
@test "while the name resolves the process sleeps until the answer wakes it" {
	write_request /v1/chat/completions "$CHAT"
	in_netns 300 bash -c 'ASAN_OPTIONS=detect_leaks=0 timeout 20 \
	    strace -f -qq -e trace=poll,clone,clone3,connect -o "$4" \
	    "$1" <"$2" 2>>"$3"' \
	    _ "$HEXIND" "$REQ" "$ERR" "$BATS_TEST_TMPDIR/trace"
	[ "$status" -eq 0 ]
	assert_status 200
	resolving "$BATS_TEST_TMPDIR/trace" >"$BATS_TEST_TMPDIR/resolving"
	# a poll of the main thread's that ended because a descriptor was
	# readable: the resolver's word that the answer is in
	grep -q 'revents=POLLIN' "$BATS_TEST_TMPDIR/resolving" || {
		cat "$BATS_TEST_TMPDIR/resolving" >&2
		return 1
	}
}

@test "a name DNS does not know answers 502 naming the resolution" {
	write_request /v1/chat/completions "$CHAT"
	HEXIN_NAME=nohexin.test hexind_in_netns 0
	[ "$status" -eq 0 ]
	assert_error 502 "" resolve
	grep -qx 'nohexin.test A' "$BATS_TEST_TMPDIR/ns/dns.log"
}

@test "a DNS server that does not answer: the login's timeout still holds" {
	write_request /v1/chat/completions "$CHAT"
	SECONDS=0
	HEXIND_LOGIN_TIMEOUT=1 hexind_in_netns 10000
	[ "$status" -eq 0 ]
	assert_error 504 upstream_timeout "resolving timed out"
	[ "$SECONDS" -lt 8 ]
}
