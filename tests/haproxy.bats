# More than one listener: units/haproxy.cfg.example run by a real HAProxy
# in front of two hexind listeners on loopback. HAProxy's health checks
# find both, traffic spreads over both, streams pass unbuffered, and when
# one listener stops, every later request still succeeds.
load helpers

setup() {
	common_setup
	start_fake
	haproxy_up
}

# listen NAME: serves hexind on a free loopback port with its own env
# file, and its stderr (the access lines) in $BATS_TEST_TMPDIR/NAME.err;
# sets PORT and the listener's PID (systemd-socket-activate) in NAME_PID.
listen() {
	env_file "$BATS_TEST_TMPDIR/$1.env"
	PORT=$(free_port)
	systemd-socket-activate -l "127.0.0.1:$PORT" -a \
	    "$HEXIND" --env-file "$BATS_TEST_TMPDIR/$1.env" \
	    2>>"$BATS_TEST_TMPDIR/$1.err" &
	PIDS+=($!)
	printf -v "$1_PID" %s "$!"
	wait_for port_open "$PORT"
}

# haproxy_up: the fake upstream is up; starts listeners a and b (sharing
# the fake's token cache) and HAProxy from the example config in front,
# and waits until HAProxy's checks of GET /health found both UP. Sets
# HP (HAProxy's port), STATS (its stats port), A and B (the listeners').
haproxy_up() {
	listen a
	A=$PORT
	listen b
	B=$PORT
	HP=$(free_port)
	STATS=$(free_port)
	local cfg=$BATS_TEST_TMPDIR/haproxy.cfg
	# The documented file with loopback ports, logging to stderr, and
	# without what needs root: chroot, the socket under /run, another user.
	sed -e '/^\s*log \/dev\/log local1/d' \
	    -e 's|^\(\s*\)log /dev/log local0$|\1log stderr format raw local0|' \
	    -e '/^\s*\(chroot\|stats socket\|user\|group\|daemon\)\s/d' \
	    -e '/^\s*daemon$/d' \
	    -e "s|^\(\s*bind\) :8777$|\1 127.0.0.1:$HP|" \
	    -e "s|^\(\s*bind\) 127.0.0.1:8404$|\1 127.0.0.1:$STATS|" \
	    -e "s|^\(\s*server hexind1\) [^ ]*$|\1 127.0.0.1:$A|" \
	    -e "s|^\(\s*server hexind2\) [^ ]*$|\1 127.0.0.1:$B|" \
	    units/haproxy.cfg.example >"$cfg"
	# the five substitutions took
	[ "$(diff units/haproxy.cfg.example "$cfg" | grep -c '^>')" -eq 5 ]
	haproxy -c -q -f "$cfg"
	haproxy -db -f "$cfg" >>"$BATS_TEST_TMPDIR/haproxy.log" 2>&1 &
	PIDS+=($!)
	wait_for port_open "$HP"
	wait_for checked_up hexind1
	wait_for checked_up hexind2
}

# hastat SERVER FIELD: one field of HAProxy's CSV statistics for a server
# of the hexind backend (status, check_status, wretr, wredis, ...).
hastat() {
	curl -sS -f "http://127.0.0.1:$STATS/stats;csv" | awk -F, \
	    -v s="$1" -v f="$2" '
	    NR == 1 { sub(/^# /, ""); for (i = 1; i <= NF; i++) col[$i] = i }
	    NR > 1 && $1 == "hexind" && $2 == s { print $col[f] }'
}

# checked_up SERVER: UP after a passed health check (HAProxy counts a
# server UP before its first check).
checked_up() {
	[ "$(hastat "$1" status)" = UP ] && [ "$(hastat "$1" check_status)" = L7OK ]
}

checked_down() {
	[ "$(hastat "$1" status)" = DOWN ]
}

# get ID: GET /v1/models through HAProxy with X-Request-ID ID; prints the
# status code (000 when no response).
get() {
	curl -sS -o /dev/null -w '%{http_code}\n' --max-time 10 \
	    -H "Authorization: Bearer $KEY" -H "X-Request-ID: $1" \
	    "http://127.0.0.1:$HP/v1/models" 2>/dev/null || true
}

# served NAME PREFIX: how many requests with an id starting PREFIX the
# listener NAME answered, from its access lines.
served() {
	grep -c "access .* status=200 .* id=$2" "$BATS_TEST_TMPDIR/$1.err" || true
}

# all_served N PREFIX: a and b together answered N such requests (hexind
# writes its access line once the response is out: wait_for this).
all_served() {
	[ $(($(served a "$2") + $(served b "$2"))) -eq "$1" ]
}

@test "HAProxy checks GET /health and spreads requests over both listeners" {
	local i n=40 code
	for i in $(seq $n); do
		code=$(curl -sS -o "$BATS_TEST_TMPDIR/chat$i" -w '%{http_code}' \
		    --max-time 10 -H "Authorization: Bearer $KEY" \
		    -H "X-Request-ID: spread-$i" -H 'Content-Type: application/json' \
		    -d '{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}' \
		    "http://127.0.0.1:$HP/v1/chat/completions")
		[ "$code" = 200 ] || { cat "$BATS_TEST_TMPDIR/chat$i" >&2; return 1; }
	done
	wait_for all_served $n spread-
	local a b
	a=$(served a spread-)
	b=$(served b spread-)
	echo "a served $a, b served $b" >&2
	[ $((a + b)) -eq $n ]
	# leastconn takes turns among idle listeners: about half each
	[ "$a" -ge $((n / 4)) ] && [ "$b" -ge $((n / 4)) ]
	# HAProxy's health checks reached both
	grep -q 'access .* method=GET path=/health status=200' "$BATS_TEST_TMPDIR/a.err"
	grep -q 'access .* method=GET path=/health status=200' "$BATS_TEST_TMPDIR/b.err"
	# one login for both listeners: they share the token cache
	[ "$(logins)" -eq 1 ]
	# HAProxy's log names the server and hexind's request id
	grep -q 'hexind/hexind1 .*{spread-' "$BATS_TEST_TMPDIR/haproxy.log"
	grep -q 'hexind/hexind2 .*{spread-' "$BATS_TEST_TMPDIR/haproxy.log"
}

@test "a stream passes HAProxy event by event, not buffered" {
	fake_set '{"chat_chunks": 1, "chat_chunk_delay": 1.0}'
	local out=$BATS_TEST_TMPDIR/stream
	curl -sS -N --max-time 20 -H "Authorization: Bearer $KEY" \
	    -H 'Content-Type: application/json' \
	    -d '{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream":true}' \
	    "http://127.0.0.1:$HP/v1/chat/completions" >"$out" 2>>"$ERR" &
	local curl=$!
	PIDS+=($curl)
	# the first event is out while the fake still holds the rest (2 s)
	wait_for grep -q '^data: {' "$out"
	[ "$(grep -c DONE "$out")" -eq 0 ]
	wait "$curl"
	[ "$(tail -n 2 "$out" | head -n 1)" = 'data: [DONE]' ]
	[ "$(grep -c '^data: {' "$out")" -eq 3 ]
}

@test "a listener stopped mid-run: every later request succeeds" {
	local loop=$BATS_TEST_TMPDIR/loop stopped=$BATS_TEST_TMPDIR/stopped
	# Sequential requests until 20 were sent after the stop (at most 400):
	# "i after code" per request, after 1 once $stopped existed before it.
	(
		after=0
		for i in $(seq 400); do
			s=0
			[ -e "$stopped" ] && s=1
			after=$((after + s))
			echo "$i $s $(get fail-$i)" >>"$loop"
			[ "$after" -ge 20 ] && break
		done
	) &
	local pid=$!
	PIDS+=($pid)
	wait_for bash -c '[ $(wc -l <"$1") -ge 5 ]' _ "$loop"
	kill "$b_PID"
	wait_gone "$b_PID"
	wait_for bash -c "! nc -z 127.0.0.1 $B"
	touch "$stopped"
	wait "$pid"

	cat "$loop" >&2
	# 20 requests after the stop, every one 200, every one served by a
	[ "$(awk '$2 == 1' "$loop" | wc -l)" -eq 20 ]
	[ "$(awk '$2 == 1 && $3 != 200' "$loop" | wc -l)" -eq 0 ]
	local i
	for i in $(awk '$2 == 1 { print $1 }' "$loop"); do
		wait_for grep -q "status=200 .* id=fail-$i\$" "$BATS_TEST_TMPDIR/a.err"
	done
	# Before its health checks noticed, HAProxy sent some of them to the
	# stopped listener, was refused, and redispatched them to a.
	[ "$(hastat hexind2 wredis)" -gt 0 ]
	# then the checks mark it DOWN, and requests go to a only
	wait_for checked_down hexind2
	for i in 1 2 3 4 5; do
		[ "$(get down-$i)" = 200 ]
	done
	wait_for all_served 5 down-
	[ "$(served a down-)" -eq 5 ]
	[ "$(hastat hexind1 status)" = UP ]
}
