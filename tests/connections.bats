# The ways a connection reaches hexind: a pipe, systemd socket activation
# (the connection on fd 3, or on fd 0/1 with --inetd), and an inetd that
# hands the client socket over as fd 2 too.
load helpers

setup() {
	common_setup
	ENVF=$BATS_TEST_TMPDIR/hexind.env
	env_file "$ENVF"
}

@test "a plain pipe is served on stdout" {
	send $'GET /v1/models HTTP/1.0\r\nAuthorization: Bearer '"$KEY"$'\r\n\r\n'
	assert_status 200
	[ "$status" -eq 0 ]
	[ "$(json "j['object']")" = list ]
}

@test "systemd-socket-activate with Accept=yes serves curl on fd 3" {
	activate "$ENVF"
	run curl -sS -i -H "Authorization: Bearer $KEY" \
	    "http://127.0.0.1:$PORT/v1/models"
	assert_status 200
	[ "$(json "len(j['data'])")" -ge 18 ]
}

@test "systemd-socket-activate --inetd serves curl on stdin and stdout" {
	activate --inetd "$ENVF"
	run curl -sS -i "http://127.0.0.1:$PORT/health"
	assert_status 200
	[ "$(json "j['status']")" = healthy ]
}

@test "raw requests through nc get answered and the connection closed" {
	activate "$ENVF"
	run bash -c "printf 'GET /health HTTP/1.1\r\nHost: t\r\n\r\n' |
	    timeout 10 nc -N 127.0.0.1 $PORT"
	assert_status 200
	[ "$(header connection)" = close ]
}

@test "one process per connection: concurrent clients are all served" {
	activate "$ENVF"
	local i curls=()
	for i in $(seq 20); do
		curl -sS -o "$BATS_TEST_TMPDIR/r$i" -w '%{http_code}\n' \
		    -H "x-api-key: $KEY" "http://127.0.0.1:$PORT/v1/models" \
		    >"$BATS_TEST_TMPDIR/c$i" &
		curls+=($!)
	done
	wait "${curls[@]}"
	for i in $(seq 20); do
		[ "$(cat "$BATS_TEST_TMPDIR/c$i")" = 200 ]
	done
}

@test "diagnostics never reach the client when fd 2 is the client socket" {
	# xinetd passes the socket as fds 0, 1 and 2.
	PORT=$(free_port)
	systemd-socket-activate -l "127.0.0.1:$PORT" -a --inetd \
	    sh -c 'exec "$0" --env-file "$1" 2>&1' "$HEXIND" "$ENVF" \
	    2>>"$BATS_TEST_TMPDIR/activate.err" &
	PIDS+=($!)
	wait_for port_open "$PORT"
	run bash -c "printf 'GET /v1/nothing HTTP/1.0\r\n\r\n' |
	    timeout 10 nc -N 127.0.0.1 $PORT"
	assert_status 404
	[ "$(printf '%s\n' "$output" | grep -c 'access\|hexind\[')" -eq 0 ]
	# the whole response is the head and the JSON body, nothing after
	body | python3 -c 'import json,sys; json.load(sys.stdin)'
}

@test "the access line goes to stderr when stderr is not a socket" {
	send $'GET /health HTTP/1.0\r\nX-Request-ID: trace-1\r\n\r\n'
	assert_status 200
	grep -q 'access peer=- method=GET path=/health status=200 .* id=trace-1$' "$ERR"
}

# journal_stream MATCH: hexind answers GET /health with stderr on a socket
# whose DEV:INODE $JOURNAL_STREAM names (MATCH=1) or not (0); prints what
# reached that socket.
journal_stream() {
	"$PY" -S -c '
import os, socket, subprocess, sys
a, b = socket.socketpair()
st = os.fstat(a.fileno())
ino = st.st_ino if sys.argv[2] == "1" else st.st_ino + 1
env = dict(os.environ, JOURNAL_STREAM="%d:%d" % (st.st_dev, ino))
p = subprocess.run([sys.argv[1]], input=b"GET /health HTTP/1.0\r\nX-Request-ID: js-1\r\n\r\n",
                   stdout=subprocess.DEVNULL, stderr=a.fileno(), env=env, timeout=20)
a.close()
b.settimeout(10)
out = b""
while True:
    d = b.recv(65536)
    if not d:
        break
    out += d
sys.stdout.write(out.decode())
sys.exit(p.returncode)' "$HEXIND" "$1"
}

@test "under systemd the lines go to the journal stream \$JOURNAL_STREAM names, with their priority" {
	run journal_stream 1
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | grep -q '^<6>info: access peer=- method=GET path=/health status=200 .* id=js-1$'
	# a socket on stderr that is not the journal's is a client's: nothing
	run journal_stream 0
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "the access line names the peer address on a socket" {
	activate "$ENVF"
	run curl -sS -H 'X-Request-ID: peer-test' "http://127.0.0.1:$PORT/health"
	[ "$status" -eq 0 ]
	wait_for grep -q 'id=peer-test' "$BATS_TEST_TMPDIR/activate.err"
	grep 'id=peer-test' "$BATS_TEST_TMPDIR/activate.err" |
	    grep -q 'access peer=127\.0\.0\.1:[0-9]* method=GET path=/health status=200'
}

@test "the access line names the peer of a client that resets as soon as it has its answer" {
	# strace holds each getpeername(2) back 300 ms: one made after the
	# answer would see the reset and find no peer
	local port=$(free_port)
	# (LeakSanitizer cannot run under ptrace)
	systemd-socket-activate -l "127.0.0.1:$port" -a --inetd \
	    -E ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o /dev/null -e trace=getpeername \
	    -e inject=getpeername:delay_enter=300000 \
	    "$HEXIND" --env-file "$ENVF" 2>>"$BATS_TEST_TMPDIR/activate.err" &
	PIDS+=($!)
	wait_for port_open "$port"
	"$PY" -S -c '
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\nX-Request-ID: reset-peer\r\n\r\n")
data = b""
while not data.endswith(b"}"):
    data += s.recv(4096)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()' "$port"
	wait_for grep -q 'id=reset-peer' "$BATS_TEST_TMPDIR/activate.err"
	grep 'id=reset-peer' "$BATS_TEST_TMPDIR/activate.err" |
	    grep -q 'access peer=127\.0\.0\.1:[0-9]* '
}

@test "LISTEN_FDS meant for another process is ignored" {
	run bash -c 'printf "GET /health HTTP/1.0\r\n\r\n" |
	    LISTEN_PID=1 LISTEN_FDS=1 "$0" 2>>"$1"' "$HEXIND" "$ERR"
	assert_status 200
}
