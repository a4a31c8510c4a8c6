# The Hexin login and the token cache that all hexind processes share.
load helpers

setup() {
	common_setup
	start_fake
}

# The cache file of the current credentials.
cache_file() {
	ls "$HEXIND_CACHE_DIR"/token-* | grep -Ev '\.(lock|tmp\..*)$'
}

# tokentest ARGS...: the token cache driver; stdout in $output.
tokentest() {
	run _tokentest "$@"
}
_tokentest() {
	"$ROOT/build/token-test" "$@" 2>>"$ERR"
}

# check: hexind --check, output in $output.
check() {
	hexrun --check
}

@test "a cold --check logs in once and leaves a 0600 cache file" {
	check
	[ "$status" -eq 0 ]
	[[ $output == *"token: ok: user u-demo-app, expires "* ]]
	[ "${lines[-1]}" = ready ]
	[ "$(logins)" -eq 1 ]
	local f
	f=$(cache_file)
	[ "$(stat -c %a "$f")" = 600 ]
	[ "$(stat -c %u "$f")" = "$(id -u)" ]
	"$PY" -S -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["app_id"]=="demo-app" and d["token"].count(".")==2' "$f"
}

@test "a second --check reuses the cached token" {
	check
	check
	[ "$status" -eq 0 ]
	[ "$(logins)" -eq 1 ]
}

@test "twenty concurrent cold --check runs cause exactly one login" {
	# A slow login keeps them all waiting on the same lock.
	fake_set '{"login_delay": 0.5}'
	local i pids=()
	for i in $(seq 20); do
		"$HEXIND" --check >"$BATS_TEST_TMPDIR/c$i.out" 2>>"$ERR" &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}"
	done
	[ "$(logins)" -eq 1 ]
	for i in $(seq 20); do
		grep -qx ready "$BATS_TEST_TMPDIR/c$i.out"
	done
}

@test "a token near its exp is refreshed once by many processes" {
	export HEXIND_TOKEN_MARGIN=120
	fake_set '{"token_ttl": 60}'
	check
	[ "$(logins)" -eq 1 ]
	send $'GET /health HTTP/1.0\r\n\r\n'
	[ "$(json "j['token']")" = stale ]
	fake_set '{"token_ttl": 86400, "login_delay": 0.3}'
	local i pids=()
	for i in $(seq 10); do
		"$HEXIND" --check >/dev/null 2>>"$ERR" &
		pids+=($!)
	done
	wait "${pids[@]}"
	[ "$(logins)" -eq 2 ]
	send $'GET /health HTTP/1.0\r\n\r\n'
	[ "$(json "j['token']")" = fresh ]
}

@test "a corrupt cache file is replaced by a fresh login" {
	check
	printf 'not json {' >"$(cache_file)"
	check
	[ "$status" -eq 0 ]
	[ "$(logins)" -eq 2 ]
	err_has 'is corrupt'
	"$PY" -S -c 'import json,sys; json.load(open(sys.argv[1]))' "$(cache_file)"
}

@test "a truncated cache file is replaced by a fresh login" {
	check
	local f
	f=$(cache_file)
	head -c 40 "$f" >"$f.cut" && mv "$f.cut" "$f"
	check
	[ "$status" -eq 0 ]
	[ "$(logins)" -eq 2 ]
	"$PY" -S -c 'import json,sys; json.load(open(sys.argv[1]))' "$(cache_file)"
}

@test "changed credentials never reuse the old token" {
	check
	[ "$(logins)" -eq 1 ]
	local first
	first=$(cache_file)
	HITHINK_APP_SECRET=another-secret hexrun --check
	[ "$status" -eq 1 ]
	[[ $output == *"token: FAIL: Hexin rejected the credentials"* ]]
	[ "$(login_attempts)" -eq 2 ]
	# the old token's file is untouched, and no file holds the new secret
	[ "$(cache_file)" = "$first" ]
	! grep -rq another-secret "$HEXIND_CACHE_DIR" || false
}

@test "a cache file of another app id is not used" {
	check
	local f
	f=$(cache_file)
	sed -i 's/"app_id":"demo-app"/"app_id":"other-app"/' "$f"
	check
	[ "$status" -eq 0 ]
	[ "$(logins)" -eq 2 ]
}

@test "the secret is in no cache file and no log line" {
	check
	send $'GET /health HTTP/1.0\r\n\r\n'
	! grep -rq demo-secret "$HEXIND_CACHE_DIR" || false
	! grep -q demo-secret "$ERR" || false
	[[ $output != *demo-secret* ]]
}

@test "an unwritable cache directory still serves, one login a process" {
	: >"$BATS_TEST_TMPDIR/plainfile"
	export HEXIND_CACHE_DIR=$BATS_TEST_TMPDIR/plainfile/cache
	check
	[ "$status" -eq 0 ]
	[[ $output == *"NOT cached"* ]]
	err_has 'logging in for this process alone'
	check
	[ "$status" -eq 0 ]
	[ "$(logins)" -eq 2 ]
	send $'GET /v1/models HTTP/1.0\r\nx-api-key: '"$KEY"$'\r\n\r\n'
	assert_status 200
	send $'GET /health HTTP/1.0\r\n\r\n'
	[ "$(json "j['token']")" = absent ]
}

@test "a symlink in place of the cache file is refused, never followed" {
	check
	local f target=$BATS_TEST_TMPDIR/elsewhere
	f=$(cache_file)
	cp "$f" "$target"
	chmod 600 "$target"
	ln -sf "$target" "$f"
	local before
	before=$(sha256sum <"$target")
	check
	[ "$status" -eq 0 ]
	err_has 'is a symbolic link: refused'
	[ "$(logins)" -eq 2 ]
	[ ! -L "$f" ]
	[ "$(sha256sum <"$target")" = "$before" ]
	send $'GET /health HTTP/1.0\r\n\r\n'
	[ "$(json "j['token']")" = fresh ]
}

@test "the cache directory is created 0700 when missing" {
	export HEXIND_CACHE_DIR=$BATS_TEST_TMPDIR/newcache
	check
	[ "$status" -eq 0 ]
	[ "$(stat -c %a "$HEXIND_CACHE_DIR")" = 700 ]
}

@test "CACHE_DIRECTORY from systemd is used when HEXIND_CACHE_DIR is unset" {
	unset HEXIND_CACHE_DIR
	export CACHE_DIRECTORY=$BATS_TEST_TMPDIR/sd-cache
	mkdir -m 700 "$CACHE_DIRECTORY"
	check
	[ "$status" -eq 0 ]
	ls "$CACHE_DIRECTORY"/token-* >/dev/null
}

@test "/health tells absent, fresh and stale without logging in" {
	send $'GET /health HTTP/1.0\r\n\r\n'
	[ "$(json "j['token']")" = absent ]
	[ "$(login_attempts)" -eq 0 ]
	fake_set '{"token_ttl": 3600}'
	check
	send $'GET /health HTTP/1.0\r\n\r\n'
	[ "$(json "j['token']")" = fresh ]
	HEXIND_TOKEN_MARGIN=7200 send $'GET /health HTTP/1.0\r\n\r\n'
	[ "$(json "j['token']")" = stale ]
	[ "$(login_attempts)" -eq 1 ]
}

@test "invalidating a token that is no longer current keeps the cache" {
	tokentest get
	[ "$status" -eq 0 ]
	local tok=$output
	tokentest invalidate "some.other.token"
	[ "$status" -eq 0 ]
	tokentest get
	[ "$output" = "$tok" ]
	[ "$(logins)" -eq 1 ]
}

@test "invalidating the current token drops it and the next use logs in" {
	tokentest get
	local tok=$output
	tokentest invalidate "$tok"
	[ "$status" -eq 0 ]
	tokentest get
	[ "$status" -eq 0 ]
	[ "$output" != "$tok" ]
	[ "$(logins)" -eq 2 ]
}

# Login failures name their cause.

@test "rejected credentials are named as such" {
	fake_set '{"login_reject": true}'
	check
	[ "$status" -eq 1 ]
	[[ $output == *"token: FAIL: Hexin rejected the credentials: invalid app_id or app_secret"* ]]
	[ "${lines[-1]}" = "not ready" ]
}

@test "an HTTP 401 from the login URL is a credential rejection" {
	fake_set '{"login_status": 401}'
	check
	[ "$status" -eq 1 ]
	[[ $output == *"Hexin rejected the credentials (HTTP 401"* ]]
}

@test "an unreachable login URL is named as such" {
	local port
	port=$(free_port)
	export HITHINK_APP_URL=http://127.0.0.1:$port/login
	check
	[ "$status" -eq 1 ]
	[[ $output == *"token: FAIL: Hexin login unreachable:"*"HITHINK_APP_URL"* ]]
}

@test "a login slower than HEXIND_LOGIN_TIMEOUT times out" {
	export HEXIND_LOGIN_TIMEOUT=0.3
	fake_set '{"login_delay": 3}'
	check
	[ "$status" -eq 1 ]
	[[ $output == *"token: FAIL: Hexin login timed out"* ]]
}

@test "a login URL answering 500 is named with its status" {
	fake_set '{"login_status": 500}'
	check
	[ "$status" -eq 1 ]
	[[ $output == *"the login URL answered HTTP 500"* ]]
}

@test "a login answer without data.token is malformed" {
	fake_set '{"login_malformed": true}'
	check
	[ "$status" -eq 1 ]
	[[ $output == *"Hexin login answer is malformed: no data.token"* ]]
}

@test "a login answer that is not JSON is malformed" {
	fake_set '{"login_garbage": true}'
	check
	[ "$status" -eq 1 ]
	[[ $output == *"Hexin login answer is malformed: not JSON"* ]]
}

@test "without credentials --check says so and logs in nowhere" {
	unset HITHINK_APP_ID HITHINK_APP_SECRET
	check
	[ "$status" -eq 1 ]
	[[ $output == *"credentials: FAIL"* ]]
	[ "$(login_attempts)" -eq 0 ]
}

@test "the login sends the credentials as JSON with a trace id" {
	check
	run curl -sS "$FAKE/_fake/requests"
	"$PY" -S -c '
import json, sys
r = json.loads(sys.argv[1])["requests"][0]
assert r["method"] == "POST" and r["path"].endswith("/oauth/v1/login"), r
assert json.loads(r["body"]) == {"app_id": "demo-app", "app_secret": "demo-secret"}, r
assert r["headers"]["content-type"] == "application/json", r
assert r["headers"]["x-trace-id"], r' "$output"
}
