# Running hexind for a team: named keys with the models they may use and
# their limits, counters shared by every process (exact under
# concurrency, whole when a process is killed), the usage ledger and
# hexind --usage.
load helpers

HI='[{"role":"user","content":"hi"}]'
ALICE=sk-team-alice-7f3a
BOB=sk-team-bob-91c2
LEGACY=sk-legacy-key-5e1d

setup() {
	common_setup
	start_fake
	unset HEXIND_API_KEYS
	export HEXIND_API_KEYS_FILE=$BATS_TEST_TMPDIR/keys
	cat >"$HEXIND_API_KEYS_FILE" <<-EOF
	# the team
	$ALICE   name=alice models=gpt-*,claude-* rpm=3
	$BOB     name=bob tpd=40   # a small budget
	$LEGACY
	EOF
}

teardown() {
	# no key from the file in the log, the ledger or the counters
	local hits
	hits=$(grep -rlF -e "$ALICE" -e "$BOB" -e "$LEGACY" "$ERR" \
	    "$HEXIND_STATE_DIR" 2>/dev/null) || true
	[ -z "$hits" ] || { echo "a key reached: $hits" >&3; return 1; }
	common_teardown
}

# calls PATH-SUFFIX: how many requests the fake got on paths ending so.
calls() {
	curl -sS -f "$FAKE/_fake/requests" | "$PY" -S -c '
import json, sys
print(sum(r["path"].endswith(sys.argv[1])
          for r in json.load(sys.stdin)["requests"]))' "$1"
}

# ledger EXPR: evaluates EXPR over today's ledger records (recs),
# printing its value; fails when it is false.
ledger() {
	"$PY" -S -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
r = eval(sys.argv[2])
print(r)
sys.exit(0 if r else 1)' "$HEXIND_STATE_DIR/usage/$(date -u +%F).jsonl" "$1"
}

@test "a named key uses the models its globs allow and gets 403 naming it for others, with no upstream call" {
	KEY=$ALICE
	post /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}'
	assert_status 200
	post /v1/chat/completions '{"model":"deepseek-chat","messages":'"$HI"'}'
	assert_error 403 model_not_allowed alice deepseek-chat models=
	post /v1/messages '{"model":"deepseek-chat","max_tokens":9,"messages":'"$HI"'}'
	assert_anthropic_error 403 permission_error
	post /v1/responses '{"model":"deepseek-chat","input":"hi"}'
	assert_error 403 model_not_allowed
	post /v1/embeddings '{"model":"text-embedding-3-small","input":"hi"}'
	assert_error 403 model_not_allowed
	[ "$(calls /chat/completions)" = 1 ]
	grep -q 'status=403 .* key=alice id=' "$ERR"
}

@test "/v1/models shows a named key only the models its globs allow" {
	KEY=$ALICE
	send "GET /v1/models HTTP/1.0"$'\r\n'"Authorization: Bearer $KEY"$'\r\n\r\n'
	assert_status 200
	ids=$(json "' '.join(m['id'] for m in j['data'])")
	[[ " $ids " == *" gpt-4o "* ]]
	[[ " $ids " != *" deepseek-chat "* ]]
	for id in $ids; do [[ $id == gpt-* || $id == claude-* ]]; done
	send "GET /v1/models/deepseek-chat HTTP/1.0"$'\r\n'"Authorization: Bearer $KEY"$'\r\n\r\n'
	assert_error 404 model_not_found
	send "GET /v1/models/gpt-4o HTTP/1.0"$'\r\n'"Authorization: Bearer $KEY"$'\r\n\r\n'
	assert_status 200
	# a key without models= sees them all
	KEY=$LEGACY
	send "GET /v1/models HTTP/1.0"$'\r\n'"Authorization: Bearer $KEY"$'\r\n\r\n'
	[[ " $(json "' '.join(m['id'] for m in j['data'])") " == *" deepseek-chat "* ]]
}

@test "a key with rpm=3 gets three requests a minute, then 429 with Retry-After naming the limit" {
	KEY=$ALICE
	for i in 1 2 3; do
		post /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}'
		assert_status 200
	done
	post /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}'
	assert_error 429 rate_limit_exceeded alice "3 requests a minute" rpm
	ra=$(header retry-after)
	[ "$ra" -ge 1 ] && [ "$ra" -le 60 ]
	post /v1/messages '{"model":"claude-sonnet-4-5","max_tokens":9,"messages":'"$HI"'}'
	assert_anthropic_error 429 rate_limit_error
	[ "$(calls /chat/completions)" = 3 ]
	# other keys are not held back
	KEY=$LEGACY
	post /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}'
	assert_status 200
}

@test "a key's counters holding numbers out of range are counted afresh" {
	printf '%s name=dave rpm=1\n' "$ALICE" >"$HEXIND_API_KEYS_FILE"
	mkdir -p "$HEXIND_STATE_DIR/limits"
	# a second past any clock, and a count past any sum
	printf 'hexind-limits 2\nday 0 0\ns 9223372036854775807 5\ns 1 %s\n' \
	    99999999999999999999 >"$HEXIND_STATE_DIR/limits/dave"
	KEY=$ALICE
	post /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}'
	assert_status 200
	[ "$(admitted_in "$HEXIND_STATE_DIR/limits/dave")" -eq 1 ]
	post /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}'
	assert_error 429 rate_limit_exceeded dave "1 requests a minute" rpm
}

@test "tokens a day are counted from the upstream's usage, a stream's too, and refuse once spent" {
	KEY=$BOB
	# a stream whose client asked for no usage: hexind asks for it all
	# the same, and the client gets none
	post /v1/chat/completions '{"model":"deepseek-chat","stream":true,"messages":[{"role":"user","content":"a long enough prompt to spend some tokens"}]}'
	assert_status 200
	! grep -q '"usage":{' "$RAW" || false
	grep -q '^day [0-9]* 2[0-9]$' "$HEXIND_STATE_DIR/limits/bob"
	post /v1/chat/completions '{"model":"deepseek-chat","messages":[{"role":"user","content":"and another prompt to spend the rest of them"}]}'
	assert_status 200
	post /v1/chat/completions '{"model":"deepseek-chat","messages":'"$HI"'}'
	assert_error 429 tokens_exceeded bob "40 tokens a day" tpd
	ra=$(header retry-after)
	[ "$ra" -ge 1 ] && [ "$ra" -le 86400 ]
	[ "$(calls /chat/completions)" = 2 ]
}

@test "a bare key still works and is known by a fingerprint, never by its value" {
	KEY=$LEGACY
	post /v1/chat/completions '{"model":"deepseek-chat","messages":'"$HI"'}'
	assert_status 200
	fp=key-$(printf %s "$LEGACY" | sha256sum | cut -c1-8)
	grep -q "status=200 .* key=$fp id=" "$ERR"
	ledger "[r['key'] for r in recs] == ['$fp']"
}

@test "a keys file entry hexind cannot take refuses every request, and --check names its line" {
	printf '%s name=x rmp=3\n' "$ALICE" >"$HEXIND_API_KEYS_FILE"
	KEY=$ALICE
	post /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}'
	assert_error 500 "" "client keys"
	err_has "line 1: after the key, only name=, models=, rpm= and tpd="
	for bad in "name=a/b" "rpm=0" "tpd=x" "name=a name=b" "models="; do
		printf '%s %s\n' "$ALICE" "$bad" >"$HEXIND_API_KEYS_FILE"
		hexrun --check
		[ "$status" -eq 1 ]
		printf '%s\n' "$output" | grep -q '^keys: FAIL: .*line 1: '
	done
	[ "$(calls /chat/completions)" = 0 ]
}

@test "--check says whether the state directory can be written" {
	hexrun --check
	printf '%s\n' "$output" | grep -qx "state: ok: $HEXIND_STATE_DIR"
	[ -d "$HEXIND_STATE_DIR/usage" ]
	export HEXIND_STATE_DIR=$BATS_TEST_TMPDIR/file
	: >"$HEXIND_STATE_DIR"
	hexrun --check
	[ "$status" -eq 1 ]
	printf '%s\n' "$output" | grep -q "^state: FAIL: $HEXIND_STATE_DIR: .*503"
}

@test "200 concurrent requests from a key with rpm=100: exactly 100 admitted" {
	printf '%s name=crowd rpm=100\n' "$ALICE" >"$HEXIND_API_KEYS_FILE"
	# no credentials: an admitted request fails at once, without a call
	unset HITHINK_APP_ID HITHINK_APP_SECRET
	KEY=$ALICE
	write_request /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}'
	mkdir "$BATS_TEST_TMPDIR/out"
	seq 200 | timeout 120 xargs -P 200 -I{} sh -c \
	    '"$1" <"$2" 2>/dev/null | head -n 1 >"$3/{}"' _ "$HEXIND" "$REQ" \
	    "$BATS_TEST_TMPDIR/out"
	[ "$(cat "$BATS_TEST_TMPDIR"/out/* | grep -c ' 429 ')" -eq 100 ]
	[ "$(cat "$BATS_TEST_TMPDIR"/out/* | grep -c ' 502 ')" -eq 100 ]
	[ "$(admitted_in "$HEXIND_STATE_DIR/limits/crowd")" -eq 100 ]
}

# admitted_in FILE: the requests a key's counters hold in their window.
admitted_in() {
	awk '$1 == "s" { n += $3 } END { print n + 0 }' "$1"
}

# killed_at SYSCALL[:when=N] PATH: as in kill.bats, hexind killed with
# SIGKILL as it enters that call (the Nth) on PATH, a file of the state
# directory.
killed_at() {
	local trace=$BATS_TEST_TMPDIR/trace call=${1%%:*}
	run strace -f -qq -y -o "$trace" -P "$HEXIND_STATE_DIR/$2" \
	    -e trace="$call" -e inject="$1":signal=KILL "$HEXIND" <"$REQ" \
	    2>>"$ERR"
	[ "$status" -ne 0 ]
	grep -q 'killed by SIGKILL' "$trace" || { cat "$trace" >&2; return 1; }
}

# admitted_until_refused: requests until the first 429; prints how many
# were admitted.
admitted_until_refused() {
	local n=0
	while :; do
		post /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}'
		[ "$(status_code)" = 429 ] && break
		assert_status 200
		n=$((n + 1))
		[ $n -le 10 ] || return 1
	done
	echo $n
}

@test "a process killed as it locks or writes a key's counters loses no other process's counts" {
	printf '%s name=carol rpm=6 tpd=100000\n' "$ALICE" >"$HEXIND_API_KEYS_FILE"
	KEY=$ALICE
	post /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}'
	assert_status 200
	write_request /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}'
	# in admission: the lock, then the write; in counting the tokens
	# at the end: the second write
	killed_at flock limits/carol
	killed_at pwrite64 limits/carol
	killed_at pwrite64:when=2 limits/carol
	head -n 1 "$HEXIND_STATE_DIR/limits/carol" | grep -qx 'hexind-limits 2'
	[ "$(stat -c %s "$HEXIND_STATE_DIR/limits/carol")" -eq 2048 ]
	# the first request and the one killed as it counted its tokens,
	# admitted before: a process killed before its admission's write
	# was never admitted
	[ "$(admitted_in "$HEXIND_STATE_DIR/limits/carol")" -eq 2 ]
	[ "$(admitted_until_refused)" -eq 4 ]
	# the tokens of every request that finished, and none twice
	tokens=$(awk '$1 == "day" { print $3 }' "$HEXIND_STATE_DIR/limits/carol")
	[ "$tokens" -gt 0 ]
	ledger "sum(r['input_tokens'] + r['output_tokens'] for r in recs if r['status'] == 200) == $tokens"
}

@test "every request finished has one ledger record with the tokens the upstream reported" {
	printf '%s name=alice models=gpt-*,claude-*\n' "$ALICE" \
	    >"$HEXIND_API_KEYS_FILE"
	KEY=$ALICE
	post /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}'
	assert_status 200
	in=$(json "j['usage']['prompt_tokens']")
	out=$(json "j['usage']['completion_tokens']")
	post /v1/chat/completions '{"model":"gpt-4o","stream":true,"messages":'"$HI"'}'
	post /v1/messages '{"model":"claude-sonnet-4-5","max_tokens":50,"stream":true,"messages":'"$HI"'}'
	assert_status 200
	post /v1/responses '{"model":"gpt-4o","input":"hi"}'
	assert_status 200
	rin=$(json "j['usage']['input_tokens']")
	post /v1/chat/completions '{"model":"deepseek-chat","messages":'"$HI"'}'
	assert_status 403
	ledger "len(recs) == 5"
	ledger "[r['endpoint'] for r in recs] == ['chat', 'chat', 'messages', 'responses', 'chat']"
	ledger "all(r['key'] == 'alice' for r in recs)"
	ledger "(recs[0]['input_tokens'], recs[0]['output_tokens']) == ($in, $out)"
	ledger "recs[1]['stream'] and recs[1]['input_tokens'] == $in and recs[1]['output_tokens'] > 0"
	ledger "recs[2]['family'] == 'claude' and recs[2]['input_tokens'] > 0 and recs[2]['output_tokens'] > 0"
	ledger "recs[3]['input_tokens'] == $rin"
	ledger "[r['status'] for r in recs] == [200, 200, 200, 200, 403]"
	ledger "all(r['ms'] >= r['first_ms'] >= 0 and len(r['id']) == 32 for r in recs)"
	ledger "recs[0]['model'] == recs[0]['served'] == 'gpt-4o' and recs[0]['route'] == 'chatgpt/v3'"
}

@test "/health, a CORS preflight and /metrics write no ledger record" {
	export HEXIND_CORS_ORIGINS=https://app.example HEXIND_ADMIN_KEYS=adm-1
	send $'GET /health HTTP/1.0\r\n\r\n'
	assert_status 200
	send $'OPTIONS /v1/chat/completions HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\nAccess-Control-Request-Method: POST\r\n\r\n'
	assert_status 204
	send $'GET /metrics HTTP/1.0\r\nAuthorization: Bearer adm-1\r\n\r\n'
	assert_status 200
	[ ! -e "$HEXIND_STATE_DIR/usage/$(date -u +%F).jsonl" ]
}

@test "a failed call and a broken stream are ledger errors with their cause" {
	KEY=$LEGACY
	export HEXIND_RETRIES=0
	fake_set '{"chat_fail":{"count":1}}'
	post /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}'
	assert_status 502
	fake_set '{"chat_drop_after":2}'
	post /v1/chat/completions '{"model":"gpt-4o","stream":true,"messages":'"$HI"'}'
	assert_status 200
	ledger "[(r['status'], r['error']) for r in recs] == [(502, 'server_error'), (200, 'stream')]" || { cat "$HEXIND_STATE_DIR"/usage/*; false; }
	hexrun --usage --json
	[ "$output" = '{"key":"'"key-$(printf %s "$LEGACY" | sha256sum | cut -c1-8)"'","requests":2,"errors":2,"input_tokens":0,"output_tokens":0}' ]
}

@test "hexind --usage sums requests, errors and tokens by key, model and day" {
	local dir=$HEXIND_STATE_DIR/usage
	mkdir -p "$dir"
	rec() {
		printf '{"time":"%sT10:00:00.000Z","id":"x","key":"%s","endpoint":"chat","model":"%s","served":"%s","family":"gpt","route":"r","status":%s,"stream":false,"input_tokens":%s,"cached_tokens":0,"output_tokens":%s,"reasoning_tokens":0,"ms":5,"first_ms":2,"retries":0,"relogins":0,"error":null}\n' "$@"
	}
	{ rec 2026-01-01 alice gpt-4o gpt-4o 200 10 20
	  rec 2026-01-01 bob gpt-4o gpt-4o 429 0 0; } >"$dir/2026-01-01.jsonl"
	{ rec 2026-01-02 alice o3 o3 200 100 200
	  rec 2026-01-02 alice gpt-4o gpt-4o 200 1 2
	  printf '{"torn":'; } >"$dir/2026-01-02.jsonl"
	hexrun --usage --json
	[ "$status" -eq 0 ]
	[ "$output" = '{"key":"alice","requests":3,"errors":0,"input_tokens":111,"output_tokens":222}
{"key":"bob","requests":1,"errors":1,"input_tokens":0,"output_tokens":0}' ]
	hexrun --usage --by model --json --since 2026-01-02
	[ "$output" = '{"model":"gpt-4o","requests":1,"errors":0,"input_tokens":1,"output_tokens":2}
{"model":"o3","requests":1,"errors":0,"input_tokens":100,"output_tokens":200}' ]
	hexrun --usage --by day --until 2026-01-01
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | grep -Eq '^day +requests +errors +input_tokens +output_tokens$'
	printf '%s\n' "$output" | grep -Eq '^2026-01-01 +2 +1 +10 +20$'
	printf '%s\n' "$output" | grep -Eq '^total +2 +1 +10 +20$'
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 3 ]
	hexrun --usage --by colour
	[ "$status" -eq 2 ]
	hexrun --usage --since yesterday
	[ "$status" -eq 2 ]
}

@test "hexind --usage reads what the requests wrote" {
	KEY=$ALICE
	post /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}'
	post /v1/chat/completions '{"model":"deepseek-chat","messages":'"$HI"'}'
	KEY=$BOB
	post /v1/chat/completions '{"model":"deepseek-chat","messages":'"$HI"'}'
	hexrun --usage --json --since "$(date -u +%F)"
	printf '%s\n' "$output" | "$PY" -S -c '
import json, sys
rows = {r["key"]: r for r in map(json.loads, sys.stdin)}
assert rows["alice"]["requests"] == 2 and rows["alice"]["errors"] == 1, rows
assert rows["bob"]["requests"] == 1 and rows["bob"]["input_tokens"] > 0, rows'
}

@test "a process killed as it appends to the ledger leaves it whole lines" {
	KEY=$ALICE
	post /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}'
	write_request /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}'
	killed_at write "usage/$(date -u +%F).jsonl"
	post /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}'
	ledger "len(recs) == 2"
}
