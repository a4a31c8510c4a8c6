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

@test "a name only DNS knows: looked up through DNS, the call served" {
	write_request /v1/chat/completions "$CHAT"
	in_netns 0 bash -c 'timeout 20 "$1" <"$2" 2>>"$3"' \
	    _ "$HEXIND" "$REQ" "$ERR"
	[ "$status" -eq 0 ]
	assert_status 200
	grep -qx 'hexin.test A' "$BATS_TEST_TMPDIR/ns/dns.log"
}

@test "a name DNS does not know answers 502 naming the resolution" {
	write_request /v1/chat/completions "$CHAT"
	HEXIN_NAME=nohexin.test in_netns 0 \
	    bash -c 'timeout 20 "$1" <"$2" 2>>"$3"' _ "$HEXIND" "$REQ" "$ERR"
	[ "$status" -eq 0 ]
	assert_error 502 "" resolve
	grep -qx 'nohexin.test A' "$BATS_TEST_TMPDIR/ns/dns.log"
}

@test "a DNS server that does not answer: the login's timeout still holds" {
	write_request /v1/chat/completions "$CHAT"
	SECONDS=0
	HEXIND_LOGIN_TIMEOUT=1 in_netns 10000 \
	    bash -c 'timeout 20 "$1" <"$2" 2>>"$3"' _ "$HEXIND" "$REQ" "$ERR"
	[ "$status" -eq 0 ]
	assert_error 504 upstream_timeout "resolving timed out"
	[ "$SECONDS" -lt 8 ]
}
