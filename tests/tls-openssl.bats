# Hexin over https through OpenSSL (the dynamic builds): the system's
# OpenSSL policy applied, openssl.cnf read only by a process that makes
# an https call, and OpenSSL started while the connection opens.
load helpers
load tls-helpers

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
