# Hexin over https, in every build: certificates verified against the
# system's CA store or HEXIND_CA_FILE, the host named, TLS 1.3 where the
# server speaks it, keep-alive, and sessions resumed across processes.
load helpers
load tls-helpers

@test "with HEXIND_CA_FILE an https upstream answers a chat and a stream over TLS" {
	tls_fake ip
	export HEXIND_CA_FILE=$BATS_FILE_TMPDIR/ca.pem
	post /v1/chat/completions "$CHAT"
	assert_status 200
	[ "$(json "j['choices'][0]['message']['role']")" = assistant ]
	post /v1/chat/completions "$STREAM"
	assert_status 200
	printf '%s' "$output" | grep -q '^data: \[DONE\]'
	# the login and both calls went over TLS 1.3
	[ "$(tls_versions | sort -u)" = TLSv1.3 ]
	[ "$(tls_versions | wc -l)" -eq 3 ]
}

@test "a certificate the system's CA store does not vouch for is refused with 502" {
	tls_fake ip
	post /v1/chat/completions "$CHAT"
	assert_openai_error 502 certificate
	[ "$(curl -sS -f "$FAKE/_fake/requests" | json_count)" -eq 0 ]
}

@test "without HEXIND_CA_FILE the CA is looked up in HEXIND_CA_DIR by hash, and no bundle is read" {
	tls_fake ip
	local dir=$BATS_TEST_TMPDIR/cadir
	mkdir -p "$dir"
	cp "$BATS_FILE_TMPDIR/ca.pem" "$dir/hexind-test-ca.pem"
	openssl rehash "$dir"
	export HEXIND_CA_DIR=$dir
	write_request /v1/chat/completions "$CHAT"
	traced cadir
	head -n 1 "$RAW" | grep -q ' 200 '
	# the issuer, by its hash name; no bundle file, no other certificate
	grep -q "$dir/[0-9a-f]\{8\}\.0\"" "$BATS_TEST_TMPDIR/cadir.trace"
	! grep -qF ca-certificates.crt "$BATS_TEST_TMPDIR/cadir.trace" || false
	[ "$(grep -c '/etc/ssl/certs/' "$BATS_TEST_TMPDIR/cadir.trace")" -eq 0 ]
	# a directory without the issuer vouches for nothing
	HEXIND_CA_DIR=$BATS_TEST_TMPDIR post /v1/chat/completions "$CHAT"
	assert_openai_error 502 certificate
}

@test "a certificate for another name is refused with 502, even from the trusted CA" {
	tls_fake name
	export HEXIND_CA_FILE=$BATS_FILE_TMPDIR/ca.pem
	post /v1/chat/completions "$CHAT"
	assert_openai_error 502
	# (the curl tool is told the fake's name, which hexind was not)
	[ "$(curl -sS -f --resolve "hexin.invalid:$FAKE_PORT:127.0.0.1" \
	    "https://hexin.invalid:$FAKE_PORT/_fake/requests" | json_count)" -eq 0 ]
}

@test "a CA file that cannot be read fails the call with 502, not the process" {
	tls_fake ip
	export HEXIND_CA_FILE=$BATS_TEST_TMPDIR/missing.pem
	post /v1/chat/completions "$CHAT"
	assert_openai_error 502
	[ "$status" -eq 0 ]
}

@test "under keep-alive the TLS connection to Hexin carries the next request" {
	tls_fake ip
	fake_set '{"upstream_keepalive":true}'
	export HEXIND_CA_FILE=$BATS_FILE_TMPDIR/ca.pem
	export HEXIND_KEEPALIVE_REQUESTS=5
	env_file "$BATS_TEST_TMPDIR/env"
	activate "$BATS_TEST_TMPDIR/env"
	local a=(-H "Authorization: Bearer $KEY" -H 'Content-Type: application/json'
	    -d "$CHAT" "http://127.0.0.1:$PORT/v1/chat/completions")
	run curl -sS -f -o /dev/null "${a[@]}" --next -o /dev/null "${a[@]}" \
	    --next -o /dev/null "${a[@]}"
	[ "$status" -eq 0 ]
	curl -sS -f "$FAKE/_fake/requests" | "$PY" -S -c '
import json, sys
calls = [r for r in json.load(sys.stdin)["requests"]
         if r["path"].endswith("/chat/completions")]
assert len(calls) == 3 and len({r["port"] for r in calls}) == 1, calls
assert all(r["tls"] == "TLSv1.3" for r in calls), calls'
}

@test "a login and the call it was made for share one TLS connection to Hexin" {
	tls_fake ip
	fake_set '{"upstream_keepalive":true}'
	export HEXIND_CA_FILE=$BATS_FILE_TMPDIR/ca.pem
	post /v1/chat/completions "$CHAT"
	assert_status 200
	curl -sS -f "$FAKE/_fake/requests" | "$PY" -S -c '
import json, sys
r = json.load(sys.stdin)["requests"]
assert [x["path"].rsplit("/", 1)[1] for x in r] == \
    ["login", "completions"], r
assert r[0]["port"] == r[1]["port"], r
assert [x["tls_resumed"] for x in r] == [False, False], r'
}

@test "the connection to Hexin is shut after the client has its answer" {
	tls_fake ip
	fake_set '{"upstream_keepalive":true}'
	export HEXIND_CA_FILE=$BATS_FILE_TMPDIR/ca.pem
	write_request /v1/chat/completions "$CHAT"
	# (LeakSanitizer cannot run under ptrace)
	ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=connect,write,close \
	    -o "$BATS_TEST_TMPDIR/trace" "$HEXIND" <"$REQ" >"$RAW" 2>>"$ERR"
	grep -q '^HTTP/1.1 200 ' "$RAW"
	# the answer's write to the client (fd 1), then the close of the
	# socket connected to the fake
	"$PY" -S -c '
import re, sys
lines = open(sys.argv[1]).read().splitlines()
up = [(i, m.group(1)) for i, l in enumerate(lines) for m in [re.search(
    r"connect\((\d+), .*htons\(" + sys.argv[2] + r"\)", l)] if m]
assert len(up) == 1, lines
answer = [i for i, l in enumerate(lines)
          if re.search(r"write\(1, \"HTTP/1.1 200 ", l)]
shut = [i for i, l in enumerate(lines) if i > up[0][0] and
        re.search(r"close\(" + up[0][1] + r"\)", l)]
assert len(answer) == 1 and shut, lines
assert answer[0] < shut[0], lines' "$BATS_TEST_TMPDIR/trace" "$FAKE_PORT"
}

@test "the static build checks a certificate's dates without reading a time zone file" {
	# (whatever build the suite runs: glibc's gmtime_r(), which OpenSSL
	# calls, reads /etc/localtime the first time)
	local HEXIND=$ROOT/hexind/hexind
	tls_fake ip
	export HEXIND_CA_FILE=$BATS_FILE_TMPDIR/ca.pem
	write_request /v1/chat/completions "$CHAT"
	traced static
	grep -q '^HTTP/1.1 200 ' "$RAW"
	# a full handshake: the CA read, the server's chain checked
	[ "$(resumed | head -n 1)" = False ]
	grep -q 'ca\.pem' "$BATS_TEST_TMPDIR/static.trace"
	! grep -E 'localtime|zoneinfo' "$BATS_TEST_TMPDIR/static.trace"
}

# s_server_trace GROUPS [N]: hexind's login, N times (1), each a fresh
# process, against openssl s_server taking only the key exchange GROUPS
# (empty: its defaults), which echoes lines reversed, no HTTP; its
# handshake trace in $BATS_TEST_TMPDIR/trace (its stdout: its other
# lines, on stderr, would land inside the trace's).
s_server_trace() {
	local port=$(free_port) pid
	openssl s_server -accept "127.0.0.1:$port" -cert "$BATS_FILE_TMPDIR/ip.pem" \
	    -key "$BATS_FILE_TMPDIR/ip.key" -rev -trace ${1:+-groups "$1"} \
	    -naccept "${2:-1}" >"$BATS_TEST_TMPDIR/trace" \
	    2>>"$BATS_TEST_TMPDIR/s_server.err" &
	pid=$!
	PIDS+=("$pid")
	# (a probe connection would count as one of the N)
	wait_for grep -q '^ACCEPT' "$BATS_TEST_TMPDIR/trace"
	export HITHINK_APP_URL=https://127.0.0.1:$port/login
	export HITHINK_BASE_URL=https://127.0.0.1:$port/x
	export HEXIND_CA_FILE=$BATS_FILE_TMPDIR/ca.pem
	export HEXIND_CACHE_DIR=$BATS_TEST_TMPDIR/cache
	export HITHINK_APP_ID=demo-app HITHINK_APP_SECRET=demo-secret
	local i
	for ((i = 0; i < ${2:-1}; i++)); do
		post /v1/chat/completions "$CHAT"
	done
	# it exits after N connections, its trace written whole
	wait_gone "$pid"
}

# The key exchange groups in the trace's key_share extensions, in turn.
key_shares() {
	grep -A1 'extension_type=key_share' "$BATS_TEST_TMPDIR/trace" |
	    sed -n 's/.*NamedGroup: \([^ ]*\).*/\1/p'
}

@test "the TLS key share offered is X25519, and a server without it is reached all the same" {
	s_server_trace
	# the login went over TLS and had the server's (reversed) echo
	assert_openai_error 502 "HTTP/0.9"
	[ "$(key_shares | tr '\n' ' ')" = "ecdh_x25519 ecdh_x25519 " ]
	s_server_trace P-256
	assert_openai_error 502 "HTTP/0.9"
	# the server asked for P-256, and had it
	[ "$(key_shares | tr '\n' ' ')" = "ecdh_x25519 secp256r1 secp256r1 secp256r1 " ]
}

@test "a fresh process resumes a session with the group it was made with" {
	s_server_trace P-256 2
	assert_openai_error 502 "HTTP/0.9"
	# the second process offered its session (a pre-shared key), and
	# the server took it
	[ "$(grep -c 'extension_type=psk(41)' "$BATS_TEST_TMPDIR/trace")" -ge 2 ]
	local first="ecdh_x25519 secp256r1 secp256r1 secp256r1"
	if grep -qa 'wolfSSL' "$HEXIND"; then
		# the static build offers the session's group at once: no
		# round trip for the server to ask for it
		[ "$(key_shares | tr '\n' ' ')" = "$first secp256r1 secp256r1 " ]
	else
		# OpenSSL offers X25519 each time, and is asked again
		[ "$(key_shares | tr '\n' ' ')" = "$first $first " ]
	fi
}

@test "a kept-alive process whose first call was plain http still speaks TLS to an https gateway" {
	tls_fake ip
	local tls=$FAKE
	start_fake
	export HEXIND_CA_FILE=$BATS_FILE_TMPDIR/ca.pem HEXIND_KEEPALIVE_REQUESTS=2
	export HEXIND_MODELS_FILE=$BATS_TEST_TMPDIR/models.json GW_TEST_KEY=gw-key
	printf '{"families": [{"name": "gw", "match": ["gw-*"], "route": "gateway", "base_url": "%s/gateway/v1", "key_env": "GW_TEST_KEY"}]}\n' \
	    "$tls" >"$HEXIND_MODELS_FILE"
	env_file "$BATS_TEST_TMPDIR/env"
	echo GW_TEST_KEY=gw-key >>"$BATS_TEST_TMPDIR/env"
	activate "$BATS_TEST_TMPDIR/env"
	local h=(-H "Authorization: Bearer $KEY" -H 'Content-Type: application/json')
	run curl -sS -f -o /dev/null "${h[@]}" -d "$CHAT" \
	    "http://127.0.0.1:$PORT/v1/chat/completions" --next -f -o /dev/null \
	    "${h[@]}" -d '{"model":"gw-1","messages":[{"role":"user","content":"hi"}]}' \
	    "http://127.0.0.1:$PORT/v1/chat/completions"
	[ "$status" -eq 0 ]
	# the plain fake had the login and the chat; the TLS one the gateway
	[ "$(curl -sS -f "$FAKE/_fake/requests" | json_count)" -eq 2 ]
	[ "$(FAKE=$tls recorded path)" = /gateway/v1/chat/completions ]
	[ "$(FAKE=$tls recorded tls)" = TLSv1.3 ]
}

# resumed: the fake's TLS records, one a line: "True" for a handshake
# that resumed a session, "False" for a full one.
resumed() {
	recorded tls_resumed
}

@test "a fresh process resumes the TLS session an earlier one was given, kept 0600 in the cache directory" {
	tls_fake ip
	export HEXIND_CA_FILE=$BATS_FILE_TMPDIR/ca.pem
	post /v1/chat/completions "$CHAT"
	assert_status 200
	local f
	f=$(find "$HEXIND_CACHE_DIR" -name 'tls-*')
	[ "$(printf '%s\n' "$f" | wc -l)" -eq 1 ]
	[ "$(stat -c %a "$f")" = 600 ]
	# the login made the full handshake; the chat, a new connection,
	# resumed the session the login was given
	[ "$(resumed)" = "$(printf 'False\nTrue')" ]
	post /v1/chat/completions "$STREAM"
	assert_status 200
	[ "$(resumed | tail -n 1)" = True ]
	# another CA setting is another site: no session of the first
	cp "$HEXIND_CA_FILE" "$BATS_TEST_TMPDIR/ca-copy.pem"
	HEXIND_CA_FILE=$BATS_TEST_TMPDIR/ca-copy.pem post /v1/chat/completions "$CHAT"
	assert_status 200
	[ "$(resumed | tail -n 1)" = False ]
	[ "$(find "$HEXIND_CACHE_DIR" -name 'tls-*' | wc -l)" -eq 2 ]
}

# chat_resumed True|False: a chat answered 200, whose handshake resumed a
# session (True) or was a full one (False).
chat_resumed() {
	post /v1/chat/completions "$CHAT"
	assert_status 200
	[ "$(resumed | tail -n 1)" = "$1" ]
}

# restart_fake CERT: the test's own fake stopped, and another started on
# its port with CERT: the same site, with ticket keys of its own.
restart_fake() {
	local port=$FAKE_PORT pid=${PIDS[-1]}
	kill "$pid"
	wait_gone "$pid"
	tls_fake "$1" --port "$port"
	[ "$FAKE_PORT" = "$port" ]
}

@test "a session the server no longer takes: the server verified afresh, and its new session kept" {
	tls_fake ip
	export HEXIND_CA_FILE=$BATS_FILE_TMPDIR/ca.pem
	post /v1/chat/completions "$CHAT"
	assert_status 200
	[ "$(resumed)" = "$(printf 'False\nTrue')" ]
	local f sum
	f=$(find "$HEXIND_CACHE_DIR" -name 'tls-*')
	sum=$(cksum <"$f")
	# at the same address, a server with a certificate for another name:
	# the kept session vouches for nothing
	restart_fake name
	post /v1/chat/completions "$CHAT"
	assert_openai_error 502
	# and one with the right certificate: a full handshake, whose
	# session replaces the one it would not take
	restart_fake ip
	post /v1/chat/completions "$CHAT"
	assert_status 200
	[ "$(resumed | head -n 1)" = False ]
	[ "$(cksum <"$f")" != "$sum" ]
	chat_resumed True
}

@test "a session kept before the CA file or directory changed is not resumed" {
	tls_fake ip
	local ca=$BATS_TEST_TMPDIR/ca.pem
	cp "$BATS_FILE_TMPDIR/ca.pem" "$ca"
	export HEXIND_CA_FILE=$ca
	post /v1/chat/completions "$CHAT"
	assert_status 200
	[ "$(resumed)" = "$(printf 'False\nTrue')" ]
	# the operator rewrites the file: what it trusts may have changed
	cp "$BATS_FILE_TMPDIR/ca.pem" "$ca.new"
	mv "$ca.new" "$ca"
	chat_resumed False
	# the session it was given then is kept with the file as it is
	chat_resumed True
	[ "$(find "$HEXIND_CACHE_DIR" -name 'tls-*' | wc -l)" -eq 1 ]
	# a directory: a certificate's link added (as openssl rehash does)
	unset HEXIND_CA_FILE
	export HEXIND_CA_DIR=$BATS_TEST_TMPDIR/cadir
	mkdir "$HEXIND_CA_DIR"
	cp "$BATS_FILE_TMPDIR/ca.pem" "$HEXIND_CA_DIR/test-ca.pem"
	openssl rehash "$HEXIND_CA_DIR"
	chat_resumed False
	chat_resumed True
	ln -s /etc/ssl/certs/ca-certificates.crt "$HEXIND_CA_DIR/system.pem"
	chat_resumed False
}

@test "a TLS session file that is a link, readable by others or corrupt is refused, and the call still made" {
	tls_fake ip
	export HEXIND_CA_FILE=$BATS_FILE_TMPDIR/ca.pem
	post /v1/chat/completions "$CHAT"
	local f n
	f=$(find "$HEXIND_CACHE_DIR" -name 'tls-*')
	chmod 644 "$f"
	post /v1/chat/completions "$CHAT"
	assert_status 200
	[ "$(resumed | tail -n 1)" = False ]
	err_has "not a private file of this user: refused"
	mv "$f" "$f.real"
	ln -s "$f.real" "$f"
	post /v1/chat/completions "$CHAT"
	assert_status 200
	[ "$(resumed | tail -n 1)" = False ]
	err_has "is a symbolic link: refused"
	rm "$f" "$f.real"
	printf 'not a session' >"$f"
	chmod 600 "$f"
	n=$(resumed | wc -l)
	post /v1/chat/completions "$CHAT"
	assert_status 200
	[ "$(resumed | sed -n "$((n + 1))p")" = False ]
	# the corrupt file was dropped for the session this call was given
	post /v1/chat/completions "$CHAT"
	[ "$(resumed | tail -n 1)" = True ]
}
