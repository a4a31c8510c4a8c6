# Opt-in keep-alive (HEXIND_KEEPALIVE_REQUESTS, HEXIND_KEEPALIVE_TIMEOUT):
# one process serves a client connection's requests in turn, streams go
# out chunked, and the upstream connection is reused. Off by default.
load helpers

CHAT='{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}'
STREAM='{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"yo"}]}'

setup() {
	common_setup
	start_fake
}

# serve N: keep-alive for N requests a connection, on a loopback port.
serve() {
	export HEXIND_KEEPALIVE_REQUESTS=$1
	env_file "$BATS_TEST_TMPDIR/env"
	activate "$BATS_TEST_TMPDIR/env"
}

# curl_each ARGS...: one curl run, --next between transfers.
curl_each() {
	run curl -sS "$@"
	[ "$status" -eq 0 ]
}

# chat_args BODY: one transfer's arguments; it leaves "code connects"
# (connects 0: the connection was reused) after its body in $output.
chat_args() {
	printf '%s\n' -w '\n%{http_code} %{num_connects}\n' \
	    -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
	    -d "$1" "http://127.0.0.1:$PORT/v1/chat/completions"
}

# The "code connects" lines of $output.
outcomes() {
	printf '%s\n' "$output" | grep -E '^[0-9]{3} [0-9]+$'
}

@test "by default a connection carries one request, the next is not answered" {
	printf 'GET /health HTTP/1.1\r\nHost: t\r\n\r\nGET /health HTTP/1.1\r\nHost: t\r\n\r\n' >"$REQ"
	run _send_file "$REQ"
	[ "$(printf '%s' "$output" | grep -o 'HTTP/1.1 [0-9]' | wc -l)" -eq 1 ]
	printf '%s' "$output" | grep -qi '^Connection: close'
}

@test "with keep-alive one connection carries requests up to the limit, then closes" {
	serve 3
	mapfile -t a < <(chat_args "$CHAT")
	curl_each "${a[@]}" --next "${a[@]}" --next "${a[@]}" --next "${a[@]}"
	[ "$(outcomes | tr '\n' ' ')" = "200 1 200 0 200 0 200 1 " ]
	[ "$(grep -c 'access peer=' "$BATS_TEST_TMPDIR/activate.err")" -eq 4 ]
	# one process served the first three
	[ "$(grep 'access peer=' "$BATS_TEST_TMPDIR/activate.err" | sed 's/^hexind\[\([0-9]*\)\].*/\1/' | uniq -c | awk '{print $1}' | tr '\n' ' ')" = "3 1 " ]
}

@test "a stream under keep-alive is chunked and the connection carries on" {
	serve 5
	mapfile -t s < <(chat_args "$STREAM")
	mapfile -t a < <(chat_args "$CHAT")
	curl_each -D "$BATS_TEST_TMPDIR/heads" "${s[@]}" --next "${a[@]}"
	[ "$(outcomes | tr '\n' ' ')" = "200 1 200 0 " ]
	grep -qi '^Transfer-Encoding: chunked' "$BATS_TEST_TMPDIR/heads"
	grep -qi '^Keep-Alive: timeout=5, max=4' "$BATS_TEST_TMPDIR/heads"
	printf '%s\n' "$output" | grep -qx 'data: \[DONE\]'
	printf '%s\n' "$output" | grep -q '"content":"echo: hi"'
}

@test "pipelined requests are answered in order on one connection" {
	serve 5
	{
		printf 'GET /health HTTP/1.1\r\nHost: t\r\nX-Request-ID: one\r\n\r\n'
		printf 'GET /v1/models HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\nX-Request-ID: two\r\nConnection: close\r\n\r\n' "$KEY"
	} >"$REQ"
	run timeout 10 nc -q 5 127.0.0.1 "$PORT" <"$REQ"
	[ "$status" -eq 0 ]
	[ "$(printf '%s' "$output" | tr -d '\r' | grep -i '^x-request-id:' | tr '\n' ' ')" = "x-request-id: one x-request-id: two " ]
	printf '%s' "$output" | tr -d '\r' | grep -qix 'Connection: close'
}

@test "an HTTP/1.0 client gets keep-alive only when it asks" {
	serve 5
	printf 'GET /health HTTP/1.0\r\n\r\n' >"$REQ"
	run timeout 10 nc 127.0.0.1 "$PORT" <"$REQ"
	printf '%s' "$output" | tr -d '\r' | grep -qix 'Connection: close'
	printf 'GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /health HTTP/1.0\r\n\r\n' >"$REQ"
	run timeout 10 nc 127.0.0.1 "$PORT" <"$REQ"
	[ "$(printf '%s' "$output" | grep -o 'HTTP/1.1 200' | wc -l)" -eq 2 ]
	printf '%s' "$output" | tr -d '\r' | grep -qix 'Connection: keep-alive'
}

@test "a refused request with an unread body closes the connection" {
	serve 5
	printf 'POST /v1/chat/completions HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}GET /health HTTP/1.1\r\nHost: t\r\n\r\n' >"$REQ"
	run timeout 10 nc -q 5 127.0.0.1 "$PORT" <"$REQ"
	[ "$(printf '%s' "$output" | grep -o 'HTTP/1.1 [0-9]' | wc -l)" -eq 1 ]
	printf '%s' "$output" | grep -q '^HTTP/1.1 401'
	printf '%s' "$output" | tr -d '\r' | grep -qix 'Connection: close'
}

@test "an idle kept-alive connection is closed after HEXIND_KEEPALIVE_TIMEOUT" {
	export HEXIND_KEEPALIVE_TIMEOUT=0.3
	serve 5
	run timeout 10 "$PY" -S -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
data = b""
while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
    data += s.recv(4096)
t = time.monotonic()
assert s.recv(4096) == b""     # the server closes: EOF
print("%.2f" % (time.monotonic() - t))' "$PORT"
	[ "$status" -eq 0 ]
	awk -v t="${lines[-1]}" 'BEGIN { exit !(t >= 0.2 && t < 5) }'
}

@test "the upstream connection is reused by the next request of the connection" {
	fake_set '{"upstream_keepalive":true}'
	serve 5
	mapfile -t a < <(chat_args "$CHAT")
	curl_each "${a[@]}" --next "${a[@]}" --next "${a[@]}"
	[ "$(outcomes | tr '\n' ' ')" = "200 1 200 0 200 0 " ]
	curl -sS -f "$FAKE/_fake/requests" | "$PY" -S -c '
import json, sys
ports = [r["port"] for r in json.load(sys.stdin)["requests"]
         if r["path"].endswith("/chat/completions")]
assert len(ports) == 3 and len(set(ports)) == 1, ports'
}

@test "the client socket is TCP_NODELAY: no event waits for the delayed ACK of the one before" {
	# With Nagle on, a kept-alive stream's events each waited for the
	# client's delayed ACK: 40 ms apiece.
	export HEXIND_KEEPALIVE_REQUESTS=5
	env_file "$BATS_TEST_TMPDIR/env"
	PORT=$(free_port)
	systemd-socket-activate -l "127.0.0.1:$PORT" -a --inetd \
	    -E ASAN_OPTIONS=detect_leaks=0 strace -f -qq \
	    -o "$BATS_TEST_TMPDIR/trace" -e trace=setsockopt \
	    "$HEXIND" --env-file "$BATS_TEST_TMPDIR/env" \
	    2>>"$BATS_TEST_TMPDIR/activate.err" &
	PIDS+=($!)
	wait_for port_open "$PORT"
	run curl -sS -f "http://127.0.0.1:$PORT/health"
	[ "$status" -eq 0 ]
	wait_for grep -q 'access peer=' "$BATS_TEST_TMPDIR/activate.err"
	grep -q 'setsockopt(1, SOL_TCP, TCP_NODELAY, \[1\], 4) = 0' "$BATS_TEST_TMPDIR/trace"
}
