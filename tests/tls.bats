# Hexin over https: certificates verified against the system's CA store
# or HEXIND_CA_FILE, the system's OpenSSL policy applied, and openssl.cnf
# read only by a process that makes an https call.
load helpers

CHAT='{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}'
STREAM='{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"yo"}]}'

# A test CA, a certificate it signs for 127.0.0.1, and one it signs for
# another name; made once for the file.
setup_file() {
	local d=$BATS_FILE_TMPDIR
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -subj /CN=hexind-test-ca -days 2 -keyout "$d/ca.key" \
	    -out "$d/ca.pem" 2>/dev/null
	for n in ip:IP:127.0.0.1 name:DNS:hexin.invalid; do
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		    -subj /CN=upstream -keyout "$d/${n%%:*}.key" \
		    -out "$d/${n%%:*}.csr" 2>/dev/null
		printf 'subjectAltName=%s\n' "${n#*:}" >"$d/${n%%:*}.ext"
		openssl x509 -req -in "$d/${n%%:*}.csr" -CA "$d/ca.pem" \
		    -CAkey "$d/ca.key" -CAcreateserial -days 2 \
		    -extfile "$d/${n%%:*}.ext" -out "$d/${n%%:*}.pem" 2>/dev/null
	done
	# The policy a system could set in openssl.cnf: TLS 1.3 at least.
	cat >"$d/tls13.cnf" <<-'EOF'
	openssl_conf = openssl_init
	[openssl_init]
	ssl_conf = ssl_sect
	[ssl_sect]
	system_default = system_default_sect
	[system_default_sect]
	MinProtocol = TLSv1.3
	EOF
}

setup() {
	common_setup
	# The curl tool (not hexind's libcurl) trusts the test CA, for the
	# fake's control routes.
	export CURL_CA_BUNDLE=$BATS_FILE_TMPDIR/ca.pem
}

# tls_fake CERT [ARGS...]: the fake over https with CERT (ip or name).
tls_fake() {
	local c=$BATS_FILE_TMPDIR/$1
	shift
	start_fake --tls-cert "$c.pem" --tls-key "$c.key" "$@"
	FAKE=https://127.0.0.1:$FAKE_PORT
	export HITHINK_APP_URL=$FAKE/vtuber/auth/api/oauth/v1/login
	export HITHINK_BASE_URL=$FAKE/vtuber/ai_access
}

# recorded FIELD: FIELD of each request the fake recorded, one a line.
recorded() {
	curl -sS -f "$FAKE/_fake/requests" | "$PY" -S -c '
import json, sys
for r in json.load(sys.stdin)["requests"]:
    print(r[sys.argv[1]])' "$1"
}

# The TLS versions of the fake's recorded requests, one a line.
tls_versions() {
	recorded tls
}

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

@test "the system's OpenSSL policy applies to https calls" {
	tls_fake ip --tls-max 1.2
	export HEXIND_CA_FILE=$BATS_FILE_TMPDIR/ca.pem
	# no policy: TLS 1.2 is fine
	OPENSSL_CONF=/dev/null post /v1/chat/completions "$CHAT"
	assert_status 200
	[ "$(tls_versions)" = "$(printf 'TLSv1.2\nTLSv1.2')" ]
	# openssl.cnf asks for TLS 1.3: the 1.2-only upstream is refused
	OPENSSL_CONF=$BATS_FILE_TMPDIR/tls13.cnf post /v1/chat/completions "$CHAT"
	assert_openai_error 502
}

# traced NAME: hexind on $REQ under strace, the files it opens in NAME.trace
# (LeakSanitizer cannot run under ptrace).
traced() {
	ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=open,openat \
	    -o "$BATS_TEST_TMPDIR/$1.trace" "$HEXIND" <"$REQ" >"$RAW" 2>>"$ERR"
}

@test "openssl.cnf is read by a process that calls https, not by one that calls http" {
	export OPENSSL_CONF=$BATS_FILE_TMPDIR/tls13.cnf
	start_fake
	write_request /v1/chat/completions "$CHAT"
	traced http
	head -n 1 "$RAW" | grep -q ' 200 '
	[ "$(grep -cF tls13.cnf "$BATS_TEST_TMPDIR/http.trace")" -eq 0 ]
	tls_fake ip
	export HEXIND_CA_FILE=$BATS_FILE_TMPDIR/ca.pem
	# TLS 1.3 meets the policy
	traced https
	head -n 1 "$RAW" | grep -q ' 200 '
	grep -qF tls13.cnf "$BATS_TEST_TMPDIR/https.trace"
}

@test "OpenSSL starts while the connection to Hexin opens, not once it is made" {
	tls_fake ip
	export HEXIND_CA_FILE=$BATS_FILE_TMPDIR/ca.pem
	write_request /v1/chat/completions "$CHAT"
	ASAN_OPTIONS=detect_leaks=0 strace -f -qq \
	    -e trace=connect,getrandom,getsockopt \
	    -o "$BATS_TEST_TMPDIR/trace" "$HEXIND" <"$REQ" >"$RAW" 2>>"$ERR"
	head -n 1 "$RAW" | grep -q ' 200 ' || { cat "$RAW" "$ERR"; false; }
	# OpenSSL's random generator takes its seed (a getrandom of 32
	# bytes or more) after curl's connect() and before curl finds the
	# connection made (SO_ERROR)
	awk '/connect\(/ && !c { c = NR }
	    c && /getrandom\(/ && $NF + 0 >= 32 && !g { g = NR }
	    c && /SO_ERROR/ && !s { s = NR }
	    END { exit !(c && g > c && s > g) }' "$BATS_TEST_TMPDIR/trace" ||
	    { cat "$BATS_TEST_TMPDIR/trace"; false; }
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

json_count() {
	"$PY" -S -c 'import json, sys; print(len(json.load(sys.stdin)["requests"]))'
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
