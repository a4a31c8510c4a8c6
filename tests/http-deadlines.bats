# Deadlines: a client too slow with its head or its body gets 408, and the
# process ends by itself while that client still holds the connection.
# The client is the write end of a FIFO this shell keeps open.
load helpers

# start: hexind reading from a FIFO whose write end is $W; its pid in $PID,
# its stdout in $OUT. The clock starts once the FIFO is open.
start() {
	local fifo=$BATS_TEST_TMPDIR/client
	OUT=$BATS_TEST_TMPDIR/out
	mkfifo "$fifo"
	"$HEXIND" <"$fifo" >"$OUT" 2>>"$ERR" &
	PID=$!
	PIDS+=("$PID")
	exec {W}>"$fifo"
	T0=$EPOCHREALTIME
}

# client BYTES: writes to hexind; fails, without killing this shell by
# SIGPIPE, once hexind is gone.
client() {
	(trap '' PIPE; printf '%s' "$1" >&"$W") 2>/dev/null
}

# finish: waits (bounded) for hexind to end on its own while the client
# still holds the FIFO, then loads its output and exit status.
finish() {
	wait_gone "$PID"
	ELAPSED=$("$PY" -S -c 'import sys; print(float(sys.argv[2]) - float(sys.argv[1]))' "$T0" "$EPOCHREALTIME")
	wait "$PID" && status=0 || status=$?
	output=$(cat "$OUT")
	exec {W}>&-
}

# took_at_least SECONDS: the deadline did not fire early.
took_at_least() {
	"$PY" -S -c 'import sys; sys.exit(float(sys.argv[1]) < float(sys.argv[2]))' "$ELAPSED" "$1"
}

@test "a client that stalls inside the head gets 408 and the process exits while it holds on" {
	export HEXIND_HEADER_TIMEOUT=1
	start
	client $'GET /health HTTP/1.1\r\n'
	finish
	assert_openai_error 408 'in time'
	[ "$(header connection)" = close ]
	[ "$(header content-length)" -gt 0 ]
	header x-request-id | grep -Eqx '[0-9a-f]{32}'
	[ "$status" -eq 0 ]
	took_at_least 0.9
}

@test "the header deadline is total: a client trickling one byte at a time still gets 408" {
	local req i
	export HEXIND_HEADER_TIMEOUT=0.5
	req=$'GET /health HTTP/1.1\r\nHost: a\r\nX-Pad: '"$(printf 'p%.0s' $(seq 100))"$'\r\n\r\n'
	start
	# one byte every 20 ms: far inside any per-byte timeout, and the whole
	# head would take over 2.5 s. Bounded by the request's length.
	for ((i = 0; i < ${#req}; i++)); do
		kill -0 "$PID" 2>/dev/null || break
		client "${req:i:1}" || break
		sleep 0.02
	done
	finish
	[ "$i" -lt "${#req}" ]
	assert_openai_error 408 'in time'
	[ "$status" -eq 0 ]
	took_at_least 0.45
}

@test "a client that opens the connection and sends nothing gets 408 at the header deadline" {
	export HEXIND_HEADER_TIMEOUT=0.5
	start
	finish
	assert_openai_error 408 'in time'
	[ "$(header connection)" = close ]
	[ "$status" -eq 0 ]
	took_at_least 0.45
}

@test "a client that stalls inside the body gets 408 and the process exits while it holds on" {
	export HEXIND_BODY_TIMEOUT=1
	start
	client $'POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer '"$KEY"$'\r\nContent-Length: 100\r\n\r\n0123456789'
	finish
	assert_openai_error 408 'stalled'
	[ "$(header connection)" = close ]
	[ "$status" -eq 0 ]
	took_at_least 0.9
}

@test "a stalled chunked body gets 408 with a decimal HEXIND_BODY_TIMEOUT" {
	export HEXIND_BODY_TIMEOUT=0.5
	start
	client $'POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer '"$KEY"$'\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n0123456789'
	finish
	assert_openai_error 408 'stalled'
	[ "$status" -eq 0 ]
	took_at_least 0.45
}

@test "a stalled body on /v1/messages gets 408 in Anthropic's shape" {
	export HEXIND_BODY_TIMEOUT=0.5
	start
	client $'POST /v1/messages HTTP/1.1\r\nHost: a\r\nx-api-key: '"$KEY"$'\r\nContent-Length: 100\r\n\r\n{"model"'
	finish
	assert_anthropic_error 408 invalid_request_error
	[ "$status" -eq 0 ]
}

@test "a complete head within the header deadline is served" {
	export HEXIND_HEADER_TIMEOUT=0.5
	start
	client $'GET /health HTTP/1.1\r\nHost: a\r\n\r\n'
	finish
	assert_status 200
	[ "$(json "j['status']")" = healthy ]
	[ "$status" -eq 0 ]
}
