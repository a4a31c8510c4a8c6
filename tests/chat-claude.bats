# POST /v1/chat/completions for Claude models, which hexind translates to
# Hexin's Bedrock routes (Anthropic Messages, Bedrock flavour) and back:
# where each model goes, how the body is translated, how answers, streams
# and n fan-out come back, and how upstream failures reach the client.
load helpers

HI='[{"role":"user","content":"hi"}]'
B=/vtuber/ai_access/claude/model
PNG=iVBORw0KGgoAAAANSUhEUg==

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
	verify_as claude "$@"
}

# assert_model MODEL ID: a plain request for MODEL goes to the invoke
# route of ID, colon and all, and is answered.
assert_model() {
	chat '{"model":"'"$1"'","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	verify '
assert [r["path"] for r in reqs] == [B + ARG + "/invoke"], allreqs
assert status == 200 and js["choices"][0]["message"]["content"] == "echo: hi"' "$2"
	err_has "route=bedrock "
}

# models_file JSON: writes a model table file and points hexind at it.
models_file() {
	export HEXIND_MODELS_FILE=$BATS_TEST_TMPDIR/models.json
	printf '%s\n' "$1" >"$HEXIND_MODELS_FILE"
}

# --- the model in the URL ---

@test "claude goes to the invoke route as us.anthropic.claude-sonnet-4-5-20250929-v1:0" {
	assert_model claude us.anthropic.claude-sonnet-4-5-20250929-v1:0
}

@test "a Claude stream goes to the invoke-with-response-stream route" {
	chat '{"model":"claude","messages":'"$HI"',"stream":true}'
	[ "$status" -eq 0 ]
	verify '
assert [r["path"] for r in reqs] == [B + "us.anthropic.claude-sonnet-4-5-20250929-v1:0/invoke-with-response-stream"]
assert status == 200 and text() == "echo: hi"'
}

@test "claude-3-5-sonnet-20241022 goes to 3-5-sonnet v2, not sonnet-4, with 20000 max_tokens capped at 8192" {
	chat '{"model":"claude-3-5-sonnet-20241022","messages":'"$HI"',"max_tokens":20000}'
	[ "$status" -eq 0 ]
	verify '
assert req["path"] == B + "us.anthropic.claude-3-5-sonnet-20241022-v2:0/invoke"
assert up["max_tokens"] == 8192
assert status == 200 and js["choices"][0]["message"]["content"] == "echo: hi"'
}

@test "claude-3-7-sonnet-latest goes to 3-7-sonnet" {
	assert_model claude-3-7-sonnet-latest us.anthropic.claude-3-7-sonnet-20250219-v1:0
}

@test "claude-sonnet-4-20250514 goes to sonnet-4" {
	assert_model claude-sonnet-4-20250514 us.anthropic.claude-sonnet-4-20250514-v1:0
}

@test "claude-opus-4-5 goes to the global opus-4-5" {
	assert_model claude-opus-4-5 global.anthropic.claude-opus-4-5-20251101-v1:0
}

@test "claude-haiku-4-5 goes to sonnet-4, there being no haiku upstream" {
	assert_model claude-haiku-4-5 us.anthropic.claude-sonnet-4-20250514-v1:0
}

@test "a us.anthropic id without a version suffix gets :0 added" {
	assert_model us.anthropic.claude-x-v1 us.anthropic.claude-x-v1:0
}

@test "a full Bedrock id with :0 goes into the path unchanged, its colon unescaped" {
	chat '{"model":"global.anthropic.claude-opus-4-5-20251101-v1:0","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	verify '
assert req["path"] == B + "global.anthropic.claude-opus-4-5-20251101-v1:0/invoke"
assert "%3a" not in req["path"].lower() and "v1:0:0" not in req["path"]
assert status == 200'
}

# --- the Bedrock body ---

@test "the Bedrock body carries anthropic_version and max_tokens 4096, and no model or stream" {
	chat '{"model":"claude","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	verify '
assert up == {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 4096,
              "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]}, up
assert status == 200'
}

@test "a stream's Bedrock body has no stream key either" {
	chat '{"model":"claude","messages":'"$HI"',"stream":true,"stream_options":{"include_usage":true}}'
	[ "$status" -eq 0 ]
	verify '
assert not {"stream", "stream_options", "model"} & set(up), up
assert up["anthropic_version"] == "bedrock-2023-05-31" and up["max_tokens"] == 4096
assert status == 200 and data[-1] == "[DONE]"'
}

@test "the client's max_tokens becomes the Bedrock max_tokens" {
	chat '{"model":"claude","messages":'"$HI"',"max_tokens":123}'
	[ "$status" -eq 0 ]
	verify 'assert up["max_tokens"] == 123 and status == 200'
}

@test "the client's max_completion_tokens becomes the Bedrock max_tokens" {
	chat '{"model":"claude","messages":'"$HI"',"max_completion_tokens":321}'
	[ "$status" -eq 0 ]
	verify 'assert up["max_tokens"] == 321 and "max_completion_tokens" not in up and status == 200'
}

@test "max_tokens above 32000 is capped at 32000 for sonnet-4-5" {
	chat '{"model":"claude","messages":'"$HI"',"max_tokens":100000}'
	[ "$status" -eq 0 ]
	verify '
assert req["path"].endswith("claude-sonnet-4-5-20250929-v1:0/invoke")
assert up["max_tokens"] == 32000 and status == 200'
}

@test "temperature and top_p together send only temperature" {
	chat '{"model":"claude","messages":'"$HI"',"temperature":0.25,"top_p":0.9}'
	[ "$status" -eq 0 ]
	verify '
assert up["temperature"] == 0.25 and "top_p" not in up, up
assert status == 200'
}

@test "top_p alone is kept" {
	chat '{"model":"claude","messages":'"$HI"',"top_p":0.9}'
	[ "$status" -eq 0 ]
	verify '
assert up["top_p"] == 0.9 and "temperature" not in up, up
assert status == 200'
}

@test "n, presence_penalty, logprobs and other OpenAI-only fields are not sent" {
	chat '{"model":"claude","messages":'"$HI"',"n":1,"presence_penalty":0.5,"frequency_penalty":0.5,"logprobs":true,"top_logprobs":2,"seed":7,"logit_bias":{"50256":-100},"response_format":{"type":"text"},"service_tier":"auto","store":false}'
	[ "$status" -eq 0 ]
	verify '
assert sorted(up) == ["anthropic_version", "max_tokens", "messages"], up
assert status == 200'
}

# --- the system prompt ---

@test "a system message is folded into the first user turn as [System Instruction: ...]" {
	chat '{"model":"claude","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}]}'
	[ "$status" -eq 0 ]
	verify '
assert "system" not in up
assert up["messages"] == [{"role": "user", "content": [
    {"type": "text", "text": "[System Instruction: be brief]\n\nhi"}]}], up
c = js["choices"][0]["message"]["content"]
assert status == 200 and not c.startswith("[system:"), c
assert c == "echo: [System Instruction: be brief]\n\nhi", c'
}

@test "a developer message is folded into the first user turn like a system message" {
	chat '{"model":"claude","messages":[{"role":"developer","content":"be kind"},{"role":"user","content":"hi"},{"role":"assistant","content":"hello"},{"role":"user","content":"again"}]}'
	[ "$status" -eq 0 ]
	verify '
assert "system" not in up
assert up["messages"][0] == {"role": "user", "content": [
    {"type": "text", "text": "[System Instruction: be kind]\n\nhi"}]}, up
assert up["messages"][2] == {"role": "user", "content": [{"type": "text", "text": "again"}]}
assert status == 200 and js["choices"][0]["message"]["content"] == "echo: again"'
}

@test "a family with system native sends a top-level system and the answer shows it" {
	models_file '{"families": [{"name": "claude-native", "match": ["claude-native-test"], "route": "bedrock", "system": "native", "model": "us.anthropic.claude-sonnet-4-20250514-v1:0"}]}'
	chat '{"model":"claude-native-test","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}]}'
	[ "$status" -eq 0 ]
	verify '
assert req["path"] == B + "us.anthropic.claude-sonnet-4-20250514-v1:0/invoke"
s = up["system"]
assert s == "be brief" or s == [{"type": "text", "text": "be brief"}], up
assert up["messages"] == [{"role": "user", "content": [{"type": "text", "text": "hi"}]}], up
assert "System Instruction" not in req["body"]
assert status == 200
assert js["choices"][0]["message"]["content"] == "[system: be brief] echo: hi"'
}

@test "with the upstream refusing a top-level system, the default fold still gets an answer" {
	fake_set '{"claude_reject_system": true}'
	chat '{"model":"claude","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}]}'
	[ "$status" -eq 0 ]
	verify '
assert len(reqs) == 1 and "system" not in up
assert status == 200
assert js["choices"][0]["message"]["content"] == "echo: [System Instruction: be brief]\n\nhi"'
}

# --- content ---

@test "text parts become text blocks" {
	chat '{"model":"claude","messages":[{"role":"user","content":[{"type":"text","text":"one"},{"type":"text","text":"two"}]}]}'
	[ "$status" -eq 0 ]
	verify '
assert up["messages"] == [{"role": "user", "content": [
    {"type": "text", "text": "one"}, {"type": "text", "text": "two"}]}], up
assert status == 200 and js["choices"][0]["message"]["content"] == "echo: onetwo"'
}

@test "an image_url data URL becomes a base64 image block" {
	chat '{"model":"claude","messages":[{"role":"user","content":[{"type":"text","text":"what is it"},{"type":"image_url","image_url":{"url":"data:image/png;base64,'"$PNG"'"}}]}]}'
	[ "$status" -eq 0 ]
	verify '
assert up["messages"][0]["content"] == [{"type": "text", "text": "what is it"},
    {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                 "data": ARG}}], up
assert status == 200' "$PNG"
}

@test "an http image URL becomes a url image block" {
	chat '{"model":"claude","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"http://example.com/cat.png"}},{"type":"text","text":"and?"}]}]}'
	[ "$status" -eq 0 ]
	verify '
assert up["messages"][0]["content"] == [
    {"type": "image", "source": {"type": "url", "url": "http://example.com/cat.png"}},
    {"type": "text", "text": "and?"}], up
assert status == 200'
}

@test "an ftp image URL answers 400 naming messages and reaches no upstream" {
	chat '{"model":"claude","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://example.com/cat.png"}}]}]}'
	[ "$status" -eq 0 ]
	assert_error 400 "" image
	verify 'assert err["param"] == "messages" and reqs == []'
}

# --- tools ---

@test "tools become name, description and input_schema, an empty object schema when absent" {
	chat '{"model":"claude","messages":'"$HI"',"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather now","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}},{"type":"function","function":{"name":"now"}}]}'
	[ "$status" -eq 0 ]
	verify '
assert up["tools"] == [
    {"name": "get_weather", "description": "Weather now",
     "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
    {"name": "now", "input_schema": {"type": "object", "properties": {}}}], up["tools"]
assert "parameters" not in req["body"] and "\"function\"" not in req["body"]
assert status == 200'
}

@test "tool_choice auto, required and none become auto, any and none" {
	local tools='[{"type":"function","function":{"name":"f"}}]' pair
	for pair in auto:auto required:any none:none; do
		chat '{"model":"claude","messages":'"$HI"',"tools":'"$tools"',"tool_choice":"'"${pair%%:*}"'"}'
		[ "$status" -eq 0 ]
		verify '
assert up["tool_choice"] == {"type": ARG}, up
assert status == 200' "${pair#*:}"
	done
}

@test "a named tool_choice becomes type tool with its name" {
	chat '{"model":"claude","messages":'"$HI"',"tools":[{"type":"function","function":{"name":"f"}},{"type":"function","function":{"name":"g"}}],"tool_choice":{"type":"function","function":{"name":"g"}}}'
	[ "$status" -eq 0 ]
	verify '
assert up["tool_choice"] == {"type": "tool", "name": "g"}, up
assert status == 200'
}

@test "parallel_tool_calls false sets disable_parallel_tool_use" {
	chat '{"model":"claude","messages":'"$HI"',"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"auto","parallel_tool_calls":false}'
	[ "$status" -eq 0 ]
	verify '
assert up["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}, up
assert "parallel_tool_calls" not in up
assert status == 200'
}

@test "an assistant tool call becomes a tool_use block with its arguments parsed, numbers byte for byte" {
	chat '{"model":"claude","messages":[{"role":"user","content":"weather?"},{"role":"assistant","content":"Looking.","tool_calls":[{"id":"toolu_a","type":"function","function":{"name":"get_weather","arguments":"{\"x\": 1.50, \"city\": \"Oslo\"}"}}]},{"role":"tool","tool_call_id":"toolu_a","content":"sunny"}]}'
	[ "$status" -eq 0 ]
	verify '
assert up["messages"][1] == {"role": "assistant", "content": [
    {"type": "text", "text": "Looking."},
    {"type": "tool_use", "id": "toolu_a", "name": "get_weather",
     "input": {"x": 1.5, "city": "Oslo"}}]}, up
assert "1.50" in req["body"], req["body"]
assert status == 200 and js["choices"][0]["message"]["content"] == "echo: tool said: sunny"'
}

@test "consecutive tool messages become one user turn of tool_result blocks" {
	chat '{"model":"claude","messages":[{"role":"user","content":"weather?"},{"role":"assistant","content":null,"tool_calls":[{"id":"toolu_a","type":"function","function":{"name":"w","arguments":"{\"city\":\"Oslo\"}"}},{"id":"toolu_b","type":"function","function":{"name":"w","arguments":"{\"city\":\"Rome\"}"}}]},{"role":"tool","tool_call_id":"toolu_a","content":"snow"},{"role":"tool","tool_call_id":"toolu_b","content":"sun"}]}'
	[ "$status" -eq 0 ]
	verify '
assert len(up["messages"]) == 3, up
assert [b["id"] for b in up["messages"][1]["content"]] == ["toolu_a", "toolu_b"]
assert up["messages"][2] == {"role": "user", "content": [
    {"type": "tool_result", "tool_use_id": "toolu_a", "content": "snow"},
    {"type": "tool_result", "tool_use_id": "toolu_b", "content": "sun"}]}, up
assert status == 200 and js["choices"][0]["message"]["content"] == "echo: tool said: snowsun"'
}

@test "two user messages in a row become one user turn with two text blocks" {
	chat '{"model":"claude","messages":[{"role":"user","content":"one"},{"role":"user","content":"two"}]}'
	[ "$status" -eq 0 ]
	verify '
assert up["messages"] == [{"role": "user", "content": [
    {"type": "text", "text": "one"}, {"type": "text", "text": "two"}]}], up
assert status == 200 and js["choices"][0]["message"]["content"] == "echo: onetwo"'
}

@test "tool call arguments that are not JSON answer 400 naming the tool call and reach no upstream" {
	chat '{"model":"claude","messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[{"id":"toolu_bad","type":"function","function":{"name":"w","arguments":"city=Oslo"}}]},{"role":"tool","tool_call_id":"toolu_bad","content":"x"}]}'
	[ "$status" -eq 0 ]
	assert_error 400 "" toolu_bad
	verify 'assert err["type"] == "invalid_request_error" and allreqs == []'
}

@test "a tool message answering no earlier tool call answers 400 naming its id and reaches no upstream" {
	chat '{"model":"claude","messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[{"id":"toolu_a","type":"function","function":{"name":"w","arguments":"{}"}}]},{"role":"tool","tool_call_id":"toolu_zzz","content":"x"}]}'
	[ "$status" -eq 0 ]
	assert_error 400 "" toolu_zzz
	verify 'assert err["type"] == "invalid_request_error" and allreqs == []'
}

# --- stop, reasoning, user ---

@test "stop as a string becomes stop_sequences of one" {
	chat '{"model":"claude","messages":'"$HI"',"stop":"END"}'
	[ "$status" -eq 0 ]
	verify 'assert up["stop_sequences"] == ["END"] and "stop" not in up and status == 200'
}

@test "stop as an array becomes stop_sequences" {
	chat '{"model":"claude","messages":'"$HI"',"stop":["a","b"]}'
	[ "$status" -eq 0 ]
	verify 'assert up["stop_sequences"] == ["a", "b"] and "stop" not in up and status == 200'
}

@test "reasoning_effort low becomes a 2048-token thinking budget, without temperature, under max_tokens" {
	chat '{"model":"claude","messages":'"$HI"',"reasoning_effort":"low","temperature":0.3,"max_tokens":1000}'
	[ "$status" -eq 0 ]
	verify '
assert up["thinking"] == {"type": "enabled", "budget_tokens": 2048}, up
assert "temperature" not in up and "reasoning_effort" not in up
assert up["max_tokens"] > 2048, up
assert status == 200'
}

@test "an unknown reasoning_effort answers 400 naming reasoning_effort and reaches no upstream" {
	chat '{"model":"claude","messages":'"$HI"',"reasoning_effort":"extreme"}'
	[ "$status" -eq 0 ]
	assert_error 400 "" reasoning_effort
	verify 'assert err["param"] == "reasoning_effort" and allreqs == []'
}

@test "user becomes metadata.user_id" {
	chat '{"model":"claude","messages":'"$HI"',"user":"u-1"}'
	[ "$status" -eq 0 ]
	verify 'assert up["metadata"] == {"user_id": "u-1"} and "user" not in up and status == 200'
}

# --- answers ---

@test "a text answer becomes a chat.completion carrying the echo" {
	chat '{"model":"claude","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	verify '
assert status == 200 and hdr["content-type"] == "application/json"
assert js["object"] == "chat.completion"
assert js["choices"] == [{"index": 0, "message": {"role": "assistant", "content": "echo: hi"},
                          "finish_reason": "stop"}], js'
}

@test "a tool_use answer becomes tool_calls with finish_reason tool_calls" {
	fake_set '{"claude_tools": true}'
	chat '{"model":"claude","messages":'"$HI"',"tools":[{"type":"function","function":{"name":"get_weather"}}]}'
	[ "$status" -eq 0 ]
	verify '
assert status == 200
c = js["choices"][0]
assert c["finish_reason"] == "tool_calls"
m = c["message"]
assert m["content"] == "Let me check."
assert len(m["tool_calls"]) == 1
t = m["tool_calls"][0]
assert {k: t[k] for k in ("id", "type")} == {"id": "toolu_fake_1", "type": "function"}
assert t["function"]["name"] == "get_weather"
assert isinstance(t["function"]["arguments"], str)
assert json.loads(t["function"]["arguments"]) == {"city": "Paris", "days": 2}'
}

@test "a thinking block becomes reasoning_content" {
	fake_set '{"claude_thinking": true}'
	chat '{"model":"claude","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	verify '
assert status == 200
assert js["choices"][0]["message"] == {"role": "assistant", "content": "echo: hi",
                                       "reasoning_content": "hmm, thinking"}, js'
}

@test "with HEXIND_THINK_TAGS=yes the thinking is folded into content in <think> tags" {
	export HEXIND_THINK_TAGS=yes
	fake_set '{"claude_thinking": true}'
	chat '{"model":"claude","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	verify '
assert status == 200
assert js["choices"][0]["message"] == {"role": "assistant",
    "content": "<think>hmm, thinking</think>echo: hi"}, js'
}

@test "stop_reason max_tokens becomes finish_reason length" {
	fake_set '{"claude_stop_reason": "max_tokens"}'
	chat '{"model":"claude","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	verify 'assert len(reqs) == 1 and status == 200 and js["choices"][0]["finish_reason"] == "length"'
}

@test "stop_reason stop_sequence becomes finish_reason stop" {
	fake_set '{"claude_stop_reason": "stop_sequence"}'
	chat '{"model":"claude","messages":'"$HI"',"stop":"END"}'
	[ "$status" -eq 0 ]
	verify 'assert up["stop_sequences"] == ["END"] and status == 200 and js["choices"][0]["finish_reason"] == "stop"'
}

@test "usage counts cache writes and reads in prompt_tokens and reports the reads as cached_tokens" {
	fake_set '{"claude_cache": [5, 7]}'
	chat '{"model":"claude","messages":[{"role":"user","content":"a question of some length"}]}'
	[ "$status" -eq 0 ]
	verify '
n_in = len("a question of some length") // 4 + 1
n_out = len("echo: a question of some length") // 4 + 1
u = js["usage"]
assert u["prompt_tokens"] == n_in + 5 + 7, u
assert u["completion_tokens"] == n_out, u
assert u["total_tokens"] == n_in + 5 + 7 + n_out, u
assert u["prompt_tokens_details"]["cached_tokens"] == 7, u
assert status == 200'
}

@test "an answer in the envelope reaches the client as the bare chat.completion" {
	fake_set '{"chat_wrap": true}'
	chat '{"model":"claude","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	verify '
assert len(reqs) == 1 and status == 200
assert not {"data", "success", "status_code", "status_msg"} & set(js), js
assert js["object"] == "chat.completion"
assert js["choices"][0]["message"]["content"] == "echo: hi"'
}

# --- streams ---

@test "a stream is strict SSE with the role chunk first, ending data: [DONE]" {
	chat '{"model":"claude","messages":'"$HI"',"stream":true}'
	[ "$status" -eq 0 ]
	verify '
assert req["path"].endswith("/invoke-with-response-stream")
assert status == 200 and hdr["content-type"] == "text/event-stream"
assert re.fullmatch(r"(data: [^\n]+\n\n)+", body), body
assert all(k["object"] == "chat.completion.chunk" for k in chunks)
assert deltas()[0].get("role") == "assistant", chunks[0]
assert data[-1] == "[DONE]" and data.count("[DONE]") == 1'
}

@test "the upstream's ping never reaches the client" {
	chat '{"model":"claude","messages":'"$HI"',"stream":true}'
	[ "$status" -eq 0 ]
	curl -sS -f "$FAKE/_fake/streams" | "$PY" -S -c '
import json, sys
s = json.load(sys.stdin)["streams"]
assert len(s) == 1 and s[0]["finished"], s'
	verify '
assert "ping" not in body
assert all(set(k) <= {"id", "object", "created", "model", "choices", "usage", "system_fingerprint"}
           for k in chunks), chunks
assert status == 200 and text() == "echo: hi" and data[-1] == "[DONE]"'
}

@test "a stream's text deltas join to the non-stream answer" {
	chat '{"model":"claude","messages":[{"role":"user","content":"tell me something long enough"}]}'
	[ "$status" -eq 0 ]
	local plain
	plain=$(json "j['choices'][0]['message']['content']")
	[ "$plain" = "echo: tell me something long enough" ]
	fake_set '{"chat_chunks": 5}'
	chat '{"model":"claude","messages":[{"role":"user","content":"tell me something long enough"}],"stream":true}'
	[ "$status" -eq 0 ]
	verify '
assert req["path"].endswith("/invoke-with-response-stream")
assert len([d for d in deltas() if d.get("content")]) > 1
assert text() == ARG and data[-1] == "[DONE]"' "$plain"
}

@test "a tool_use stream gives one tool_calls delta with id and name, then argument pieces" {
	fake_set '{"claude_tools": true}'
	chat '{"model":"claude","messages":'"$HI"',"stream":true,"tools":[{"type":"function","function":{"name":"get_weather"}}]}'
	[ "$status" -eq 0 ]
	verify '
assert status == 200 and text() == "Let me check."
tc = tcs()
assert tc[0] == {"index": 0, "id": "toolu_fake_1", "type": "function",
                 "function": {"name": "get_weather", "arguments": ""}}, tc[0]
assert len(tc) > 1 and all(t["index"] == 0 for t in tc), tc
assert all("id" not in t and "name" not in t["function"] for t in tc[1:]), tc
assert "".join(t["function"].get("arguments") or "" for t in tc) == "{\"city\": \"Paris\", \"days\": 2}"
assert fins == [(0, "tool_calls")], fins
assert data[-1] == "[DONE]"'
}

@test "thinking deltas arrive as reasoning_content deltas" {
	fake_set '{"claude_thinking": true}'
	chat '{"model":"claude","messages":'"$HI"',"stream":true}'
	[ "$status" -eq 0 ]
	verify '
assert status == 200
assert "".join(d.get("reasoning_content") or "" for d in deltas()) == "hmm, thinking"
assert "sig_fake" not in body
assert text() == "echo: hi" and data[-1] == "[DONE]"'
}

@test "with HEXIND_THINK_TAGS=yes a stream's thinking arrives as <think> content, closed before the text" {
	export HEXIND_THINK_TAGS=yes
	fake_set '{"claude_thinking": true}'
	chat '{"model":"claude","messages":'"$HI"',"stream":true}'
	[ "$status" -eq 0 ]
	verify '
assert status == 200
assert not any("reasoning_content" in d for d in deltas()), body
assert text() == "<think>hmm, thinking</think>echo: hi", text()
assert data[-1] == "[DONE]"'
}

@test "a stream's finish chunk carries the mapped finish_reason" {
	fake_set '{"claude_stop_reason": "max_tokens"}'
	chat '{"model":"claude","messages":'"$HI"',"stream":true}'
	[ "$status" -eq 0 ]
	verify '
assert status == 200 and fins == [(0, "length")], fins
assert text() == "echo: hi" and data[-1] == "[DONE]"'
}

@test "with include_usage one usage chunk with the cache-inclusive prompt tokens comes before [DONE]" {
	fake_set '{"claude_cache": [5, 7]}'
	chat '{"model":"claude","messages":[{"role":"user","content":"a question of some length"}],"stream":true,"stream_options":{"include_usage":true}}'
	[ "$status" -eq 0 ]
	verify '
n_in = len("a question of some length") // 4 + 1
n_out = len("echo: a question of some length") // 4 + 1
u = [k for k in chunks if k.get("usage") is not None]
assert len(u) == 1 and u[0]["choices"] == [], chunks
assert chunks[-1] is u[0] and data[-1] == "[DONE]"
u = u[0]["usage"]
assert u["prompt_tokens"] == n_in + 12 and u["completion_tokens"] == n_out, u
assert u["total_tokens"] == n_in + 12 + n_out, u
assert u["prompt_tokens_details"]["cached_tokens"] == 7, u'
}

@test "without include_usage no chunk carries usage" {
	fake_set '{"claude_cache": [5, 7]}'
	chat '{"model":"claude","messages":'"$HI"',"stream":true}'
	[ "$status" -eq 0 ]
	verify '
assert status == 200
assert "usage" not in body and "prompt_tokens" not in body, body
assert all(k["choices"] for k in chunks)
assert text() == "echo: hi" and data[-1] == "[DONE]"'
}

# --- n fan-out ---

@test "n=2 makes two Bedrock calls without n and merges choices 0 and 1, usage summed" {
	fake_set '{"claude_cache": [5, 7]}'
	chat '{"model":"claude","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	local one
	one=$(json "j['usage']")
	chat '{"model":"claude","messages":'"$HI"',"n":2}'
	[ "$status" -eq 0 ]
	verify '
one = eval(ARG)
calls = reqs[1:]
assert len(calls) == 2 and all("n" not in r["json"] for r in calls), calls
assert all(r["path"].endswith("/invoke") for r in calls)
assert status == 200
assert [c["index"] for c in js["choices"]] == [0, 1]
assert all(c["message"]["content"] == "echo: hi" for c in js["choices"])
for k in ("prompt_tokens", "completion_tokens", "total_tokens"):
    assert js["usage"][k] == 2 * one[k], js["usage"]
assert js["usage"]["prompt_tokens_details"]["cached_tokens"] == 14, js["usage"]' "$one"
}

@test "n=2 in a stream multiplexes choices 0 and 1, each finished, with one [DONE]" {
	chat '{"model":"claude","messages":'"$HI"',"n":2,"stream":true}'
	[ "$status" -eq 0 ]
	verify '
assert len(reqs) == 2 and all("n" not in r["json"] for r in reqs)
assert status == 200
assert text(0) == "echo: hi" and text(1) == "echo: hi"
assert sorted(fins) == [(0, "stop"), (1, "stop")], fins
assert {c["index"] for k in chunks for c in k["choices"]} == {0, 1}
assert data.count("[DONE]") == 1 and data[-1] == "[DONE]"
assert "usage" not in body'
}

@test "n=2 in a stream with include_usage sends one usage chunk with the sum" {
	fake_set '{"claude_cache": [5, 7]}'
	chat '{"model":"claude","messages":'"$HI"'}'
	local one
	one=$(json "j['usage']")
	chat '{"model":"claude","messages":'"$HI"',"n":2,"stream":true,"stream_options":{"include_usage":true}}'
	[ "$status" -eq 0 ]
	verify '
one = eval(ARG)
assert len(reqs) == 3
u = [k for k in chunks if k.get("usage") is not None]
assert len(u) == 1 and u[0]["choices"] == [], chunks
assert chunks[-1] is u[0] and data[-1] == "[DONE]"
for k in ("prompt_tokens", "completion_tokens", "total_tokens"):
    assert u[0]["usage"][k] == 2 * one[k], u[0]["usage"]
assert u[0]["usage"]["prompt_tokens_details"]["cached_tokens"] == 14' "$one"
}

# --- failures ---

# assert_broken_stream: 200, the role chunk first, then one error event
# with a message last, and no [DONE].
assert_broken_stream() {
	[ "$status" -eq 0 ]
	verify '
assert len(reqs) == 1
assert status == 200 and hdr["content-type"] == "text/event-stream"
assert re.fullmatch(r"(data: [^\n]+\n\n)+", body), body
assert deltas()[0].get("role") == "assistant", chunks
assert text() == ARG, text()
assert "[DONE]" not in data
e = chunks[-1].get("error")
assert isinstance(e, dict) and isinstance(e.get("message"), str) and e["message"], chunks[-1]
assert sum(1 for k in chunks if "error" in k) == 1' "$1"
}

@test "an upstream error event after two events ends the stream with an error event, not [DONE]" {
	fake_set '{"claude_error_event_after": 2}'
	chat '{"model":"claude","messages":'"$HI"',"stream":true}'
	assert_broken_stream ""
}

@test "a stream dropped after three events ends with an error event, not [DONE]" {
	fake_set '{"chat_drop_after": 3}'
	chat '{"model":"claude","messages":'"$HI"',"stream":true}'
	assert_broken_stream ech
}

@test "a Bedrock refusal answers 400 with Bedrock's message, not retried" {
	# Bedrock wants the first turn from the user; hexind passes the
	# client's order on and the upstream says what is wrong.
	chat '{"model":"claude","messages":[{"role":"assistant","content":"hello"},{"role":"user","content":"hi"}]}'
	[ "$status" -eq 0 ]
	assert_error 400 "" "first message must use the user role"
	verify 'assert len(reqs) == 1 and up["messages"][0]["role"] == "assistant"'
}

@test "a Bedrock 400 with a message body answers 400 carrying the message" {
	fake_set '{"chat_fail": {"status": 400, "body": {"message": "Bad body"}}}'
	chat '{"model":"claude","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	assert_error 400 "" "Bad body"
	verify 'assert len(reqs) == 1 and err["type"] == "invalid_request_error"'
}

@test "a lasting 503 answers 502 after the retries" {
	fake_set '{"chat_fail": {"status": 503}}'
	chat '{"model":"claude","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	assert_error 502 ""
	verify '
assert len(reqs) == 3 and all(r["body"] == reqs[0]["body"] for r in reqs)
assert all(r["path"] == B + "us.anthropic.claude-sonnet-4-5-20250929-v1:0/invoke" for r in reqs)
assert err["type"] == "server_error"'
}

@test "an expired token is replaced by a new login and the Claude call succeeds" {
	chat '{"model":"claude","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	curl -sS -f -X POST "$FAKE/_fake/expire-tokens" >/dev/null
	chat '{"model":"claude","messages":'"$HI"'}'
	[ "$status" -eq 0 ]
	[ "$(logins)" -eq 2 ]
	verify '
assert len(reqs) == 3
assert reqs[1]["headers"]["token"] == reqs[0]["headers"]["token"]
assert reqs[2]["headers"]["token"] != reqs[1]["headers"]["token"]
assert reqs[2]["body"] == reqs[1]["body"]
assert status == 200 and js["choices"][0]["message"]["content"] == "echo: hi"'
}

@test "an assistant message's thinking_blocks go first in its turn, signature and all" {
	chat '{"model":"claude","reasoning_effort":"low","max_tokens":4000,"messages":[{"role":"user","content":"weather?"},
	    {"role":"assistant","content":null,"thinking_blocks":[{"type":"thinking","thinking":"hm","signature":"sig1"},
	     {"type":"redacted_thinking","data":"abc"},{"type":"other","x":1}],
	     "tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"get_weather","arguments":"{}"}}]},
	    {"role":"tool","tool_call_id":"toolu_1","content":"sunny"}]}'
	[ "$status" -eq 0 ]
	verify '
assert up["messages"][1]["content"] == [
    {"type": "thinking", "thinking": "hm", "signature": "sig1"},
    {"type": "redacted_thinking", "data": "abc"},
    {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}], up["messages"][1]
assert up["thinking"]["budget_tokens"] == 2048 and status == 200'
}

@test "a tool loop that gave no thinking back goes on without thinking, as Bedrock requires" {
	chat '{"model":"claude","reasoning_effort":"low","messages":[{"role":"user","content":"weather?"},
	    {"role":"assistant","content":"","tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"get_weather","arguments":"{}"}}]},
	    {"role":"tool","tool_call_id":"toolu_1","content":"sunny"}]}'
	[ "$status" -eq 0 ]
	verify 'assert "thinking" not in up and status == 200, (up, js)'
	chat '{"model":"claude","reasoning_effort":"low","messages":[{"role":"user","content":"hi"},
	    {"role":"assistant","content":"hello"},{"role":"user","content":"again"}]}'
	verify 'assert up["thinking"]["budget_tokens"] == 2048 and status == 200'
}
