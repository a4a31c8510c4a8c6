# What the TLS suites share (tests/tls.bats, tests/tls-openssl.bats): a
# test CA and certificates, the fake over https, and what it recorded.
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

# traced NAME: hexind on $REQ under strace, the files it opens in NAME.trace
# (LeakSanitizer cannot run under ptrace).
traced() {
	ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=open,openat \
	    -o "$BATS_TEST_TMPDIR/$1.trace" "$HEXIND" <"$REQ" >"$RAW" 2>>"$ERR"
}

json_count() {
	"$PY" -S -c 'import json, sys; print(len(json.load(sys.stdin)["requests"]))'
}
