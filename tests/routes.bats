# The route table: paths with and without /v1, methods, HEAD, the
# endpoints still to come, and CORS.
load helpers

@test "an unknown path gets 404 in the OpenAI shape naming the path" {
	send $'GET /v1/nothing HTTP/1.0\r\n\r\n'
	assert_error 404 unknown_url "/v1/nothing"
}

@test "a wrong method gets 405 with an Allow header" {
	send $'POST /v1/models HTTP/1.0\r\nContent-Length: 0\r\n\r\n'
	assert_error 405 method_not_allowed
	[ "$(header allow)" = "GET, HEAD" ]
	send $'GET /v1/chat/completions HTTP/1.0\r\n\r\n'
	assert_error 405
	[ "$(header allow)" = POST ]
}

@test "every route also answers without the /v1 prefix" {
	send $'GET /models HTTP/1.0\r\nx-api-key: '"$KEY"$'\r\n\r\n'
	assert_status 200
	send $'GET /models/gpt-4o HTTP/1.0\r\nx-api-key: '"$KEY"$'\r\n\r\n'
	assert_status 200
	send $'POST /chat/completions HTTP/1.0\r\nx-api-key: '"$KEY"$'\r\nContent-Length: 2\r\n\r\n{}'
	assert_error 400 "" "model"
}

@test "the query string does not change the route" {
	send $'GET /health?probe=1 HTTP/1.0\r\n\r\n'
	assert_status 200
}

@test "HEAD on a GET route sends the head with its length and no body" {
	send $'HEAD /health HTTP/1.0\r\n\r\n'
	assert_status 200
	[ "$(header content-length)" -gt 0 ]
	[ -z "$(body)" ]
}

@test "count_tokens without messages answers 400 in the Anthropic shape" {
	send $'POST /v1/messages/count_tokens HTTP/1.0\r\nx-api-key: '"$KEY"$'\r\nContent-Length: 18\r\n\r\n{"model":"gpt-4o"}'
	assert_anthropic_error 400 invalid_request_error
	json "j['error']['message']" | grep -q 'messages'
}

@test "errors under /v1/messages speak Anthropic, also before auth" {
	send $'POST /v1/messages HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}'
	assert_anthropic_error 401 authentication_error
	send $'GET /v1/messages HTTP/1.0\r\n\r\n'
	assert_anthropic_error 405 invalid_request_error
	send $'POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n{}'
	assert_anthropic_error 400 invalid_request_error
}

@test "OPTIONS without configured origins is a 405" {
	send $'OPTIONS /v1/chat/completions HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\nAccess-Control-Request-Method: POST\r\n\r\n'
	assert_status 405
	[ -z "$(header access-control-allow-origin)" ]
}

@test "a CORS preflight from an allowed origin gets 204 without a key" {
	export HEXIND_CORS_ORIGINS='https://other.example, https://app.example'
	send $'OPTIONS /v1/chat/completions HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: authorization, content-type\r\n\r\n'
	assert_status 204
	[ "$(header access-control-allow-origin)" = https://app.example ]
	[ "$(header access-control-allow-methods)" = "POST, OPTIONS" ]
	[ "$(header access-control-allow-headers)" = "authorization, content-type" ]
	[ "$(header access-control-max-age)" = 600 ]
	[ "$(header vary)" = Origin ]
}

@test "a CORS preflight from another origin is refused" {
	export HEXIND_CORS_ORIGINS=https://app.example
	send $'OPTIONS /v1/models HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example\r\nAccess-Control-Request-Method: GET\r\n\r\n'
	assert_error 403 cors_forbidden
	[ -z "$(header access-control-allow-origin)" ]
}

@test "a preflight's odd request-headers list is replaced by the known one" {
	export HEXIND_CORS_ORIGINS='*'
	send $'OPTIONS /v1/models HTTP/1.1\r\nHost: x\r\nOrigin: https://a.example\r\nAccess-Control-Request-Headers: x(y)\r\n\r\n'
	assert_status 204
	header access-control-allow-headers | grep -q '^authorization, content-type, x-api-key'
	[ "$(header access-control-allow-origin)" = '*' ]
}

@test "answers to an allowed origin carry the CORS headers" {
	export HEXIND_CORS_ORIGINS=https://app.example
	send $'GET /v1/models HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\nx-api-key: '"$KEY"$'\r\n\r\n'
	assert_status 200
	[ "$(header access-control-allow-origin)" = https://app.example ]
	header access-control-expose-headers | grep -q x-request-id
	send $'GET /v1/models HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example\r\nx-api-key: '"$KEY"$'\r\n\r\n'
	assert_status 200
	[ -z "$(header access-control-allow-origin)" ]
}

@test "/health needs no key and shows no secret" {
	export HITHINK_APP_ID=app-1 HITHINK_APP_SECRET=very-secret-value
	send $'GET /health HTTP/1.0\r\n\r\n'
	assert_status 200
	[ "$(json "j['status']")" = healthy ]
	[ "$(json "j['credentials']")" = True ]
	[ "$(json "j['version']")" = "$("$HEXIND" --version | cut -d' ' -f2)" ]
	[[ $output != *very-secret-value* ]]
	[[ $output != *"$KEY"* ]]
}

# Every request pays for a process start: what it does not need, it must
# not start (curl, TLS, the model table; the local time zone, which no
# answer shows).
@test "health, a refused request and a body that is not JSON start no curl, TLS, model table or time zone" {
	local r
	printf '{"models": [{"id": "my-model"}]}\n' >"$BATS_TEST_TMPDIR/models.json"
	: >"$BATS_TEST_TMPDIR/openssl.cnf"
	for r in $'GET /health HTTP/1.0\r\n\r\n' \
	    $'POST /v1/chat/completions HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}' \
	    $'POST /v1/chat/completions HTTP/1.0\r\nAuthorization: Bearer '"$KEY"$'\r\nContent-Length: 3\r\n\r\n{x}'; do
		printf '%s' "$r" >"$REQ"
		HEXIND_MODELS_FILE=$BATS_TEST_TMPDIR/models.json \
		OPENSSL_CONF=$BATS_TEST_TMPDIR/openssl.cnf ASAN_OPTIONS=detect_leaks=0 \
		    strace -f -qq -e trace=open,openat,socket,socketpair,connect \
		    -o "$BATS_TEST_TMPDIR/trace" "$HEXIND" <"$REQ" >"$RAW" 2>>"$ERR"
		head -n 1 "$RAW" | grep -Eq ' (200|401|400) '
		[ "$(grep -cE 'models\.json|openssl\.cnf|localtime|socket|connect\(' "$BATS_TEST_TMPDIR/trace")" -eq 0 ]
	done
	# the same settings do reach both when a chat needs them
	start_fake
	write_request /v1/chat/completions '{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}'
	HEXIND_MODELS_FILE=$BATS_TEST_TMPDIR/models.json ASAN_OPTIONS=detect_leaks=0 \
	    strace -f -qq -e trace=open,openat,socket,connect \
	    -o "$BATS_TEST_TMPDIR/trace" "$HEXIND" <"$REQ" >"$RAW" 2>>"$ERR"
	head -n 1 "$RAW" | grep -q " 200 " || { cat "$RAW" "$ERR"; false; }
	grep -q 'models\.json' "$BATS_TEST_TMPDIR/trace"
	grep -q 'connect(' "$BATS_TEST_TMPDIR/trace"
	! grep -q 'localtime' "$BATS_TEST_TMPDIR/trace"
}
