# Request capture (HEXIND_LOG_DIR): one JSON line per finished request
# under <dir>/<endpoint>/<YYYY-MM-DD>/rollout.jsonl, streams assembled,
# credentials masked, never a torn line, never a broken request.
load helpers

HI='[{"role":"user","content":"hi"}]'

setup() {
	common_setup
	start_fake
	LOGS=$BATS_TEST_TMPDIR/logs
	export HEXIND_LOG_DIR=$LOGS
}

# captured CODE [ARG...]: parses every line of every file under $LOGS
# (each must be one JSON object) and runs the Python assertions CODE with
# recs (the records, in file order), rec (the only one, when there is
# one), files (paths relative to $LOGS), ARG/ARGS and KEY.
captured() {
	LOGS=$LOGS KEY=$KEY "$PY" -S -c '
import glob, json, os, sys
logs = os.environ["LOGS"]
KEY = os.environ["KEY"]
ARGS = sys.argv[2:]
ARG = ARGS[0] if ARGS else None
files = sorted(os.path.relpath(p, logs) for p in
               glob.glob(logs + "/**", recursive=True) if os.path.isfile(p))
recs = []
for f in files:
    data = open(os.path.join(logs, f), "rb").read()
    assert data.endswith(b"\n"), (f, data[-80:])
    assert KEY.encode() not in data, f
    for line in data.decode("utf-8").split("\n")[:-1]:
        r = json.loads(line)
        assert isinstance(r, dict), line
        recs.append(r)
rec = recs[0] if len(recs) == 1 else None
exec(sys.argv[1])' "$@"
}

@test "a chat completion is captured with its input, output, usage and parameters" {
	post /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"',"temperature":0.5,"tools":[{"type":"function","function":{"name":"f","parameters":{}}}]}' 'X-Request-ID: cap-1'
	assert_status 200
	captured '
import re, time
assert len(files) == 1 and re.fullmatch(r"chat_completions/\d{4}-\d\d-\d\d/rollout\.jsonl", files[0]), files
assert files[0].split("/")[1] == time.strftime("%Y-%m-%d", time.gmtime(time.time() - 5)) or files[0].split("/")[1] == time.strftime("%Y-%m-%d", time.gmtime())
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", rec["timestamp"]), rec
assert rec["timestamp"][:10] == files[0].split("/")[1]
assert (rec["request_id"], rec["endpoint"], rec["model"], rec["stream"], rec["status"]) == ("cap-1", "chat_completions", "gpt-4o", False, 200), rec
assert rec["input"] == [{"role": "user", "content": "hi"}], rec
assert rec["tools"][0]["function"]["name"] == "f" and rec["parameters"] == {"temperature": 0.5}, rec
assert rec["output"] == [{"index": 0, "role": "assistant", "content": "echo: hi", "finish_reason": "stop"}], rec
assert rec["usage"]["total_tokens"] > 0 and isinstance(rec["latency_ms"], int), rec
assert rec["headers"]["Authorization"] == "Bearer ***" and rec["headers"]["X-Request-ID"] == "cap-1", rec
assert "error" not in rec'
}

@test "every credential header is masked" {
	post /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}' \
	    "x-api-key: $KEY" "Cookie: session=$KEY" "X-Upstream-Token: $KEY"
	assert_status 200
	captured '
h = rec["headers"]
assert (h["x-api-key"], h["Cookie"], h["X-Upstream-Token"]) == ("***", "***", "***"), h'
}

@test "a credential header is masked whole, whatever follows the key, cookies too" {
	local k2=second-key-Z1x2C3v4
	export HEXIND_API_KEYS=$KEY,$k2
	post /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}' \
	    "x-api-key: $k2 (backup)" "Proxy-Authorization: $k2 is-my-key" \
	    "Cookie: session=$k2; other=1" "X-Token: bearer $k2"
	assert_status 200
	! grep -rqF -e Z1x2C3v4 -e second-key "$LOGS" || false
	captured '
h = rec["headers"]
assert (h["x-api-key"], h["Proxy-Authorization"], h["Cookie"], h["X-Token"]) == ("***", "***", "***", "Bearer ***"), h'
	# authenticated by x-api-key, with the key and more in Authorization
	local body='{"model":"gpt-4o","messages":'"$HI"'}'
	printf 'POST /v1/chat/completions HTTP/1.1\r\nHost: t\r\nx-api-key: %s\r\nAuthorization: %s is-my-key\r\nContent-Length: %d\r\n\r\n%s' \
	    "$KEY" "$k2" ${#body} "$body" >"$REQ"
	run _post
	assert_status 200
	! grep -rqF -e Z1x2C3v4 -e second-key "$LOGS" || false
	captured 'assert len(recs) == 2 and recs[1]["headers"]["Authorization"] == "***", recs'
}

@test "a chat stream is captured as the message it assembles to, tool calls and reasoning too" {
	fake_set '{"chat_tools":true,"chat_reasoning":true}'
	post /v1/chat/completions '{"model":"deepseek-r1","stream":true,"stream_options":{"include_usage":true},"messages":'"$HI"'}'
	assert_status 200
	captured '
assert rec["stream"] is True and rec["status"] == 200, rec
out = rec["output"][0]
call = out["tool_calls"][0]
assert (call["id"], call["type"], call["function"]["name"]) == ("call_fake_1", "function", "get_weather"), out
assert json.loads(call["function"]["arguments"]) == {"city": "Paris"}, out
assert out["reasoning_content"] == "thinking about it" and out["finish_reason"] == "tool_calls", out
assert rec["usage"]["total_tokens"] > 0, rec'
}

@test "a Claude model through chat completions is captured under chat_completions" {
	post /v1/chat/completions '{"model":"claude","stream":true,"messages":'"$HI"'}'
	assert_status 200
	captured '
assert files[0].startswith("chat_completions/"), files
assert rec["output"][0]["content"] == "echo: hi" and rec["output"][0]["finish_reason"] == "stop", rec'
}

@test "a message is captured with its system prompt, blocks and usage" {
	post /v1/messages '{"model":"claude","max_tokens":64,"system":"be brief","messages":'"$HI"'}' 'anthropic-version: 2023-06-01'
	assert_status 200
	captured '
assert files[0].startswith("messages/"), files
assert rec["system"] == "be brief" and rec["parameters"] == {"max_tokens": 64}, rec
out = rec["output"][0]
assert out["role"] == "assistant" and out["content"][0]["type"] == "text" and out["stop_reason"] == "end_turn", rec
assert rec["usage"]["input_tokens"] > 0 and rec["usage"]["output_tokens"] > 0, rec'
}

@test "a message stream is assembled: thinking with its signature, text, tool input parsed" {
	fake_set '{"claude_thinking":true,"claude_tools":true}'
	post /v1/messages '{"model":"claude","max_tokens":2048,"stream":true,"thinking":{"type":"enabled","budget_tokens":1024},"messages":'"$HI"',"tools":[{"name":"get_weather","input_schema":{"type":"object"}}]}'
	assert_status 200
	captured '
out = rec["output"][0]
types = [b["type"] for b in out["content"]]
assert types == ["thinking", "text", "tool_use"], out
th, text, tool = out["content"]
assert (th["thinking"], th["signature"]) == ("hmm, thinking", "sig_fake"), th
assert text["text"] == "Let me check.", text
assert (tool["id"], tool["name"], tool["input"]) == ("toolu_fake_1", "get_weather", {"city": "Paris", "days": 2}), tool
assert out["stop_reason"] == "tool_use", out
assert rec["usage"]["input_tokens"] > 0 and rec["usage"]["output_tokens"] > 0, rec
assert rec["tools"][0]["name"] == "get_weather" and rec["parameters"]["thinking"]["budget_tokens"] == 1024, rec'
}

@test "a responses stream is captured from its final response" {
	post /v1/responses '{"model":"o3","input":"r1","instructions":"be terse","stream":true,"reasoning":{"effort":"low"}}'
	assert_status 200
	captured '
assert files[0].startswith("responses/"), files
assert (rec["input"], rec["system"], rec["parameters"]) == ("r1", "be terse", {"reasoning": {"effort": "low"}}), rec
assert rec["output"][0]["content"][0]["text"] == "echo: r1", rec
assert rec["usage"]["total_tokens"] > 0, rec'
}

@test "embeddings are captured by count and dimensions, not vectors" {
	post /v1/embeddings '{"model":"text-embedding-3-small","input":["a","b","c"]}'
	assert_status 200
	captured '
assert files[0].startswith("embeddings/"), files
assert rec["input"] == ["a", "b", "c"] and rec["output"] == {"embeddings": 3, "dimensions": 8}, rec
assert rec["usage"]["prompt_tokens"] > 0, rec'
}

@test "a refused request is captured with the error the client got" {
	post /v1/chat/completions '{"model":"gpt-4o","messages":[]}'
	assert_status 400
	captured '
assert rec["status"] == 400 and rec["output"] is None and rec["error"]["param"] == "messages", rec'
}

@test "an error inside a stream is captured beside what came before it" {
	fake_set '{"chat_error_event_after":2}'
	post /v1/chat/completions '{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"one two three four"}]}'
	assert_status 200
	captured '
assert rec["status"] == 200 and rec["error"]["message"], rec
assert rec["output"][0]["content"], rec'
}

@test "models, health and unknown paths are not captured" {
	send $'GET /v1/models HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer '"$KEY"$'\r\n\r\n'
	assert_status 200
	send $'GET /health HTTP/1.1\r\nHost: t\r\n\r\n'
	assert_status 200
	post /v1/nothing '{}'
	assert_status 404
	[ ! -e "$LOGS" ]
}

@test "a capture directory that cannot be made is logged and the request still answered" {
	: >"$BATS_TEST_TMPDIR/file"
	export HEXIND_LOG_DIR=$BATS_TEST_TMPDIR/file/logs
	post /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}'
	assert_status 200
	[ "$(json "j['choices'][0]['message']['content']")" = "echo: hi" ]
	err_has "the request was not captured"
}

@test "a write cut short by a full file system is taken back whole" {
	local day f
	day=$(date -u +%F)
	f=$LOGS/chat_completions/$day/rollout.jsonl
	mkdir -p "${f%/*}"
	# a line the limit lets through, and then one it cuts short
	"$PY" -S -c 'import json; print(json.dumps({"filler": "x" * 1500}))' >"$f"
	cp "$f" "$BATS_TEST_TMPDIR/before"
	write_request /v1/chat/completions '{"model":"gpt-4o","messages":[{"role":"user","content":"'"$(printf 'y%.0s' $(seq 1500))"'"}]}'
	run bash -c 'ulimit -f 2 && timeout 20 "$1" <"$2" 2>>"$3"' _ "$HEXIND" "$REQ" "$ERR"
	assert_status 200
	cmp "$f" "$BATS_TEST_TMPDIR/before"
	err_has "the request was not captured"
}

@test "200 concurrent requests leave 200 whole lines" {
	local dir=$BATS_TEST_TMPDIR/par big i
	mkdir -p "$dir"
	env_file "$BATS_TEST_TMPDIR/env"
	activate "$BATS_TEST_TMPDIR/env"
	# lines far past PIPE_BUF, half of them streams
	big=$(printf 'z%.0s' $(seq 20000))
	for i in 0 1; do
		printf '{"model":"gpt-4o","stream":%s,"messages":[{"role":"user","content":"%s"}]}' \
		    "$([ $i = 1 ] && echo true || echo false)" "$big" >"$dir/body$i"
	done
	seq 200 | timeout 120 xargs -P 100 -I{} sh -c \
	    'curl -sS -o "$1/out$2" -w "%{http_code}\n" -H "Authorization: Bearer $3" -H "Content-Type: application/json" -H "X-Request-ID: par-$2" --data-binary @"$1/body$(($2 % 2))" "http://127.0.0.1:$4/v1/chat/completions"' \
	    _ "$dir" {} "$KEY" "$PORT" >"$dir/codes"
	[ "$(sort -u "$dir/codes")" = 200 ]
	captured '
assert len(files) == 1, files
ids = sorted(r["request_id"] for r in recs)
assert ids == sorted("par-%d" % i for i in range(1, 201)), (len(ids), ids[:5])
for r in recs:
    assert r["status"] == 200 and len(r["input"][0]["content"]) == 20000, r["request_id"]
    assert r["output"][0]["content"] == "echo: " + r["input"][0]["content"], r["request_id"]'
}

@test "a translated responses stream is captured with its output items and usage" {
	fake_set '{"claude_tools": true}'
	post /v1/responses '{"model":"claude-sonnet-4-5","input":"r2","stream":true,"tools":[{"type":"function","name":"get_weather"}]}'
	assert_status 200
	captured '
assert files[0].startswith("responses/"), files
assert (rec["endpoint"], rec["model"], rec["stream"], rec["status"]) == ("responses", "claude-sonnet-4-5", True, 200), rec
assert [o["type"] for o in rec["output"]] == ["message", "function_call"], rec["output"]
assert rec["output"][1]["call_id"] == "toolu_fake_1"
assert rec["usage"]["output_tokens"] > 0 and "error" not in rec, rec'
}
