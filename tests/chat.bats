# POST /v1/chat/completions against the fake Hexin: where each model goes
# and how its body is rewritten, how answers and streams come back, n
# fan-out, how upstream failures reach the client, and a client hanging up.
load helpers

HI='[{"role":"user","content":"hi"}]'

setup() {
	common_setup
	start_fake
}

# request writes a request to $REQ, chat sends it and verify checks it:
# write_request, post and verify_as in helpers.bash.
request() {
	write_request /v1/chat/completions "$@"
}
chat() {
	post /v1/chat/completions "$@"
}
verify() {
	verify_as chat "$@"
}

# A client on a real socket. client MODE: sends $REQ to $PORT, writes the
# response to $RAW and prints a JSON object of times:
#   read       reads to EOF; first_content: when the first non-empty
#              content delta had arrived
#   hangup     reads until the first event is complete, then closes;
#              closed: when
#   hangup-early  closes as soon as the fake has the call; closed: when
CLIENT='
import http.client, json, socket, sys, time
mode, port, reqfile, rawfile, fake_port = sys.argv[1:6]
s = socket.create_connection(("127.0.0.1", int(port)), timeout=20)
s.sendall(open(reqfile, "rb").read())
buf, info = b"", {}
def has_content(b):
    for ev in b.partition(b"\r\n\r\n")[2].split(b"\n\n")[:-1]:
        if ev.startswith(b"data: {"):
            for c in json.loads(ev[6:]).get("choices") or []:
                if (c.get("delta") or {}).get("content"):
                    return True
    return False
if mode == "hangup-early":
    deadline = time.time() + 10
    while time.time() < deadline:
        f = http.client.HTTPConnection("127.0.0.1", int(fake_port), timeout=5)
        f.request("GET", "/_fake/streams")
        if json.loads(f.getresponse().read())["streams"]:
            break
        f.close()
        time.sleep(0.02)
else:
    while True:
        d = s.recv(65536)
        if not d:
            break
        buf += d
        if mode == "read" and "first_content" not in info and has_content(buf):
            info["first_content"] = time.time()
        if mode == "hangup" and b"\n\n" in buf.partition(b"\r\n\r\n")[2]:
            break
if mode != "read":
    info["closed"] = time.time()
s.close()
open(rawfile, "wb").write(buf)
print(json.dumps(info))
'
client() {
	"$PY" -S -c "$CLIENT" "$1" "$PORT" "$REQ" "$RAW" "$FAKE_PORT"
}

# serve: writes the environment to an env file and serves hexind on
# $PORT through systemd-socket-activate.
serve() {
	ENVF=$BATS_TEST_TMPDIR/hexind.env
	env_file "$ENVF"
	activate "$ENVF"
}

# No hexind started for $ENVF is left running.
no_hexind_left() {
	none_running -f "^$HEXIND --env-file $ENVF"
}

# --- routing and rewrites ---

@test "gpt-4o goes to chatgpt/v3 with max_tokens renamed max_completion_tokens and temperature kept" {
	chat '{"model":"gpt-4o","messages":'"$HI"',"max_tokens":50,"temperature":0.7}'
	[ "$status" -eq 0 ]
	verify '
assert len(reqs) == 1
assert req["path"] == "/vtuber/ai_access/chatgpt/v3/chat/completions"
assert up == {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}],
              "max_completion_tokens": 50, "temperature": 0.7}
assert '"'"'"temperature":0.7'"'"' in req["body"]
assert status == 200 and hdr["content-type"] == "application/json"
assert js["object"] == "chat.completion"
assert js["choices"][0]["message"]["content"] == "echo: hi"'
}

@test "the client's own max_completion_tokens wins over max_tokens, without a duplicate key" {
	chat '{"model":"gpt-4o","messages":'"$HI"',"max_tokens":50,"max_completion_tokens":70}'
	[ "$status" -eq 0 ]
	verify '
assert req["body"].count("max_completion_tokens") == 1
assert "max_tokens" not in up and up["max_completion_tokens"] == 70
assert status == 200'
}

@test "o3 and o4-mini go to chatgpt/v3 without temperature and with max_tokens renamed" {
	local m
	for m in o3 o4-mini; do
		chat '{"model":"'"$m"'","messages":'"$HI"',"temperature":0.2,"max_tokens":9}'
		[ "$status" -eq 0 ]
		verify '
assert req["path"] == "/vtuber/ai_access/chatgpt/v3/chat/completions"
assert up == {"model": "'"$m"'", "messages": [{"role": "user", "content": "hi"}],
              "max_completion_tokens": 9}
assert status == 200 and js["choices"][0]["message"]["content"] == "echo: hi"'
	done
}

@test "doubao-deepseek-r1 and deepseek-reasoner go to doubao/v3 as ep-20250410145517-rpbrz" {
	local m
	for m in doubao-deepseek-r1 deepseek-reasoner; do
		chat '{"model":"'"$m"'","messages":'"$HI"',"temperature":0.3}'
		[ "$status" -eq 0 ]
		verify '
assert req["path"] == "/vtuber/ai_access/doubao/v3/chat/completions"
assert up == {"model": "ep-20250410145517-rpbrz", "temperature": 0.3,
              "messages": [{"role": "user", "content": "hi"}]}
assert status == 200 and js["choices"][0]["message"]["content"] == "echo: hi"'
	done
}

@test "doubao-deepseek-v3 and deepseek-chat go to doubao/v3 as ep-20250410151344-fzm9z" {
	local m
	for m in doubao-deepseek-v3 deepseek-chat; do
		chat '{"model":"'"$m"'","messages":'"$HI"'}'
		[ "$status" -eq 0 ]
		verify '
assert req["path"] == "/vtuber/ai_access/doubao/v3/chat/completions"
assert up == {"model": "ep-20250410151344-fzm9z", "messages": [{"role": "user", "content": "hi"}]}
assert status == 200'
	done
}

@test "r1-qianfan goes to qianfan/v3 as deepseek-r1" {
	chat '{"model":"r1-qianfan","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	verify '
assert req["path"] == "/vtuber/ai_access/qianfan/v3/chat/completions"
assert up == {"model": "deepseek-r1", "messages": [{"role": "user", "content": "hi"}]}
assert status == 200'
}

@test "gemini goes to gemini/v3 as gemini-2.5-pro-preview-03-25" {
	chat '{"model":"gemini","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	verify '
assert req["path"] == "/vtuber/ai_access/gemini/v3/chat/completions"
assert up == {"model": "gemini-2.5-pro-preview-03-25", "messages": [{"role": "user", "content": "hi"}]}
assert status == 200'
}

@test "qwen-max goes to qianwen/v1 as sent" {
	chat '{"model":"qwen-max","messages":'"$HI"',"max_tokens":5}'
	[ "$status" -eq 0 ]
	verify '
assert req["path"] == "/vtuber/ai_access/qianwen/v1/chat/completions"
assert up == {"model": "qwen-max", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}
assert status == 200'
}

@test "an unknown model goes to chatgpt/v3 as sent" {
	chat '{"model":"mystery-model-7","messages":'"$HI"',"max_tokens":5}'
	[ "$status" -eq 0 ]
	verify '
assert req["path"] == "/vtuber/ai_access/chatgpt/v3/chat/completions"
assert up == {"model": "mystery-model-7", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}
assert status == 200'
}

@test "unknown client fields pass through verbatim, numbers byte for byte" {
	local b='{"model":"gpt-4o","messages":'"$HI"',"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"tool_choice":"auto","response_format":{"type":"json_object"},"seed":42,"user":"u-1","x_custom":{"a":[1,2.50,1e3]}}'
	chat "$b"
	[ "$status" -eq 0 ]
	verify '
assert up == json.loads(ARG), up
assert list(up) == list(json.loads(ARG))
assert "2.50" in req["body"] and "1e3" in req["body"]
assert status == 200' "$b"
}

@test "hexind adds no max_tokens and no temperature the client did not send" {
	local m
	for m in gpt-4o o3 deepseek-reasoner; do
		chat '{"model":"'"$m"'","messages":'"$HI"'}'
		[ "$status" -eq 0 ]
		verify '
assert sorted(up) == ["messages", "model"], up
assert status == 200'
	done
}

@test "the upstream call carries token, userId, X-Trace-Id as the request id and JSON content type" {
	chat '{"model":"gpt-4o","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	verify '
h = req["headers"]
assert h["token"] == cache_token()
assert h["userid"] == "u-demo-app"
assert hdr["x-request-id"] and h["x-trace-id"] == hdr["x-request-id"]
assert h["content-type"] == "application/json"
assert status == 200'
}

@test "the client's X-Request-ID becomes the upstream X-Trace-Id" {
	chat '{"model":"gpt-4o","messages":'"$HI"'}' 'X-Request-ID: trace-chat-1'
	[ "$status" -eq 0 ]
	verify '
assert hdr["x-request-id"] == "trace-chat-1"
assert req["headers"]["x-trace-id"] == "trace-chat-1"'
}

@test "a gateway family calls its base URL with the Bearer key and logs in nowhere" {
	export HEXIND_MODELS_FILE=$BATS_TEST_TMPDIR/models.json GW_TEST_KEY=gw-key
	printf '{"families": [{"name": "gw", "match": ["gw-*"], "route": "gateway", "base_url": "%s/gateway/v1", "key_env": "GW_TEST_KEY"}]}\n' \
	    "$FAKE" >"$HEXIND_MODELS_FILE"
	chat '{"model":"gw-model","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	verify '
assert [r["path"] for r in allreqs] == ["/gateway/v1/chat/completions"]
assert req["headers"]["authorization"] == "Bearer gw-key"
assert "token" not in req["headers"]
assert up == {"model": "gw-model", "messages": [{"role": "user", "content": "hi"}]}
assert status == 200 and js["choices"][0]["message"]["content"] == "echo: hi"'
	[ "$(login_attempts)" -eq 0 ]
}

@test "a gateway family whose key variable is unset answers 502" {
	export HEXIND_MODELS_FILE=$BATS_TEST_TMPDIR/models.json
	unset GW_TEST_KEY
	printf '{"families": [{"name": "gw", "match": ["gw-*"], "route": "gateway", "base_url": "%s/gateway/v1", "key_env": "GW_TEST_KEY"}]}\n' \
	    "$FAKE" >"$HEXIND_MODELS_FILE"
	chat '{"model":"gw-model","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	assert_error 502 ""
	verify 'assert allreqs == []'
}

# --- answers ---

@test "an answer in the envelope reaches the client as the bare chat.completion" {
	fake_set '{"chat_wrap": true}'
	chat '{"model":"gpt-4o","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	verify '
assert status == 200
assert not {"data", "success", "status_code", "status_msg"} & set(js), js
assert js["object"] == "chat.completion"
assert js["choices"] == [{"index": 0, "message": {"role": "assistant", "content": "echo: hi"},
                          "finish_reason": "stop"}]'
}

@test "a bare answer passes through unchanged" {
	chat '{"model":"gpt-4o","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	verify '
assert status == 200
assert sorted(js) == ["choices", "created", "id", "model", "object", "usage"], js
assert js["id"] == "chatcmpl-fake-%d" % req["seq"] and js["model"] == "gpt-4o"
assert js["choices"] == [{"index": 0, "message": {"role": "assistant", "content": "echo: hi"},
                          "finish_reason": "stop"}]
assert sorted(js["usage"]) == ["completion_tokens", "prompt_tokens", "total_tokens"]'
}

@test "reasoning_content stays its own field of the message" {
	fake_set '{"chat_reasoning": true}'
	chat '{"model":"deepseek-reasoner","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	verify '
assert status == 200
assert js["choices"][0]["message"] == {"role": "assistant", "content": "echo: hi",
                                       "reasoning_content": "thinking about it"}'
}

@test "reasoning_content stays its own field of the stream deltas" {
	fake_set '{"chat_reasoning": true}'
	chat '{"model":"deepseek-reasoner","messages":'"$HI"',"stream":true}'
	[ "$status" -eq 0 ]
	verify '
assert status == 200
assert "".join(d.get("reasoning_content") or "" for d in deltas()) == "thinking about it"
assert text() == "echo: hi"
assert data[-1] == "[DONE]"'
}

@test "with HEXIND_THINK_TAGS=yes the reasoning is folded into content in <think> tags" {
	export HEXIND_THINK_TAGS=yes
	fake_set '{"chat_reasoning": true}'
	chat '{"model":"deepseek-reasoner","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	verify '
assert status == 200
assert js["choices"][0]["message"] == {"role": "assistant",
    "content": "<think>thinking about it</think>echo: hi"}'
}

@test "with HEXIND_THINK_TAGS=yes a stream's deltas join to the folded text" {
	export HEXIND_THINK_TAGS=yes
	fake_set '{"chat_reasoning": true}'
	chat '{"model":"deepseek-reasoner","messages":'"$HI"',"stream":true}'
	[ "$status" -eq 0 ]
	verify '
assert status == 200
assert text() == "<think>thinking about it</think>echo: hi"
assert not any("reasoning_content" in d for d in deltas())
assert data[-1] == "[DONE]"'
}

@test "tool_calls of an answer pass through intact" {
	fake_set '{"chat_tools": true}'
	chat '{"model":"gpt-4o","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	verify '
assert status == 200
c = js["choices"][0]
assert c["finish_reason"] == "tool_calls"
assert c["message"]["tool_calls"] == [{"id": "call_fake_1", "type": "function",
    "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]'
}

@test "tool_calls of a stream pass through intact" {
	fake_set '{"chat_tools": true}'
	chat '{"model":"gpt-4o","messages":'"$HI"',"stream":true}'
	[ "$status" -eq 0 ]
	verify '
assert status == 200
tc = [t for d in deltas() for t in d.get("tool_calls") or []]
assert tc[0]["index"] == 0 and tc[0]["id"] == "call_fake_1"
assert tc[0]["function"]["name"] == "get_weather"
assert all(t["index"] == 0 for t in tc)
assert "".join(t["function"].get("arguments") or "" for t in tc) == "{\"city\": \"Paris\"}"
fin = [c["finish_reason"] for k in chunks for c in k["choices"] if c.get("finish_reason")]
assert fin == ["tool_calls"]
assert data[-1] == "[DONE]"'
}

# --- streaming ---

@test "a stream is strict SSE with the stream headers, ending data: [DONE]" {
	chat '{"model":"gpt-4o","messages":'"$HI"',"stream":true}'
	[ "$status" -eq 0 ]
	verify '
assert status == 200
assert hdr["content-type"] == "text/event-stream"
assert hdr["cache-control"] == "no-cache"
assert hdr["x-accel-buffering"] == "no"
assert re.fullmatch(r"(data: [^\n]+\n\n)+", body), body
assert data[-1] == "[DONE]" and data.count("[DONE]") == 1
assert all(k["object"] == "chat.completion.chunk" for k in chunks)'
}

@test "a stream's deltas join to the non-stream answer, and the upstream was asked to stream" {
	chat '{"model":"gpt-4o","messages":[{"role":"user","content":"tell me something long enough"}]}'
	[ "$status" -eq 0 ]
	local plain
	plain=$(json "j['choices'][0]['message']['content']")
	[ "$plain" = "echo: tell me something long enough" ]
	chat '{"model":"gpt-4o","messages":[{"role":"user","content":"tell me something long enough"}],"stream":true}'
	[ "$status" -eq 0 ]
	verify '
assert up["stream"] is True and "stream" not in reqs[0]["json"]
assert req["headers"].get("accept") == "text/event-stream"
assert len([d for d in deltas() if d.get("content")]) > 1
assert text() == ARG' "$plain"
}

@test "a loose upstream stream reaches the client as strict SSE without retry or ping" {
	fake_set '{"chat_loose": true}'
	chat '{"model":"gpt-4o","messages":'"$HI"',"stream":true}'
	[ "$status" -eq 0 ]
	verify '
assert status == 200
assert "retry:" not in body
assert "\"type\":\"ping\"" not in body.replace(" ", "")
assert re.fullmatch(r"(data: [^\n]+\n\n)+", body), body
assert text() == "echo: hi" and data[-1] == "[DONE]"'
}

@test "the events of one read from Hexin go out to the client in one write" {
	fake_set '{"chat_whole": true}'
	write_request /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"',"stream":true}'
	client_writes
	# the role, three pieces of text, the finish and [DONE], each its
	# own write before; now with the head in one (two, should curl read
	# the fake's one write in two)
	[ "$(grep -c '^data: ' "$RAW")" -eq 6 ]
	[ "$WRITES" -le 2 ]
}

@test "a chunk that needs no change goes out as Hexin sent it, not generated again" {
	chat '{"model":"gpt-4o","messages":'"$HI"',"stream":true}'
	[ "$status" -eq 0 ]
	# the fake writes its JSON with Python's ", " and ": "; a chunk
	# generated again by hexind would have neither
	verify '
assert status == 200 and text() == "echo: hi" and data[-1] == "[DONE]"
assert all(d.startswith("{\"id\": ") for d in data[:-1]), data'
}

@test "with n=2 fanned out the chunks are generated again, their indexes moved" {
	chat '{"model":"deepseek-reasoner","messages":'"$HI"',"stream":true,"n":2}'
	[ "$status" -eq 0 ]
	verify '
assert status == 200 and data[-1] == "[DONE]"
assert {c["index"] for k in chunks for c in k["choices"]} == {0, 1}, chunks
assert all(d.startswith("{\"id\":\"") for d in data[:-1]), data'
}

@test "without include_usage no chunk carries usage, even when the upstream sends it" {
	fake_set '{"chat_usage_always": true}'
	chat '{"model":"gpt-4o","messages":'"$HI"',"stream":true}'
	[ "$status" -eq 0 ]
	verify '
assert status == 200
assert not any(k.get("usage") is not None for k in chunks), chunks
assert all(k["choices"] for k in chunks)
assert text() == "echo: hi" and data[-1] == "[DONE]"'
}

@test "with include_usage exactly one usage chunk comes before [DONE]" {
	chat '{"model":"gpt-4o","messages":'"$HI"',"stream":true,"stream_options":{"include_usage":true}}'
	[ "$status" -eq 0 ]
	verify '
assert up["stream_options"] == {"include_usage": True}
u = [k for k in chunks if k.get("usage") is not None]
assert len(u) == 1 and u[0]["choices"] == [], chunks
assert chunks[-1] is u[0] and data[-1] == "[DONE]"
assert u[0]["usage"]["total_tokens"] == u[0]["usage"]["prompt_tokens"] + u[0]["usage"]["completion_tokens"]'
}

@test "a plain answer to a stream request goes out as a valid chunk sequence" {
	fake_set '{"chat_plain_for_stream": true}'
	chat '{"model":"gpt-4o","messages":'"$HI"',"stream":true}'
	[ "$status" -eq 0 ]
	verify '
assert up["stream"] is True
assert status == 200 and hdr["content-type"] == "text/event-stream"
assert re.fullmatch(r"(data: [^\n]+\n\n)+", body), body
assert all(k["object"] == "chat.completion.chunk" for k in chunks)
assert deltas()[0].get("role") == "assistant"
assert text() == "echo: hi"
fin = [c["finish_reason"] for k in chunks for c in k["choices"]]
assert fin[-1] == "stop" and all(f is None for f in fin[:-1])
assert data[-1] == "[DONE]" and data.count("[DONE]") == 1
assert not any(k.get("usage") is not None for k in chunks)'
}

@test "a plain answer to a stream request with include_usage adds the usage chunk" {
	fake_set '{"chat_plain_for_stream": true}'
	chat '{"model":"gpt-4o","messages":'"$HI"',"stream":true,"stream_options":{"include_usage":true}}'
	[ "$status" -eq 0 ]
	verify '
assert status == 200 and text() == "echo: hi"
u = [k for k in chunks if k.get("usage") is not None]
assert len(u) == 1 and u[0]["choices"] == [], chunks
assert u[0]["usage"]["prompt_tokens"] >= 1
assert chunks[-1] is u[0] and data[-1] == "[DONE]"'
}

@test "a plain tool-call answer to a stream request gives tool_calls deltas with index 0" {
	fake_set '{"chat_plain_for_stream": true, "chat_tools": true}'
	chat '{"model":"gpt-4o","messages":'"$HI"',"stream":true}'
	[ "$status" -eq 0 ]
	verify '
assert status == 200
tc = [t for d in deltas() for t in d.get("tool_calls") or []]
assert tc and all(t["index"] == 0 for t in tc), tc
assert tc[0]["id"] == "call_fake_1" and tc[0]["function"]["name"] == "get_weather"
assert "".join(t["function"].get("arguments") or "" for t in tc) == "{\"city\": \"Paris\"}"
fin = [c["finish_reason"] for k in chunks for c in k["choices"] if c.get("finish_reason")]
assert fin == ["tool_calls"] and data[-1] == "[DONE]"'
}

@test "a stream reaches a socket client while the upstream is still sending" {
	fake_set '{"chat_chunks": 4, "chat_chunk_delay": 0.4}'
	serve
	request '{"model":"gpt-4o","messages":[{"role":"user","content":"a longer question"}],"stream":true}'
	local times
	times=$(client read)
	verify '
assert status == 200 and text() == "echo: a longer question" and data[-1] == "[DONE]"'
	fake_streams '(lambda t: len(s) == 1 and t < s[0]["sent"][-1] - 0.2)('"$(
	    "$PY" -S -c 'import json,sys; print(json.loads(sys.argv[1])["first_content"])' "$times")"')'
}

# --- n fan-out ---

@test "n=3 on a fan-out family makes three calls without n and merges their choices" {
	chat '{"model":"deepseek-reasoner","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	local one
	one=$(json "j['usage']")
	chat '{"model":"deepseek-reasoner","messages":'"$HI"',"n":3}'
	[ "$status" -eq 0 ]
	verify '
one = eval(ARG)
calls = reqs[1:]
assert len(calls) == 3 and all("n" not in r["json"] for r in calls)
assert all(r["json"]["model"] == "ep-20250410145517-rpbrz" for r in calls)
assert status == 200
assert [c["index"] for c in js["choices"]] == [0, 1, 2]
assert all(c["message"]["content"] == "echo: hi" for c in js["choices"])
assert js["usage"] == {k: 3 * v for k, v in one.items()}, js["usage"]' "$one"
}

@test "n=2 in a stream on a fan-out family gives choices 0 and 1, each finished, one [DONE]" {
	chat '{"model":"deepseek-reasoner","messages":'"$HI"',"n":2,"stream":true}'
	[ "$status" -eq 0 ]
	verify '
assert len(reqs) == 2 and all("n" not in r["json"] for r in reqs)
assert status == 200
assert text(0) == "echo: hi" and text(1) == "echo: hi"
fin = [(c["index"], c["finish_reason"]) for k in chunks for c in k["choices"] if c.get("finish_reason")]
assert sorted(fin) == [(0, "stop"), (1, "stop")], fin
assert {c["index"] for k in chunks for c in k["choices"]} == {0, 1}
assert data.count("[DONE]") == 1 and data[-1] == "[DONE]"
assert not any(k.get("usage") is not None for k in chunks)'
}

@test "n=2 in a stream with include_usage sends one usage chunk with the sum" {
	chat '{"model":"deepseek-reasoner","messages":'"$HI"'}'
	local one
	one=$(json "j['usage']")
	chat '{"model":"deepseek-reasoner","messages":'"$HI"',"n":2,"stream":true,"stream_options":{"include_usage":true}}'
	[ "$status" -eq 0 ]
	verify '
one = eval(ARG)
u = [k for k in chunks if k.get("usage") is not None]
assert len(u) == 1 and u[0]["choices"] == [], chunks
assert u[0]["usage"] == {k: 2 * v for k, v in one.items()}, u[0]["usage"]
assert chunks[-1] is u[0] and data[-1] == "[DONE]"' "$one"
}

@test "n=2 on gpt-4o is one call with n passed through" {
	chat '{"model":"gpt-4o","messages":'"$HI"',"n":2}'
	[ "$status" -eq 0 ]
	verify '
assert len(reqs) == 1 and up["n"] == 2
assert status == 200'
}

# --- the client's mistakes ---

@test "a body that is not JSON answers 400 and reaches no upstream" {
	chat '{"model": "gpt-4o", "messages": ['
	[ "$status" -eq 0 ]
	assert_error 400 "" json
	verify 'assert err["type"] == "invalid_request_error" and allreqs == []'
}

@test "a request without a model answers 400 naming model" {
	chat '{"messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	assert_error 400 "" model
	verify 'assert err["type"] == "invalid_request_error" and err["param"] == "model" and allreqs == []'
}

@test "messages missing, not an array or empty answer 400 naming messages" {
	local b
	for b in '{"model":"gpt-4o"}' '{"model":"gpt-4o","messages":"hi"}' '{"model":"gpt-4o","messages":[]}'; do
		chat "$b"
		[ "$status" -eq 0 ]
		assert_error 400 "" messages
		verify 'assert err["type"] == "invalid_request_error" and err["param"] == "messages" and allreqs == []'
	done
}

@test "n of 0 or a string answers 400 naming n" {
	local n
	for n in 0 '"two"'; do
		chat '{"model":"gpt-4o","messages":'"$HI"',"n":'"$n"'}'
		[ "$status" -eq 0 ]
		assert_error 400 ""
		verify 'assert err["type"] == "invalid_request_error" and err["param"] == "n" and allreqs == []'
	done
}

@test "stream that is not a boolean answers 400 naming stream" {
	chat '{"model":"gpt-4o","messages":'"$HI"',"stream":"yes"}'
	[ "$status" -eq 0 ]
	assert_error 400 "" stream
	verify 'assert err["type"] == "invalid_request_error" and err["param"] == "stream" and allreqs == []'
}

# --- upstream errors ---

@test "an error envelope with status_code 400 answers 400 with its message" {
	fake_set '{"chat_envelope_error": {"status_code": 400, "status_msg": "bad thing"}}'
	chat '{"model":"gpt-4o","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	assert_error 400 "" "bad thing"
	verify 'assert len(reqs) == 1'
}

@test "an error envelope with status_code 500 answers 502" {
	fake_set '{"chat_envelope_error": {"status_code": 500, "status_msg": "it broke"}}'
	chat '{"model":"gpt-4o","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	assert_error 502 "" "it broke"
	verify 'assert err["type"] == "server_error"'
}

@test "an OpenAI error object with HTTP 400 answers 400 with the upstream message" {
	fake_set '{"chat_openai_error": {"status": 400}}'
	chat '{"model":"gpt-4o","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	assert_error 400 "" "fake upstream refused the request"
	verify 'assert len(reqs) == 1'
}

@test "an HTML 500 answers 502 naming HTTP 500" {
	fake_set '{"chat_fail": {"status": 500}}'
	chat '{"model":"gpt-4o","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	assert_error 502 "" "HTTP 500"
	verify 'assert len(reqs) == 1 and err["type"] == "server_error"'
}

@test "a 429 with Retry-After 7 answers 429 with Retry-After: 7" {
	fake_set '{"chat_fail": {"status": 429, "retry_after": 7}}'
	chat '{"model":"gpt-4o","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	assert_error 429 ""
	[ "$(header retry-after)" = 7 ]
	verify 'assert len(reqs) == 1'
}

@test "a 404 from the upstream answers 404" {
	fake_set '{"chat_fail": {"status": 404, "body": "no such route"}}'
	chat '{"model":"gpt-4o","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	assert_error 404 ""
	verify 'assert len(reqs) == 1'
}

@test "two 503s in a row are retried and the third call answers" {
	fake_set '{"chat_fail": {"status": 503, "count": 2}}'
	chat '{"model":"gpt-4o","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	verify '
assert len(reqs) == 3 and all(r["body"] == reqs[0]["body"] for r in reqs)
assert status == 200 and js["choices"][0]["message"]["content"] == "echo: hi"'
}

@test "with HEXIND_RETRIES=1 a lasting 503 answers 502 after exactly two calls" {
	export HEXIND_RETRIES=1
	fake_set '{"chat_fail": {"status": 503, "count": 5}}'
	chat '{"model":"gpt-4o","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	assert_error 502 ""
	verify 'assert len(reqs) == 2'
}

@test "a 400 is never retried" {
	fake_set '{"chat_fail": {"status": 400, "body": {"error": {"message": "nope"}}}}'
	chat '{"model":"gpt-4o","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	assert_error 400 "" nope
	verify 'assert len(reqs) == 1'
}

@test "an expired token is replaced by a new login and the request succeeds" {
	chat '{"model":"gpt-4o","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	curl -sS -f -X POST "$FAKE/_fake/expire-tokens" >/dev/null
	chat '{"model":"gpt-4o","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	[ "$(logins)" -eq 2 ]
	verify '
assert len(reqs) == 3
assert reqs[1]["headers"]["token"] == reqs[0]["headers"]["token"]
assert reqs[2]["headers"]["token"] != reqs[1]["headers"]["token"]
assert reqs[2]["headers"]["token"] == cache_token()
assert status == 200 and js["choices"][0]["message"]["content"] == "echo: hi"'
}

@test "a token refused even after a fresh login answers 502 after one re-login" {
	fake_set '{"chat_token_expired": true}'
	chat '{"model":"gpt-4o","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	assert_error 502 ""
	[ "$(logins)" -eq 2 ]
	verify 'assert len(reqs) == 2'
}

@test "an unreachable upstream answers 502" {
	export HITHINK_BASE_URL=http://127.0.0.1:$(free_port)/vtuber/ai_access
	chat '{"model":"gpt-4o","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	assert_error 502 ""
	verify 'assert reqs == [] and err["type"] == "server_error"'
}

@test "an upstream silent past HEXIND_IDLE_TIMEOUT answers 504" {
	export HEXIND_IDLE_TIMEOUT=0.5 HEXIND_RETRIES=0
	fake_set '{"chat_delay": 3}'
	chat '{"model":"gpt-4o","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	assert_error 504 ""
	verify 'assert len(reqs) == 1'
}

# --- a stream that breaks after it began ---

# assert_broken_stream: 200, the role chunk and the first content chunk,
# then one error event with a message, and no [DONE].
assert_broken_stream() {
	[ "$status" -eq 0 ]
	verify '
assert status == 200 and hdr["content-type"] == "text/event-stream"
assert re.fullmatch(r"(data: [^\n]+\n\n)+", body), body
assert deltas()[0].get("role") == "assistant" and text() == "ech", chunks
assert "[DONE]" not in data
e = chunks[-1].get("error")
assert isinstance(e, dict) and isinstance(e.get("message"), str) and e["message"], chunks[-1]
assert sum(1 for k in chunks if "error" in k) == 1'
}

@test "a stream dropped after two chunks ends with an error event, not [DONE]" {
	fake_set '{"chat_drop_after": 2}'
	chat '{"model":"gpt-4o","messages":'"$HI"',"stream":true}'
	assert_broken_stream
}

@test "a stream stalled past HEXIND_IDLE_TIMEOUT ends with an error event, not [DONE]" {
	export HEXIND_IDLE_TIMEOUT=0.5
	fake_set '{"chat_stall_after": 2}'
	chat '{"model":"gpt-4o","messages":'"$HI"',"stream":true}'
	assert_broken_stream
}

@test "an upstream error event after two chunks ends with an error event, not [DONE]" {
	fake_set '{"chat_error_event_after": 2}'
	chat '{"model":"gpt-4o","messages":'"$HI"',"stream":true}'
	assert_broken_stream
}

# --- the client hangs up ---

@test "a client hanging up mid-stream stops the upstream call and hexind exits" {
	fake_set '{"chat_stall_after": 1, "chat_stall_seconds": 30}'
	serve
	request '{"model":"gpt-4o","messages":'"$HI"',"stream":true}'
	local closed
	closed=$(client hangup | "$PY" -S -c 'import json,sys; print(json.load(sys.stdin)["closed"])')
	grep -Eq '"role": ?"assistant"' "$RAW"	# as Hexin spaced it
	wait_for fake_streams 's[0]["disconnected"] is not None'
	fake_streams 's[0]["disconnected"] - '"$closed"' < 3'
	wait_for grep -q 'status=499' "$BATS_TEST_TMPDIR/activate.err"
	wait_for no_hexind_left
}

@test "a client hanging up before the first upstream byte stops the upstream call" {
	fake_set '{"chat_delay": 30}'
	serve
	request '{"model":"gpt-4o","messages":'"$HI"'}'
	local closed
	closed=$(client hangup-early | "$PY" -S -c 'import json,sys; print(json.load(sys.stdin)["closed"])')
	wait_for fake_streams 's[0]["disconnected"] is not None'
	fake_streams 's[0]["disconnected"] - '"$closed"' < 3'
	wait_for grep -q 'status=499' "$BATS_TEST_TMPDIR/activate.err"
	wait_for no_hexind_left
}

@test "twenty concurrent streams all complete, overlapping, with a single login" {
	fake_set '{"chat_chunks": 4, "chat_chunk_delay": 0.5, "login_delay": 0.3}'
	local envf=$BATS_TEST_TMPDIR/hexind.env i pids=()
	env_file "$envf"
	activate "$envf"
	for i in $(seq 20); do
		curl -sS -N -H "Authorization: Bearer $KEY" \
		    -d '{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"n'"$i"'"}]}' \
		    "http://127.0.0.1:$PORT/v1/chat/completions" \
		    >"$BATS_TEST_TMPDIR/s$i" 2>>"$ERR" &
		pids+=($!)
	done
	wait "${pids[@]}"
	for i in $(seq 20); do
		grep -qx 'data: \[DONE\]' "$BATS_TEST_TMPDIR/s$i"
		[ "$(grep -Eo '"content": ?"[^"]*"' "$BATS_TEST_TMPDIR/s$i" | cut -d'"' -f4 | tr -d '\n')" = "echo: n$i" ]
	done
	[ "$(logins)" -eq 1 ]
	# they ran side by side: every stream began before any had ended
	curl -sS "$FAKE/_fake/streams" | "$PY" -S -c '
import json, sys
s = json.load(sys.stdin)["streams"]
assert len(s) == 20, len(s)
assert max(x["sent"][0] for x in s) < min(x["sent"][-1] for x in s), "not concurrent"'
}
