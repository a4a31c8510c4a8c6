# Request bodies: Content-Length and chunked framing, the body limit,
# Transfer-Encoding rules and Expect: 100-continue. POST
# /v1/chat/completions looks into its body only after reading all of it,
# so its verdict on the JSON proves a body was accepted.
load helpers

CHAT=$'POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer '"$KEY"$'\r\n'

# chat HEADERS-AND-BODY [ARGS...]: an authenticated chat request; the
# argument follows the Host and Authorization fields.
chat() {
	send "$CHAT$1" "${@:2}"
}

# The body was read to its end and the chat handler judged it (these
# bodies are "{}" or not JSON at all).
assert_accepted() {
	assert_status 400
	json "j['error']['message']" | grep -Eq '^(the request body is not valid JSON|you must provide a model)'
	[ "$(header connection)" = close ]
	[ "$(header content-length)" -gt 0 ]
}

# A chunked body of N 'a' bytes in chunks of at most SIZE bytes.
chunked_body() {
	"$PY" -S -c '
import sys
n, size = int(sys.argv[1]), int(sys.argv[2])
out = ""
while n > 0:
    k = min(n, size)
    out += "%x\r\n%s\r\n" % (k, "a" * k)
    n -= k
sys.stdout.write(out + "0\r\n\r\n")' "$1" "$2"
}

# --- Content-Length ---

@test "a Content-Length body is read and the request reaches its handler" {
	chat $'Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}'
	assert_accepted
	[ "$status" -eq 0 ]
}

@test "a body of exactly HEXIND_MAX_BODY_BYTES is accepted" {
	export HEXIND_MAX_BODY_BYTES=2048
	chat $'Content-Length: 2048\r\n\r\n'"$(printf 'a%.0s' $(seq 2048))"
	assert_accepted
}

@test "a Content-Length over HEXIND_MAX_BODY_BYTES gets 413" {
	export HEXIND_MAX_BODY_BYTES=2048
	chat $'Content-Length: 2049\r\n\r\n'"$(printf 'a%.0s' $(seq 2049))"
	assert_openai_error 413 'too large'
	[ "$(json "j['error']['code']")" = request_too_large ]
}

@test "a Content-Length over the default 32 MiB limit gets 413 before any body is sent" {
	chat $'Content-Length: 33554433\r\n\r\n'
	assert_openai_error 413 'too large'
}

@test "a Content-Length too large for 64 bits is refused with 413 or 400" {
	chat $'Content-Length: 99999999999999999999999\r\n\r\nhello'
	[[ "$(status_code)" =~ ^(400|413)$ ]]
	assert_openai_error "$(status_code)" ''
}

@test "a non-numeric Content-Length gets 400" {
	chat $'Content-Length: abc\r\n\r\nabc'
	assert_openai_error 400 'Content-Length'
}

@test "a negative Content-Length gets 400" {
	chat $'Content-Length: -5\r\n\r\nhello'
	assert_openai_error 400 'Content-Length'
}

@test "a Content-Length with a plus sign gets 400" {
	chat $'Content-Length: +5\r\n\r\nhello'
	assert_openai_error 400 'Content-Length'
}

@test "an empty Content-Length gets 400" {
	chat $'Content-Length:\r\n\r\nhello'
	assert_openai_error 400 'Content-Length'
}

@test "two differing Content-Length fields get 400" {
	chat $'Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!'
	assert_openai_error 400 'Content-Length'
}

@test "a Content-Length list with differing values gets 400" {
	chat $'Content-Length: 5, 6\r\n\r\nhello!'
	assert_openai_error 400 'Content-Length'
}

@test "two identical Content-Length fields are accepted" {
	chat $'Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello'
	assert_accepted
}

@test "a Content-Length list of one repeated value is accepted" {
	chat $'Content-Length: 5, 5\r\n\r\nhello'
	assert_accepted
}

@test "a body shorter than its Content-Length then EOF ends the process without a success" {
	chat $'Content-Length: 100\r\n\r\nonly ten b'
	[ "$status" -eq 0 ]
	! printf '%s\n' "$output" | grep -q '^HTTP/1\.1 2' || false
	! printf '%s\n' "$output" | grep -q '^HTTP/1\.1 501' || false
}

@test "a request after a Content-Length body is not answered" {
	chat $'Content-Length: 2\r\n\r\n{}GET /health HTTP/1.1\r\nHost: a\r\n\r\n'
	assert_accepted
	[ "$(printf '%s\n' "$output" | grep -c '^HTTP/')" -eq 1 ]
}

# --- chunked ---

@test "a chunked body is accepted" {
	chat $'Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n'
	assert_accepted
}

@test "a request after a chunked body is not answered" {
	chat $'Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\nGET /health HTTP/1.1\r\nHost: a\r\n\r\n'
	assert_accepted
	[ "$(printf '%s\n' "$output" | grep -c '^HTTP/')" -eq 1 ]
}

@test "a chunked body with chunk extensions is accepted" {
	chat $'Transfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6 ; name="v"\r\n world\r\n0;last\r\n\r\n'
	assert_accepted
}

@test "a chunked body with trailer fields is accepted" {
	chat $'Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n'
	assert_accepted
}

@test "uppercase hex chunk sizes are accepted" {
	chat $'Transfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n1F\r\n'"$(printf 'b%.0s' $(seq 31))"$'\r\n0\r\n\r\n'
	assert_accepted
}

@test "a chunked body of exactly HEXIND_MAX_BODY_BYTES is accepted" {
	export HEXIND_MAX_BODY_BYTES=2048
	{
		printf '%s' "$CHAT"$'Transfer-Encoding: chunked\r\n\r\n'
		chunked_body 2048 1024
	} >"$BATS_TEST_TMPDIR/req"
	send_file "$BATS_TEST_TMPDIR/req"
	assert_accepted
}

@test "a chunked body over HEXIND_MAX_BODY_BYTES gets 413" {
	export HEXIND_MAX_BODY_BYTES=2048
	{
		printf '%s' "$CHAT"$'Transfer-Encoding: chunked\r\n\r\n'
		chunked_body 2049 1024
	} >"$BATS_TEST_TMPDIR/req"
	send_file "$BATS_TEST_TMPDIR/req"
	assert_openai_error 413 'too large'
}

@test "a chunk size with more than 16 hex digits gets 400" {
	chat $'Transfer-Encoding: chunked\r\n\r\n00000000000000005\r\nhello\r\n0\r\n\r\n'
	assert_openai_error 400 'chunk size'
}

@test "a missing CRLF after chunk data gets 400" {
	chat $'Transfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n0\r\n\r\n'
	assert_openai_error 400 'chunked'
}

@test "a bare LF in the chunk framing gets 400" {
	chat $'Transfer-Encoding: chunked\r\n\r\n5\nhello\n0\n\n'
	assert_openai_error 400 'chunked'
}

@test "a bare LF after chunk data gets 400" {
	chat $'Transfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n'
	assert_openai_error 400 'chunked'
}

@test "a non-hex chunk size gets 400" {
	chat $'Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n'
	assert_openai_error 400 'chunked'
}

@test "a chunked body cut off by EOF ends the process without a success" {
	chat $'Transfer-Encoding: chunked\r\n\r\n5\r\nhel'
	[ "$status" -eq 0 ]
	! printf '%s\n' "$output" | grep -q '^HTTP/1\.1 2' || false
	! printf '%s\n' "$output" | grep -q '^HTTP/1\.1 501' || false
}

# --- Transfer-Encoding rules ---

@test "Content-Length together with Transfer-Encoding gets 400" {
	chat $'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'
	assert_openai_error 400 'both Content-Length and Transfer-Encoding'
}

@test "Transfer-Encoding gzip gets 501" {
	chat $'Transfer-Encoding: gzip\r\n\r\n'
	assert_openai_error 501 'chunked'
}

@test "Transfer-Encoding gzip, chunked gets 501" {
	chat $'Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'
	assert_openai_error 501 'chunked'
}

@test "Transfer-Encoding chunked, chunked gets 400" {
	chat $'Transfer-Encoding: chunked, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'
	assert_openai_error 400 'Transfer-Encoding'
}

@test "two Transfer-Encoding chunked fields get 400" {
	chat $'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'
	assert_openai_error 400 'Transfer-Encoding'
}

@test "chunked not last in Transfer-Encoding is refused" {
	chat $'Transfer-Encoding: chunked, gzip\r\n\r\n5\r\nhello\r\n0\r\n\r\n'
	[[ "$(status_code)" =~ ^(400|501)$ ]]
	assert_openai_error "$(status_code)" 'chunked'
}

@test "Transfer-Encoding in an HTTP/1.0 request gets 400" {
	send $'POST /v1/chat/completions HTTP/1.0\r\nAuthorization: Bearer '"$KEY"$'\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'
	assert_openai_error 400 'HTTP/1.0'
}

@test "a framing error on /v1/messages is answered in Anthropic's shape" {
	send $'POST /v1/messages HTTP/1.1\r\nHost: a\r\nx-api-key: '"$KEY"$'\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab'
	assert_anthropic_error 400 invalid_request_error
	[ "$(header content-type)" = application/json ]
	json "j['error']['message']" | grep -q 'Content-Length'
}

# --- Expect ---

@test "curl sending a large body with Expect: 100-continue gets 100 Continue and then the answer" {
	env_file "$BATS_TEST_TMPDIR/hexind.env"
	activate "$BATS_TEST_TMPDIR/hexind.env"
	printf 'a%.0s' $(seq 2000) >"$BATS_TEST_TMPDIR/body"
	run curl -sS -i --max-time 10 -H 'Expect: 100-continue' \
	    -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
	    --data-binary @"$BATS_TEST_TMPDIR/body" \
	    "http://127.0.0.1:$PORT/v1/chat/completions"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | head -n 1)" = $'HTTP/1.1 100 Continue\r' ]
	[ "$(printf '%s\n' "$output" | grep -c '^HTTP/')" -eq 2 ]
	output=${output#*$'\r\n\r\n'}
	assert_accepted
}

@test "a raw client that waits for 100 Continue before sending its body gets it and then the answer" {
	local line rd
	env_file "$BATS_TEST_TMPDIR/hexind.env"
	activate "$BATS_TEST_TMPDIR/hexind.env"
	coproc NC { exec timeout 10 nc -N 127.0.0.1 "$PORT"; }
	PIDS+=("$NC_PID")
	# bash closes the coproc's fds when it exits: keep our own copy
	exec {rd}<&"${NC[0]}"
	printf '%s' "$CHAT"$'Expect: 100-continue\r\nContent-Length: 5\r\n\r\n' >&"${NC[1]}"
	# blocks until hexind speaks: the body has not been sent
	IFS= read -r -t 5 line <&"$rd"
	[ "$line" = $'HTTP/1.1 100 Continue\r' ]
	IFS= read -r -t 5 line <&"$rd"
	[ "$line" = $'\r' ]
	printf 'hello' >&"${NC[1]}"
	eval "exec ${NC[1]}>&-"
	output=$(timeout 5 cat <&"$rd")
	exec {rd}<&-
	assert_accepted
}

@test "an Expect value other than 100-continue gets 417" {
	chat $'Expect: something-else\r\nContent-Length: 5\r\n\r\nhello'
	assert_openai_error 417 '100-continue'
	! printf '%s\n' "$output" | grep -q '100 Continue' || false
}

@test "an unauthenticated request with Expect: 100-continue gets its 401 without 100 Continue" {
	send $'POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n'
	assert_openai_error 401 'API key'
	[ -n "$(header www-authenticate)" ]
	[ "$(printf '%s\n' "$output" | grep -c '^HTTP/')" -eq 1 ]
	! printf '%s\n' "$output" | grep -q '100 Continue' || false
}

@test "an unauthenticated curl with Expect: 100-continue gets its 401 without 100 Continue" {
	env_file "$BATS_TEST_TMPDIR/hexind.env"
	activate "$BATS_TEST_TMPDIR/hexind.env"
	printf 'a%.0s' $(seq 2000) >"$BATS_TEST_TMPDIR/body"
	run curl -sS -i --max-time 10 -H 'Expect: 100-continue' \
	    --data-binary @"$BATS_TEST_TMPDIR/body" \
	    "http://127.0.0.1:$PORT/v1/chat/completions"
	[ "$status" -eq 0 ]
	assert_openai_error 401 'API key'
	! printf '%s\n' "$output" | grep -q '100 Continue' || false
}

# --- a body where none is wanted ---

@test "a GET with a body on a route that takes none is still answered" {
	send $'GET /health HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello'
	assert_status 200
	[ "$(header content-type)" = application/json ]
	[ "$(json "j['status']")" = healthy ]
}
