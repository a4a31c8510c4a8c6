# Client authentication: which keys open /v1, where they come from, and
# how a request without one is refused.
load helpers

# models_with HEADER-LINE [ARGS...]: GET /v1/models carrying the header.
models_with() {
	send "GET /v1/models HTTP/1.0"$'\r\n'"$1"$'\r\n\r\n' "${@:2}"
}

# The model list came back (its shape is models.bats' business; no python3
# start here).
assert_list() {
	assert_status 200
	[ "$(header content-type)" = application/json ]
	body | grep -q '"object":"list"'
}

assert_refused() {
	assert_error 401 invalid_api_key "$@"
	[ "$(header www-authenticate)" = 'Bearer realm="hexind"' ]
}

@test "Authorization: Bearer with the key opens /v1/models" {
	models_with "Authorization: Bearer $KEY"
	assert_list
	[ "$status" -eq 0 ]
}

@test "x-api-key with the key opens /v1/models" {
	models_with "x-api-key: $KEY"
	assert_list
}

@test "the scheme bearer in lower case is accepted" {
	models_with "Authorization: bearer $KEY"
	assert_list
}

@test "a wrong key gets 401 invalid_api_key with WWW-Authenticate" {
	models_with "Authorization: Bearer not-the-key"
	assert_refused
	[ "$status" -eq 0 ]
}

@test "a wrong key in x-api-key gets 401 invalid_api_key" {
	models_with "x-api-key: not-the-key"
	assert_refused
}

@test "a request without a key gets 401 naming Authorization and x-api-key" {
	send $'GET /v1/models HTTP/1.0\r\n\r\n'
	assert_refused Authorization x-api-key
}

@test "Basic authentication is not accepted" {
	models_with "Authorization: Basic $(printf 'user:%s' "$KEY" | base64)"
	assert_refused
	models_with "Authorization: Basic $KEY"
	assert_refused
}

@test "a prefix of the key is refused" {
	models_with "Authorization: Bearer ${KEY%?}"
	assert_refused
}

@test "the key with one more character is refused" {
	models_with "Authorization: Bearer ${KEY}x"
	assert_refused
}

@test "an empty bearer token is refused" {
	models_with "Authorization: Bearer "
	assert_refused
}

@test "every key of a comma-separated HEXIND_API_KEYS opens /v1, spaces around ignored" {
	export HEXIND_API_KEYS=" key-one , key-two,key-three "
	local k
	for k in key-one key-two key-three; do
		models_with "Authorization: Bearer $k"
		assert_list
	done
	models_with "Authorization: Bearer key-one , key-two"
	assert_refused
}

@test "the keys of HEXIND_API_KEYS_FILE open /v1 when HEXIND_API_KEYS is unset" {
	unset HEXIND_API_KEYS
	export HEXIND_API_KEYS_FILE=$BATS_TEST_TMPDIR/keys
	printf '# client keys\r\n\r\nfile-key-one\r\n   \r\n# retired: old-key\nfile-key-two\n' >"$HEXIND_API_KEYS_FILE"
	local k
	for k in file-key-one file-key-two; do
		models_with "x-api-key: $k"
		assert_list
	done
}

@test "a comment line in the keys file is not a key" {
	unset HEXIND_API_KEYS
	export HEXIND_API_KEYS_FILE=$BATS_TEST_TMPDIR/keys
	printf '# comment-key\nfile-key-one\n' >"$HEXIND_API_KEYS_FILE"
	models_with "x-api-key: # comment-key"
	assert_refused
	models_with "x-api-key: comment-key"
	assert_refused
}

@test "HEXIND_API_KEYS and HEXIND_API_KEYS_FILE together both open /v1" {
	export HEXIND_API_KEYS_FILE=$BATS_TEST_TMPDIR/keys
	printf 'file-key-one\n' >"$HEXIND_API_KEYS_FILE"
	models_with "x-api-key: $KEY"
	assert_list
	models_with "x-api-key: file-key-one"
	assert_list
}

@test "a missing keys file answers 500, even to a good key" {
	export HEXIND_API_KEYS_FILE=$BATS_TEST_TMPDIR/no-such-keys
	models_with "Authorization: Bearer $KEY"
	assert_error 500 "" "cannot read its client keys"
}

@test "a keys file that cannot be read answers 500, even to a good key" {
	export HEXIND_API_KEYS_FILE=$BATS_TEST_TMPDIR/keys.d
	mkdir "$HEXIND_API_KEYS_FILE"
	models_with "Authorization: Bearer $KEY"
	assert_error 500 "" "cannot read its client keys"
}

@test "no keys configured refuses every /v1 request naming HEXIND_API_KEYS" {
	unset HEXIND_API_KEYS
	models_with "Authorization: Bearer $KEY"
	assert_refused HEXIND_API_KEYS
	send $'GET /v1/models HTTP/1.0\r\n\r\n'
	assert_refused HEXIND_API_KEYS
}

@test "a HEXIND_API_KEYS of only commas and blanks counts as no keys" {
	export HEXIND_API_KEYS=" , ,"
	models_with "Authorization: Bearer "
	assert_refused HEXIND_API_KEYS
}

@test "/health answers without a key and shows no key or secret" {
	export HITHINK_APP_ID=app-id-1 HITHINK_APP_SECRET=app-secret-value-xyz
	send $'GET /health HTTP/1.0\r\n\r\n'
	assert_status 200
	[ "$(json "j['status']")" = healthy ]
	[[ $output != *app-secret-value-xyz* ]]
	[[ $output != *"$KEY"* ]]
}

@test "a wrong key on /v1/messages gets the Anthropic authentication_error" {
	send $'POST /v1/messages HTTP/1.0\r\nx-api-key: not-the-key\r\nContent-Length: 2\r\n\r\n{}'
	assert_anthropic_error 401 authentication_error
	[ "$(header content-type)" = application/json ]
	[ -n "$(header www-authenticate)" ]
}

@test "an unknown path answers 404 whatever the key" {
	send $'GET /v1/nothing-here HTTP/1.0\r\n\r\n'
	assert_error 404 ""
	send $'GET /v1/nothing-here HTTP/1.0\r\nAuthorization: Bearer not-the-key\r\n\r\n'
	assert_error 404 ""
	send $'GET /v1/nothing-here HTTP/1.0\r\nAuthorization: Bearer '"$KEY"$'\r\n\r\n'
	assert_error 404 ""
}
