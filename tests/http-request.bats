# The request head: request line, header fields, limits, request ids.
# Every request goes in through a pipe; the rules are RFC 9112's.
load helpers

# The body's length in bytes, as the raw response has it ($output lost
# only trailing newlines, and the JSON bodies end without one).
body_bytes() {
	local LC_ALL=C b=${output#*$'\r\n\r\n'}
	echo "${#b}"
}

# What every response carries, whatever its status.
assert_common_headers() {
	printf '%s\n' "$output" | head -n 1 | grep -Eq $'^HTTP/1\\.1 [0-9]{3} [^\r]+\r$'
	[ "$(header connection)" = close ]
	[ "$(header content-length)" = "$(body_bytes)" ]
	header date | grep -Eq '^[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$'
	[ -n "$(header x-request-id)" ]
}

assert_fresh_id() {
	header x-request-id | grep -Eqx '[0-9a-f]{32}'
}

assert_healthy() {
	assert_status 200
	[ "$(header content-type)" = application/json ]
	[ "$(json "j['status']")" = healthy ]
}

# A head of exactly N bytes (an HTTP/1.0 GET /health padded by one field).
head_of() {
	python3 -c '
import sys
n = int(sys.argv[1])
pre, post = "GET /health HTTP/1.0\r\nX-Pad: ", "\r\n\r\n"
sys.stdout.write(pre + "a" * (n - len(pre) - len(post)) + post)' "$1"
}

# An HTTP/1.0 head with N header fields.
head_with_fields() {
	python3 -c '
import sys
sys.stdout.write("GET /health HTTP/1.0\r\n" +
    "".join("X-F%d: v\r\n" % i for i in range(int(sys.argv[1]))) + "\r\n")' "$1"
}

# --- versions and the response's own head ---

@test "an HTTP/1.0 request is answered with an HTTP/1.1 status line and the common headers" {
	send $'GET /health HTTP/1.0\r\n\r\n'
	assert_healthy
	assert_common_headers
	[ "$status" -eq 0 ]
}

@test "an HTTP/1.1 request is answered with an HTTP/1.1 status line and the common headers" {
	send $'GET /health HTTP/1.1\r\nHost: example\r\n\r\n'
	assert_healthy
	assert_common_headers
	[ "$status" -eq 0 ]
}

@test "the Date header is the time now, in UTC, computed without the time zone" {
	local before after got
	before=$(date -u +%s)
	send $'GET /health HTTP/1.0\r\n\r\n'
	after=$(date -u +%s)
	got=$(date -u -d "$(header date)" +%s)
	[ "$got" -ge "$before" ] && [ "$got" -le "$after" ]
	# and the calendar agrees with gmtime_r's over 8000 years
	run "$ROOT/build/clock-test"
	[ "$status" -eq 0 ]
}

@test "an error response carries the common headers too" {
	send $'GET /nowhere HTTP/1.1\r\nHost: example\r\n\r\n'
	assert_openai_error 404 'invalid url'
	assert_common_headers
}

@test "an authenticated route answers with the common headers" {
	send $'GET /v1/models HTTP/1.1\r\nHost: example\r\nAuthorization: Bearer '"$KEY"$'\r\n\r\n'
	assert_status 200
	[ "$(header content-type)" = application/json ]
	[ "$(json "j['object']")" = list ]
	assert_common_headers
}

# --- Host ---

@test "an HTTP/1.1 request without Host is refused with 400" {
	send $'GET /health HTTP/1.1\r\n\r\n'
	assert_openai_error 400 'without a host'
	assert_common_headers
}

@test "an HTTP/1.1 request with two Host headers is refused with 400" {
	send $'GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'
	assert_openai_error 400 'more than one host'
	assert_common_headers
}

@test "an HTTP/1.0 request with two Host headers is refused with 400" {
	send $'GET /health HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n'
	assert_openai_error 400 'more than one host'
	assert_common_headers
}

@test "an HTTP/1.0 request without Host is served" {
	send $'GET /health HTTP/1.0\r\n\r\n'
	assert_healthy
	[ "$(header connection)" = close ]
}

# --- malformed request lines ---

@test "a request line without a version (HTTP/0.9 style) is refused with 400" {
	send $'GET /health\r\n\r\n'
	assert_openai_error 400 'request line'
	assert_common_headers
}

@test "junk after the version is refused with 400" {
	send $'GET / HTTP/1.1 x\r\nHost: a\r\n\r\n'
	assert_openai_error 400 'version'
	assert_common_headers
}

@test "two spaces between method and target are refused with 400" {
	send $'GET  /health HTTP/1.1\r\nHost: a\r\n\r\n'
	assert_openai_error 400 'request target'
	assert_common_headers
}

@test "two spaces between target and version are refused with 400" {
	send $'GET /health  HTTP/1.1\r\nHost: a\r\n\r\n'
	assert_openai_error 400 'version'
	assert_common_headers
}

@test "a lowercase http version is refused with 400" {
	send $'GET /health http/1.1\r\nHost: a\r\n\r\n'
	assert_openai_error 400 'version'
	assert_common_headers
}

@test "a two-digit minor version HTTP/1.10 is refused with 400" {
	send $'GET /health HTTP/1.10\r\nHost: a\r\n\r\n'
	assert_openai_error 400 'version'
	assert_common_headers
}

@test "a target not starting with a slash is refused with 400" {
	send $'GET health HTTP/1.1\r\nHost: a\r\n\r\n'
	assert_openai_error 400 "start with '/'"
	assert_common_headers
}

@test "an asterisk target outside OPTIONS is refused with 400" {
	send $'GET * HTTP/1.1\r\nHost: a\r\n\r\n'
	assert_openai_error 400 "'*' target"
	assert_common_headers
}

@test "an asterisk target with OPTIONS is not a malformed request" {
	send $'OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n'
	[ "$(status_code)" != 400 ]
	[ "$(status_code)" -lt 500 ]
	assert_common_headers
	body | python3 -c 'import json,sys; json.load(sys.stdin)'
}

@test "an absolute-form target is routed by its path" {
	send $'GET http://example.com/health HTTP/1.1\r\nHost: example.com\r\n\r\n'
	assert_healthy
	assert_common_headers
}

@test "an absolute-form target of an authenticated route is routed by its path" {
	send $'GET http://example.com:8080/v1/models HTTP/1.1\r\nHost: example.com\r\nAuthorization: Bearer '"$KEY"$'\r\n\r\n'
	assert_status 200
	[ "$(json "j['object']")" = list ]
}

@test "a control byte in the target is refused with 400" {
	send $'GET /hea\x01lth HTTP/1.1\r\nHost: a\r\n\r\n'
	assert_openai_error 400 'invalid byte in the request target'
	assert_common_headers
}

@test "a tab in the target is refused with 400" {
	send $'GET /hea\tlth HTTP/1.1\r\nHost: a\r\n\r\n'
	assert_openai_error 400 'request target'
	assert_common_headers
}

@test "a non-ASCII byte in the target is refused with 400" {
	send $'GET /h\xc3\xa9alth HTTP/1.1\r\nHost: a\r\n\r\n'
	assert_openai_error 400 'invalid byte in the request target'
	assert_common_headers
}

@test "an empty method is refused with 400" {
	send $' /health HTTP/1.1\r\nHost: a\r\n\r\n'
	assert_openai_error 400 'method'
	assert_common_headers
}

@test "a method with an invalid character is refused with 400" {
	send $'GE@T /health HTTP/1.1\r\nHost: a\r\n\r\n'
	assert_openai_error 400 'method'
	assert_common_headers
}

# --- other versions ---

@test "HTTP/2.0 in a well-formed request line gets 505" {
	send $'GET /health HTTP/2.0\r\nHost: a\r\n\r\n'
	assert_openai_error 505 'HTTP/1.0 and HTTP/1.1'
	assert_common_headers
}

@test "HTTP/1.2 in a well-formed request line gets 505" {
	send $'GET /health HTTP/1.2\r\nHost: a\r\n\r\n'
	assert_openai_error 505 'HTTP/1.0 and HTTP/1.1'
	assert_common_headers
}

@test "an explicit HTTP/0.9 version token gets 505" {
	send $'GET /health HTTP/0.9\r\n\r\n'
	assert_openai_error 505 'HTTP/1.0 and HTTP/1.1'
	assert_common_headers
}

# --- header fields ---

@test "whitespace before the colon of a header is refused with 400" {
	send $'GET /health HTTP/1.1\r\nHost : a\r\n\r\n'
	assert_openai_error 400 'whitespace before the colon'
	assert_common_headers
}

@test "an obs-fold continuation line starting with a space is refused with 400" {
	send $'GET /health HTTP/1.1\r\nHost: a\r\nX-Long: one\r\n two\r\n\r\n'
	assert_openai_error 400 'line folding'
	assert_common_headers
}

@test "an obs-fold continuation line starting with a tab is refused with 400" {
	send $'GET /health HTTP/1.1\r\nHost: a\r\nX-Long: one\r\n\ttwo\r\n\r\n'
	assert_openai_error 400 'line folding'
	assert_common_headers
}

@test "a control byte in a header value is refused with 400" {
	send $'GET /health HTTP/1.1\r\nHost: a\r\nX-Thing: a\x01b\r\n\r\n'
	assert_openai_error 400 'control byte'
	assert_common_headers
}

@test "a bare CR inside a header value is refused with 400" {
	send $'GET /health HTTP/1.1\r\nHost: a\r\nX-Thing: a\rb\r\n\r\n'
	assert_openai_error 400 'control byte'
	assert_common_headers
}

@test "an invalid byte in a header name is refused with 400" {
	send $'GET /health HTTP/1.1\r\nHost: a\r\nX(Thing): v\r\n\r\n'
	assert_openai_error 400 'header name'
	assert_common_headers
}

@test "a NUL byte in a header value is refused with 400" {
	sendf 'GET /health HTTP/1.1\r\nHost: a\r\nX-Thing: a\000b\r\n\r\n'
	assert_openai_error 400 'NUL'
	assert_common_headers
}

@test "a NUL byte in the request line is refused with 400" {
	sendf 'GET /hea\000lth HTTP/1.1\r\nHost: a\r\n\r\n'
	assert_openai_error 400 'NUL'
	assert_common_headers
}

@test "a header line without a colon is refused with 400" {
	send $'GET /health HTTP/1.1\r\nHost: a\r\nNoColonHere\r\n\r\n'
	assert_openai_error 400 'malformed header'
	assert_common_headers
}

# --- line endings ---

@test "blank lines before the request line are ignored" {
	send $'\r\n\r\n\nGET /health HTTP/1.1\r\nHost: a\r\n\r\n'
	assert_healthy
	assert_common_headers
}

@test "bare LF line endings are accepted" {
	send $'GET /health HTTP/1.1\nHost: a\n\n'
	assert_healthy
	assert_common_headers
}

@test "a bare LF request without fields is accepted" {
	send $'GET /health HTTP/1.0\n\n'
	assert_healthy
}

# --- limits ---

@test "a head of exactly the default 16384 bytes is served" {
	head_of 16384 >"$BATS_TEST_TMPDIR/req"
	send_file "$BATS_TEST_TMPDIR/req"
	assert_healthy
}

@test "a head over the default 16384 bytes gets 431" {
	head_of 16385 >"$BATS_TEST_TMPDIR/req"
	send_file "$BATS_TEST_TMPDIR/req"
	assert_openai_error 431 'too large'
	assert_common_headers
}

@test "a lowered HEXIND_MAX_HEADER_BYTES serves a head of exactly that size" {
	export HEXIND_MAX_HEADER_BYTES=512
	head_of 512 >"$BATS_TEST_TMPDIR/req"
	send_file "$BATS_TEST_TMPDIR/req"
	assert_healthy
}

@test "a lowered HEXIND_MAX_HEADER_BYTES refuses a head one byte over with 431" {
	export HEXIND_MAX_HEADER_BYTES=512
	head_of 513 >"$BATS_TEST_TMPDIR/req"
	send_file "$BATS_TEST_TMPDIR/req"
	assert_openai_error 431 'too large'
	assert_common_headers
}

@test "a request line longer than the default limit gets 414" {
	send "GET /$(printf 'a%.0s' $(seq 17000)) HTTP/1.1"$'\r\nHost: a\r\n\r\n'
	assert_openai_error 414 'too long'
	assert_common_headers
}

@test "a request line longer than a lowered limit gets 414" {
	export HEXIND_MAX_HEADER_BYTES=256
	send "GET /$(printf 'a%.0s' $(seq 300)) HTTP/1.1"$'\r\nHost: a\r\n\r\n'
	assert_openai_error 414 'too long'
	assert_common_headers
}

@test "100 header fields are served by default" {
	head_with_fields 100 >"$BATS_TEST_TMPDIR/req"
	send_file "$BATS_TEST_TMPDIR/req"
	assert_healthy
}

@test "101 header fields get 431 by default" {
	head_with_fields 101 >"$BATS_TEST_TMPDIR/req"
	send_file "$BATS_TEST_TMPDIR/req"
	assert_openai_error 431 'too many header fields'
	assert_common_headers
}

@test "a lowered HEXIND_MAX_HEADERS serves exactly that many fields" {
	export HEXIND_MAX_HEADERS=5
	head_with_fields 5 >"$BATS_TEST_TMPDIR/req"
	send_file "$BATS_TEST_TMPDIR/req"
	assert_healthy
}

@test "a lowered HEXIND_MAX_HEADERS refuses one field more with 431" {
	export HEXIND_MAX_HEADERS=5
	head_with_fields 6 >"$BATS_TEST_TMPDIR/req"
	send_file "$BATS_TEST_TMPDIR/req"
	assert_openai_error 431 'too many header fields'
	assert_common_headers
}

# --- the end of the input ---

@test "a client that closes inside the head gets 400" {
	send $'GET /health HTTP/1.1\r\nHost: x\r\n'
	assert_openai_error 400 'closed inside the request head'
	assert_common_headers
	[ "$status" -eq 0 ]
}

@test "a client that sends nothing and closes gets no output and exit 0" {
	send ''
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "only the first of two pipelined requests is answered" {
	send $'GET /health HTTP/1.1\r\nHost: a\r\n\r\nGET /v1/nothing HTTP/1.1\r\nHost: a\r\n\r\n'
	assert_healthy
	[ "$(printf '%s\n' "$output" | grep -c '^HTTP/')" -eq 1 ]
	[ "$status" -eq 0 ]
}

# --- X-Request-ID ---

@test "a sane X-Request-ID is echoed in x-request-id" {
	send $'GET /health HTTP/1.0\r\nX-Request-ID: Trace.id_42-x\r\n\r\n'
	assert_healthy
	[ "$(header x-request-id)" = Trace.id_42-x ]
}

@test "a one-character X-Request-ID is echoed" {
	send $'GET /health HTTP/1.0\r\nX-Request-ID: z\r\n\r\n'
	assert_healthy
	[ "$(header x-request-id)" = z ]
}

@test "a 128-character X-Request-ID is echoed" {
	local id
	id=$(printf 'b%.0s' $(seq 128))
	send $'GET /health HTTP/1.0\r\nX-Request-ID: '"$id"$'\r\n\r\n'
	assert_healthy
	[ "$(header x-request-id)" = "$id" ]
}

@test "a 129-character X-Request-ID is replaced by a fresh id" {
	send $'GET /health HTTP/1.0\r\nX-Request-ID: '"$(printf 'b%.0s' $(seq 129))"$'\r\n\r\n'
	assert_healthy
	assert_fresh_id
}

@test "an X-Request-ID with a space is replaced by a fresh id" {
	send $'GET /health HTTP/1.0\r\nX-Request-ID: abc def\r\n\r\n'
	assert_healthy
	assert_fresh_id
}

@test "an X-Request-ID with a slash is replaced by a fresh id" {
	send $'GET /health HTTP/1.0\r\nX-Request-ID: abc/def\r\n\r\n'
	assert_healthy
	assert_fresh_id
}

@test "an empty X-Request-ID is replaced by a fresh id" {
	send $'GET /health HTTP/1.0\r\nX-Request-ID:\r\n\r\n'
	assert_healthy
	assert_fresh_id
}

@test "an error response echoes a sane X-Request-ID" {
	send $'GET /nowhere HTTP/1.0\r\nX-Request-ID: err-trace\r\n\r\n'
	assert_openai_error 404 'invalid url'
	[ "$(header x-request-id)" = err-trace ]
}

@test "two requests without X-Request-ID get different fresh ids" {
	local first
	send $'GET /health HTTP/1.0\r\n\r\n'
	assert_healthy
	assert_fresh_id
	first=$(header x-request-id)
	send $'GET /health HTTP/1.0\r\n\r\n'
	assert_healthy
	assert_fresh_id
	[ "$(header x-request-id)" != "$first" ]
}
