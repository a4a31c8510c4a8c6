# Crash safety: a hexind process killed with SIGKILL at any point leaves
# the token cache and the capture files whole, and the requests beside it
# never notice.
load helpers

HI='[{"role":"user","content":"hi"}]'

setup() {
	common_setup
	start_fake
}

# cache_ok: the token cache holds exactly one token file, mode 0600, JSON.
cache_ok() {
	local f
	f=$(ls "$HEXIND_CACHE_DIR"/token-* | grep -Ev '\.(lock|tmp\..*)$')
	[ "$(printf '%s\n' "$f" | wc -l)" -eq 1 ]
	[ "$(stat -c %a "$f")" = 600 ]
	"$PY" -S -c 'import json,sys; json.load(open(sys.argv[1]))' "$f"
}

logging_in() { [ "$(login_attempts)" -ge 1 ]; }

# killed_at SYSCALL PATH: runs the request in $REQ under strace, which
# kills hexind with SIGKILL as it enters SYSCALL the first time; that
# call was on PATH (a file name the call or its descriptor names).
killed_at() {
	local trace=$BATS_TEST_TMPDIR/trace
	run strace -f -qq -y -o "$trace" -e trace="$1" \
	    -e inject="$1":signal=KILL "$HEXIND" <"$REQ" 2>>"$ERR"
	[ "$status" -ne 0 ]
	grep "$1(" "$trace" | head -n 1 | grep -qF "$2" || {
		cat "$trace" >&2
		return 1
	}
	grep -q 'killed by SIGKILL' "$trace"
}

@test "a process killed during the login leaves no lock behind and the next request logs in" {
	fake_set '{"login_delay":30}'
	write_request /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}'
	"$HEXIND" <"$REQ" >/dev/null 2>>"$ERR" &
	local pid=$!
	wait_for logging_in
	kill -KILL "$pid"
	wait "$pid" || true
	fake_set '{"login_delay":0}'
	post /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}'
	assert_status 200
	[ "$(login_attempts)" = 2 ]
	cache_ok
}

@test "a process killed as it renames the new token into place leaves the cache usable" {
	write_request /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}'
	killed_at rename "$HEXIND_CACHE_DIR/token-"
	[ "$(logins)" = 1 ]
	# no token file yet, only the dead process's temporary one
	! ls "$HEXIND_CACHE_DIR"/token-* | grep -Ev '\.(lock|tmp\..*)$' || false
	post /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}'
	assert_status 200
	cache_ok
	post /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}'
	assert_status 200
	[ "$(logins)" = 2 ]
}

@test "a process killed as it takes the capture lock leaves the capture file whole" {
	export HEXIND_LOG_DIR=$BATS_TEST_TMPDIR/logs
	post /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}'
	assert_status 200
	write_request /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}'
	killed_at flock rollout.jsonl
	post /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}'
	assert_status 200
	f=$(find "$HEXIND_LOG_DIR" -name rollout.jsonl)
	[ "$(wc -l <"$f")" -eq 2 ]
	"$PY" -S -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$f"
}

@test "a line torn by a writer killed mid-write is cut off by the next writer" {
	export HEXIND_LOG_DIR=$BATS_TEST_TMPDIR/logs
	local f=$HEXIND_LOG_DIR/chat_completions/$(date -u +%F)/rollout.jsonl
	mkdir -p "${f%/*}"
	printf '{"whole":1}\n{"torn":"par' >"$f"
	post /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}'
	assert_status 200
	err_has "a line a killed process left"
	"$PY" -S -c '
import json, sys
lines = open(sys.argv[1]).read().split("\n")
assert lines[-1] == "" and len(lines) == 3, lines
assert json.loads(lines[0]) == {"whole": 1}
assert json.loads(lines[1])["output"][0]["content"] == "echo: hi"' "$f"
}

@test "a stream killed mid-way leaves the stream beside it whole" {
	local sa i pids dir=$BATS_TEST_TMPDIR
	export HEXIND_LOG_DIR=$dir/logs
	fake_set '{"chat_chunks":40,"chat_chunk_delay":0.05}'
	env_file "$dir/env"
	activate "$dir/env"
	sa=${PIDS[-1]}
	for i in 1 2; do
		curl -sS -N -o "$dir/out$i" -H "Authorization: Bearer $KEY" \
		    -H 'Content-Type: application/json' -H "X-Request-ID: kill-$i" \
		    -d '{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"a b c d e f g h"}]}' \
		    "http://127.0.0.1:$PORT/v1/chat/completions" 2>/dev/null &
		PIDS+=($!)
		wait_for grep -q '"content"' "$dir/out$i"
	done
	pids=$(pgrep -P "$sa")
	[ "$(printf '%s\n' "$pids" | wc -l)" -eq 2 ]
	# the older process serves the first stream
	kill -KILL "$(printf '%s\n' "$pids" | sort -n | head -n 1)"
	wait "${PIDS[-1]}"
	tail -n 2 "$dir/out2" | grep -qx 'data: \[DONE\]'
	"$PY" -S -c '
import json, sys
text = ""
for line in open(sys.argv[1]):
    if line.startswith("data: {"):
        for c in json.loads(line[6:])["choices"]:
            text += c["delta"].get("content") or ""
assert text == "echo: a b c d e f g h", text' "$dir/out2"
	! grep -q '\[DONE\]' "$dir/out1" || false
	f=$(find "$HEXIND_LOG_DIR" -name rollout.jsonl)
	"$PY" -S -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert [r["request_id"] for r in recs] == ["kill-2"], recs' "$f"
}
