# Configuration: the command line, the dotenv file, the settings and their
# validation, --check, and what the log may never hold.
load helpers

# envf LINES...: writes the lines (mode 0600) to $ENVF, each ended by LF.
envf() {
	ENVF=$BATS_TEST_TMPDIR/hexind.env
	printf '%s\n' "$@" >"$ENVF"
	chmod 600 "$ENVF"
}

# The line of $output that sets NAME, without the name.
setting() {
	printf '%s\n' "$output" | sed -n "s/^$1=//p"
}

MODELS_REQ="GET /v1/models HTTP/1.0"$'\r\n'"Authorization: Bearer $KEY"$'\r\n\r\n'

# Credentials that a fake Hexin accepts, so --check can reach "ready".
ready_env() {
	start_fake --app-id app-id-1 --app-secret app-secret-value-xyz
	export HITHINK_APP_ID=app-id-1 HITHINK_APP_SECRET=app-secret-value-xyz
}

# --check refuses the env file with exit 1 and names FILE:LINE on stderr.
assert_env_syntax_error() {
	hexrun --check --env-file "$ENVF"
	[ "$status" -eq 1 ]
	err_has "$ENVF:$1"
}

# A bad setting: --check exits 1 naming it on stderr.
assert_check_refuses() {
	hexrun --check
	[ "$status" -eq 1 ]
	err_has "$1"
	[[ $output != *ready* ]]
}

# A bad setting: a request gets 500 config_error, exit 1, the log names it.
assert_serving_refuses() {
	send "$MODELS_REQ"
	assert_error 500 config_error
	[ "$status" -eq 1 ]
	err_has "$1"
}

# --- the command line ---

@test "--version prints the name and version and exits 0" {
	hexrun --version
	[ "$status" -eq 0 ]
	[[ $output =~ ^hexind\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "--help prints a usage listing every setting and exits 0" {
	hexrun --help
	[ "$status" -eq 0 ]
	[[ $output == usage:* ]]
	local n
	for n in HITHINK_APP_ID HITHINK_APP_SECRET HITHINK_APP_URL \
	    HITHINK_BASE_URL HITHINK_RESPONSE_URL HEXIND_API_KEYS \
	    HEXIND_API_KEYS_FILE HEXIND_MODELS_FILE HEXIND_CORS_ORIGINS \
	    HEXIND_LOG_LEVEL HEXIND_MAX_HEADER_BYTES HEXIND_MAX_HEADERS \
	    HEXIND_MAX_BODY_BYTES HEXIND_HEADER_TIMEOUT HEXIND_BODY_TIMEOUT; do
		printf '%s\n' "$output" | grep -qw -- "$n" || {
			echo "usage lacks $n" >&2
			return 1
		}
	done
}

@test "an unknown argument prints the usage on stderr and exits 2" {
	hexrun --frobnicate
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	err_has usage:
	err_has --frobnicate
}

# --- the dotenv file, by effect ---

@test "a KEY=VALUE line in the env file sets the client key" {
	unset HEXIND_API_KEYS
	envf 'HEXIND_API_KEYS=from-file-key'
	send $'GET /v1/models HTTP/1.0\r\nx-api-key: from-file-key\r\n\r\n' --env-file "$ENVF"
	assert_status 200
	[ "$(json "j['object']")" = list ]
	[ "$status" -eq 0 ]
}

@test "the --env-file=FILE form is read too" {
	unset HEXIND_API_KEYS
	envf 'HEXIND_API_KEYS=from-file-key'
	send $'GET /v1/models HTTP/1.0\r\nx-api-key: from-file-key\r\n\r\n' "--env-file=$ENVF"
	assert_status 200
}

@test "an export KEY=VALUE line in the env file sets the variable" {
	unset HEXIND_API_KEYS
	envf 'export HEXIND_API_KEYS=exported-key'
	send $'GET /v1/models HTTP/1.0\r\nx-api-key: exported-key\r\n\r\n' --env-file "$ENVF"
	assert_status 200
}

@test "comment lines and blank lines in the env file are skipped" {
	envf '# a comment' '' '   # an indented comment' '	' 'HEXIND_CORS_ORIGINS=after-comments' ''
	hexrun --check --env-file "$ENVF"
	[ "$(setting HEXIND_CORS_ORIGINS)" = after-comments ]
	[ ! -s "$ERR" ]
}

@test "an inline comment after a bare value is cut, with the blanks before it" {
	envf 'HEXIND_CORS_ORIGINS=bare-value   # the origins'
	hexrun --check --env-file "$ENVF"
	[ "$(setting HEXIND_CORS_ORIGINS)" = bare-value ]
}

@test "a # not preceded by a blank is part of a bare value" {
	envf 'HEXIND_CORS_ORIGINS=a#b'
	hexrun --check --env-file "$ENVF"
	[ "$(setting HEXIND_CORS_ORIGINS)" = 'a#b' ]
}

@test "a double-quoted value keeps a # inside and works as a key" {
	unset HEXIND_API_KEYS
	envf 'HEXIND_API_KEYS="quoted #key" # a comment after the quote'
	send $'GET /v1/models HTTP/1.0\r\nx-api-key: quoted #key\r\n\r\n' --env-file "$ENVF"
	assert_status 200
	send $'GET /v1/models HTTP/1.0\r\nx-api-key: quoted\r\n\r\n' --env-file "$ENVF"
	assert_error 401 invalid_api_key
}

@test "a double-quoted value turns \\n, \\\" and \\\\ into a newline, a quote and a backslash" {
	envf 'HEXIND_CORS_ORIGINS="one\ntwo"' 'HEXIND_API_KEYS_FILE="a\"b\\c"'
	hexrun --check --env-file "$ENVF"
	printf '%s\n' "$output" | grep -qx 'HEXIND_CORS_ORIGINS=one'
	printf '%s\n' "$output" | grep -qx 'two'
	[ "$(setting HEXIND_API_KEYS_FILE)" = 'a"b\c' ]
}

@test "a single-quoted value is literal" {
	envf "HEXIND_CORS_ORIGINS='a\\n\"b\" \$X # not a comment'"
	hexrun --check --env-file "$ENVF"
	[ "$(setting HEXIND_CORS_ORIGINS)" = 'a\n"b" $X # not a comment' ]
}

@test "spaces around = in the env file are allowed" {
	envf 'HEXIND_CORS_ORIGINS = spaced  ' 'HEXIND_API_KEYS_FILE =  "q"'
	hexrun --check --env-file "$ENVF"
	[ "$(setting HEXIND_CORS_ORIGINS)" = spaced ]
	[ "$(setting HEXIND_API_KEYS_FILE)" = q ]
}

@test "an env file with CRLF line endings is read without the CRs" {
	unset HEXIND_API_KEYS
	ENVF=$BATS_TEST_TMPDIR/crlf.env
	printf 'HEXIND_API_KEYS=crlf-key\r\n\r\n# c\r\nHEXIND_CORS_ORIGINS="q"\r\n' >"$ENVF"
	chmod 600 "$ENVF"
	send $'GET /v1/models HTTP/1.0\r\nx-api-key: crlf-key\r\n\r\n' --env-file "$ENVF"
	assert_status 200
	hexrun --check --env-file "$ENVF"
	[ "$(setting HEXIND_CORS_ORIGINS)" = q ]
}

@test "the environment wins over the env file" {
	export HEXIND_CORS_ORIGINS=from-env
	envf 'HEXIND_CORS_ORIGINS=from-file' 'HEXIND_API_KEYS=file-only-key'
	hexrun --check --env-file "$ENVF"
	[ "$(setting HEXIND_CORS_ORIGINS)" = from-env ]
	send $'GET /v1/models HTTP/1.0\r\nx-api-key: file-only-key\r\n\r\n' --env-file "$ENVF"
	assert_error 401 invalid_api_key
	send "$MODELS_REQ" --env-file "$ENVF"
	assert_status 200
}

@test "within the env file the last line for a key wins" {
	unset HEXIND_API_KEYS
	envf 'HEXIND_CORS_ORIGINS=first' 'HEXIND_CORS_ORIGINS=second' \
	    'HEXIND_API_KEYS=old-key' 'HEXIND_API_KEYS=new-key'
	hexrun --check --env-file "$ENVF"
	[ "$(setting HEXIND_CORS_ORIGINS)" = second ]
	send $'GET /v1/models HTTP/1.0\r\nx-api-key: new-key\r\n\r\n' --env-file "$ENVF"
	assert_status 200
	send $'GET /v1/models HTTP/1.0\r\nx-api-key: old-key\r\n\r\n' --env-file "$ENVF"
	assert_error 401 invalid_api_key
}

# --- the dotenv file, refused ---

@test "a line that is not NAME=VALUE fails --check naming the file and line" {
	envf 'HITHINK_APP_ID=x' '' 'NOT A LINE'
	assert_env_syntax_error 3
}

@test "an unterminated quote fails --check naming the file and line" {
	envf '# c' 'HITHINK_APP_ID="open'
	assert_env_syntax_error 2
}

@test "text after a closing quote fails --check naming the file and line" {
	envf 'HITHINK_APP_ID="a"b'
	assert_env_syntax_error 1
}

@test "a name starting with a digit fails --check naming the file and line" {
	envf 'HITHINK_APP_ID=x' '1BAD=x'
	assert_env_syntax_error 2
}

@test "a syntax error in the env file answers a request 500 config_error, exit 1, file:line in the log" {
	envf 'HITHINK_APP_ID=x' 'NOT A LINE'
	send "$MODELS_REQ" --env-file "$ENVF"
	assert_error 500 config_error
	[ "$status" -eq 1 ]
	err_has "$ENVF:2"
}

@test "a missing env file fails --check naming the path" {
	hexrun --check --env-file "$BATS_TEST_TMPDIR/no-such.env"
	[ "$status" -eq 1 ]
	err_has "$BATS_TEST_TMPDIR/no-such.env"
}

@test "a missing env file answers a request 500 config_error, exit 1, the path in the log" {
	send "$MODELS_REQ" --env-file "$BATS_TEST_TMPDIR/no-such.env"
	assert_error 500 config_error
	[ "$status" -eq 1 ]
	err_has "$BATS_TEST_TMPDIR/no-such.env"
}

@test "a world-readable env file holding HEXIND_API_KEYS gets a warning naming it" {
	envf 'HEXIND_API_KEYS=k1'
	chmod 644 "$ENVF"
	hexrun --check --env-file "$ENVF"
	err_has "$ENVF"
}

@test "a world-readable env file holding HITHINK_APP_SECRET gets a warning naming it" {
	envf 'HITHINK_APP_ID=a' 'HITHINK_APP_SECRET=s3cr3t'
	chmod 644 "$ENVF"
	hexrun --check --env-file "$ENVF"
	err_has "$ENVF"
}

@test "an env file of mode 0600 holding secrets gets no warning" {
	start_fake --app-id a --app-secret s3cr3t
	unset HITHINK_APP_ID HITHINK_APP_SECRET HEXIND_API_KEYS
	envf 'HITHINK_APP_ID=a' 'HITHINK_APP_SECRET=s3cr3t' 'HEXIND_API_KEYS=k1'
	hexrun --check --env-file "$ENVF"
	[ "$status" -eq 0 ]
	err_lacks 'readable by every user'
	err_lacks "$ENVF"
}

# --- bad settings ---

@test "HEXIND_MAX_BODY_BYTES=abc fails --check naming the setting" {
	ready_env; export HEXIND_MAX_BODY_BYTES=abc
	assert_check_refuses HEXIND_MAX_BODY_BYTES
}

@test "HEXIND_MAX_BODY_BYTES=abc answers a request 500 config_error naming it in the log" {
	export HEXIND_MAX_BODY_BYTES=abc
	assert_serving_refuses HEXIND_MAX_BODY_BYTES
}

@test "HEXIND_MAX_HEADERS=0 fails --check naming the setting" {
	ready_env; export HEXIND_MAX_HEADERS=0
	assert_check_refuses HEXIND_MAX_HEADERS
}

@test "HEXIND_MAX_HEADERS=0 answers a request 500 config_error naming it in the log" {
	export HEXIND_MAX_HEADERS=0
	assert_serving_refuses HEXIND_MAX_HEADERS
}

@test "HEXIND_HEADER_TIMEOUT=-1 fails --check naming the setting" {
	ready_env; export HEXIND_HEADER_TIMEOUT=-1
	assert_check_refuses HEXIND_HEADER_TIMEOUT
}

@test "HEXIND_HEADER_TIMEOUT=-1 answers a request 500 config_error naming it in the log" {
	export HEXIND_HEADER_TIMEOUT=-1
	assert_serving_refuses HEXIND_HEADER_TIMEOUT
}

@test "HEXIND_HEADER_TIMEOUT=0.0001 fails --check naming the setting" {
	ready_env; export HEXIND_HEADER_TIMEOUT=0.0001
	assert_check_refuses HEXIND_HEADER_TIMEOUT
}

@test "HEXIND_HEADER_TIMEOUT=0.0001 answers a request 500 config_error naming it in the log" {
	export HEXIND_HEADER_TIMEOUT=0.0001
	assert_serving_refuses HEXIND_HEADER_TIMEOUT
}

@test "HEXIND_LOG_LEVEL=loud fails --check naming the setting" {
	ready_env; export HEXIND_LOG_LEVEL=loud
	assert_check_refuses HEXIND_LOG_LEVEL
}

@test "HEXIND_LOG_LEVEL=loud answers a request 500 config_error naming it in the log" {
	export HEXIND_LOG_LEVEL=loud
	assert_serving_refuses HEXIND_LOG_LEVEL
}

@test "HITHINK_BASE_URL=ftp://x fails --check naming the setting" {
	ready_env; export HITHINK_BASE_URL=ftp://x
	assert_check_refuses HITHINK_BASE_URL
}

@test "HITHINK_BASE_URL=ftp://x answers a request 500 config_error naming it in the log" {
	export HITHINK_BASE_URL=ftp://x
	assert_serving_refuses HITHINK_BASE_URL
}

@test "HITHINK_APP_URL=http:// (no host) fails --check naming the setting" {
	ready_env; export HITHINK_APP_URL=http://
	assert_check_refuses HITHINK_APP_URL
}

@test "HITHINK_APP_URL=http:// (no host) answers a request 500 config_error naming it in the log" {
	export HITHINK_APP_URL=http://
	assert_serving_refuses HITHINK_APP_URL
}

@test "HITHINK_APP_ID without HITHINK_APP_SECRET fails --check naming the setting" {
	export HITHINK_APP_ID=app-id-1
	assert_check_refuses HITHINK_APP_SECRET
}

@test "HITHINK_APP_ID without HITHINK_APP_SECRET answers a request 500 config_error naming it in the log" {
	export HITHINK_APP_ID=app-id-1
	assert_serving_refuses HITHINK_APP_SECRET
}

@test "decimal timeouts such as 0.5 are accepted" {
	ready_env
	export HEXIND_HEADER_TIMEOUT=0.5 HEXIND_BODY_TIMEOUT=1.25
	hexrun --check
	[ "$status" -eq 0 ]
	[ "$(setting HEXIND_HEADER_TIMEOUT)" = 0.500 ]
	[ "$(setting HEXIND_BODY_TIMEOUT)" = 1.250 ]
	send "$MODELS_REQ"
	assert_status 200
	[ "$status" -eq 0 ]
}

# --- --check ---

@test "--check prints the version, every setting with secrets masked, the checks and ready" {
	ready_env
	hexrun --check
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$("$HEXIND" --version)" ]
	[ "$(setting HITHINK_APP_ID)" = app-id-1 ]
	[ "$(setting HITHINK_APP_SECRET)" = '(set, hidden)' ]
	[ "$(setting HEXIND_API_KEYS)" = '(set, hidden)' ]
	local n
	for n in HITHINK_APP_URL HITHINK_BASE_URL HITHINK_RESPONSE_URL \
	    HEXIND_API_KEYS_FILE HEXIND_MODELS_FILE HEXIND_CORS_ORIGINS \
	    HEXIND_LOG_LEVEL HEXIND_MAX_HEADER_BYTES HEXIND_MAX_HEADERS \
	    HEXIND_MAX_BODY_BYTES HEXIND_HEADER_TIMEOUT HEXIND_BODY_TIMEOUT; do
		printf '%s\n' "$output" | grep -q "^$n=" || {
			echo "--check lacks $n" >&2
			return 1
		}
	done
	printf '%s\n' "$output" | grep -q '^keys: '
	printf '%s\n' "$output" | grep -q '^models: '
	printf '%s\n' "$output" | grep -q '^credentials: '
	[ "${lines[-1]}" = ready ]
}

@test "--check never shows the secret values on stdout or stderr" {
	ready_env
	export HEXIND_API_KEYS="$KEY,second-secret-key"
	hexrun --check
	[ "$status" -eq 0 ]
	[[ $output != *app-secret-value-xyz* ]]
	[[ $output != *"$KEY"* ]]
	[[ $output != *second-secret-key* ]]
	err_lacks app-secret-value-xyz
	err_lacks "$KEY"
	err_lacks second-secret-key
}

@test "--check without credentials says not ready and exits 1" {
	hexrun --check
	[ "$status" -eq 1 ]
	printf '%s\n' "$output" | grep -q '^credentials: FAIL'
	[ "${lines[-1]}" = 'not ready' ]
}

@test "--check without client keys says not ready naming HEXIND_API_KEYS" {
	ready_env
	unset HEXIND_API_KEYS
	hexrun --check
	[ "$status" -eq 1 ]
	printf '%s\n' "$output" | grep '^keys: FAIL' | grep -q HEXIND_API_KEYS
	[ "${lines[-1]}" = 'not ready' ]
}

@test "--check with a broken models file says not ready naming the entry" {
	ready_env
	export HEXIND_MODELS_FILE=$BATS_TEST_TMPDIR/models.json
	echo '{"models": [{"id": "ok"}, {"owned_by": "x"}]}' >"$HEXIND_MODELS_FILE"
	hexrun --check
	[ "$status" -eq 1 ]
	printf '%s\n' "$output" | grep '^models: FAIL:' | grep -qF 'models[1]'
	[ "${lines[-1]}" = 'not ready' ]
}

# --- the log ---

@test "the log never holds the client key, a wrong key or the app secret" {
	ready_env
	export HEXIND_LOG_LEVEL=debug
	send "$MODELS_REQ"
	assert_status 200
	send $'GET /v1/models/gpt-4o HTTP/1.0\r\nx-api-key: '"$KEY"$'\r\n\r\n'
	assert_status 200
	send $'GET /v1/models HTTP/1.0\r\nAuthorization: Bearer wrong-key-zzz\r\n\r\n'
	assert_error 401 invalid_api_key
	send $'POST /v1/messages HTTP/1.0\r\nx-api-key: wrong-key-zzz\r\n\r\n'
	assert_status 401
	send $'GET /health HTTP/1.0\r\n\r\n'
	assert_status 200
	err_has access
	err_lacks "$KEY"
	err_lacks wrong-key-zzz
	err_lacks app-secret-value-xyz
}

@test "each request logs an access line with method, path, status and the request id" {
	send "$MODELS_REQ"
	assert_status 200
	local id
	id=$(header x-request-id)
	[ -n "$id" ]
	grep -Eq "access peer=[^ ]+ method=GET path=/v1/models status=200 .*id=$id\$" "$ERR"
	[ "$(grep -c access "$ERR")" -eq 1 ]
}

@test "HEXIND_LOG_LEVEL=error silences the access line" {
	export HEXIND_LOG_LEVEL=error
	send "$MODELS_REQ"
	assert_status 200
	err_lacks access
}

@test "the query string is not logged" {
	send $'GET /health?api_key=SECRET-IN-QUERY HTTP/1.0\r\n\r\n'
	assert_status 200
	err_has 'path=/health '
	err_lacks SECRET-IN-QUERY
}
