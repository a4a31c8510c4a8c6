# POST /v1/messages for the families that are not Claude: the Anthropic
# request translated to the family's chat route, the answer and the
# stream translated back. Each test asserts on what the fake upstream
# received and on what the client got.
load helpers

setup() {
	common_setup
	start_fake
}

msg() {
	post /v1/messages "$1" 'anthropic-version: 2023-06-01'
}
chat_verify() {
	verify_as chat "$@"
}

# A stream in Anthropic's order: message_start, each block started,
# filled and stopped before the next, message_delta, message_stop.
STREAM_OK='
assert status == 200 and hdr["content-type"] == "text/event-stream"
assert all(e == d["type"] for e, d in events), types
assert types[0] == "message_start" and types[-2:] == ["message_delta", "message_stop"], types
open_ = None
for e, d in events:
    if e == "content_block_start":
        assert open_ is None, types
        open_ = d["index"]
    elif e == "content_block_delta":
        assert d["index"] == open_, types
    elif e == "content_block_stop":
        assert d["index"] == open_, types
        open_ = None
assert open_ is None
mtext = "".join(d["delta"].get("text", "") for e, d in events if e == "content_block_delta")
last = events[-2][1]
'

@test "each family that is not Claude goes to its own chat route" {
	local m
	for m in gpt-4o deepseek-chat gemini qwen-max; do
		msg '{"model":"'"$m"'","max_tokens":50,"messages":[{"role":"user","content":"hi"}]}'
		[ "$status" -eq 0 ]
		assert_status 200
	done
	chat_verify '
paths = [r["path"] for r in reqs]
assert paths == ["/vtuber/ai_access/chatgpt/v3/chat/completions",
    "/vtuber/ai_access/doubao/v3/chat/completions",
    "/vtuber/ai_access/gemini/v3/chat/completions",
    "/vtuber/ai_access/qianwen/v1/chat/completions"], paths
assert js["type"] == "message" and js["role"] == "assistant" and js["model"] == "qwen-max"
assert js["content"] == [{"type": "text", "text": "echo: hi"}] and js["stop_reason"] == "end_turn"
assert js["usage"]["input_tokens"] > 0 and js["usage"]["output_tokens"] > 0'
	grep -q 'path=/v1/messages status=200 model=deepseek-chat route=doubao/v3 ' "$ERR"
}

@test "system, role system entries, text, images, tool uses and results become chat messages" {
	msg '{"model":"gpt-4o","max_tokens":300,"system":[{"type":"text","text":"Be brief."}],
	  "stop_sequences":["END"],"temperature":0.5,"top_p":0.9,"top_k":5,"metadata":{"user_id":"u1"},
	  "messages":[
	    {"role":"system","content":"<env>linux</env>"},
	    {"role":"user","content":[{"type":"text","text":"look"},
	      {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},
	      {"type":"image","source":{"type":"url","url":"https://x.test/a.png"}}]},
	    {"role":"assistant","content":[{"type":"thinking","thinking":"hm","signature":"s"},
	      {"type":"text","text":"checking"},
	      {"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}]},
	    {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"sunny"}]},
	      {"type":"text","text":"and tomorrow?"}]},
	    {"role":"assistant","content":[{"type":"tool_use","id":"toolu_2","name":"get_weather","input":{}}]},
	    {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_2","content":"no data","is_error":true}]}]}'
	[ "$status" -eq 0 ]
	chat_verify '
m = up["messages"]
assert m[0] == {"role": "system", "content": "Be brief.\n\n<env>linux</env>"}, m[0]
assert m[1] == {"role": "user", "content": [{"type": "text", "text": "look"},
    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
    {"type": "image_url", "image_url": {"url": "https://x.test/a.png"}}]}, m[1]
assert m[2] == {"role": "assistant", "content": "checking", "tool_calls": [{"id": "toolu_1",
    "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]}, m[2]
assert m[3] == {"role": "tool", "tool_call_id": "toolu_1", "content": "sunny"}, m[3]
assert m[4] == {"role": "user", "content": "and tomorrow?"}, m[4]
assert m[5]["content"] is None and m[5]["tool_calls"][0]["function"]["arguments"] == "{}"
assert m[6] == {"role": "tool", "tool_call_id": "toolu_2", "content": "Error: no data"}, m[6]
assert up["max_completion_tokens"] == 300 and "max_tokens" not in up
assert up["stop"] == ["END"] and up["temperature"] == 0.5 and up["top_p"] == 0.9
assert up["user"] == "u1" and "top_k" not in up and "metadata" not in up and "system" not in up
assert status == 200'
}

@test "tools become functions, tool_choice and disable_parallel_tool_use map, thinking only where the route takes an effort" {
	msg '{"model":"deepseek-chat","max_tokens":50,"thinking":{"type":"enabled","budget_tokens":4000},
	  "tools":[{"name":"get_weather","description":"Weather.","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],
	  "tool_choice":{"type":"tool","name":"get_weather","disable_parallel_tool_use":true},
	  "messages":[{"role":"user","content":"hi"}]}'
	[ "$status" -eq 0 ]
	chat_verify '
assert up["tools"] == [{"type": "function", "function": {"name": "get_weather", "description": "Weather.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}], up
assert up["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
assert up["parallel_tool_calls"] is False and "reasoning_effort" not in up and "thinking" not in up'
	msg '{"model":"o3","max_tokens":50,"thinking":{"type":"enabled","budget_tokens":4000},"tool_choice":{"type":"any"},
	  "tools":[{"name":"f","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":"hi"}]}'
	chat_verify 'assert up["reasoning_effort"] == "medium" and up["tool_choice"] == "required", up'
}

@test "a server tool or a block a chat route cannot take is refused in Anthropic's shape, naming it" {
	msg '{"model":"gpt-4o","max_tokens":50,"tools":[{"type":"web_search_20250305","name":"web_search"}],"messages":[{"role":"user","content":"hi"}]}'
	assert_anthropic_error 400 invalid_request_error
	[[ $(json 'j["error"]["message"]') == *web_search_20250305*web_search*server\ tool* ]]
	msg '{"model":"gpt-4o","max_tokens":50,"messages":[{"role":"user","content":[{"type":"document","source":{}}]}]}'
	assert_anthropic_error 400 invalid_request_error
	[[ $(json 'j["error"]["message"]') == *document* ]]
	chat_verify 'assert reqs == []'
}

@test "a chat answer with reasoning and a tool call becomes thinking, then tool_use with its input" {
	fake_set '{"chat_tools": true, "chat_reasoning": true}'
	msg '{"model":"deepseek-reasoner","max_tokens":50,"tools":[{"name":"get_weather","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":"hi"}]}'
	[ "$status" -eq 0 ]
	chat_verify '
c = js["content"]
assert [b["type"] for b in c] == ["thinking", "tool_use"], c
assert c[0]["thinking"] == "thinking about it"
assert c[1] == {"type": "tool_use", "id": "call_fake_1", "name": "get_weather", "input": {"city": "Paris"}}, c[1]
assert js["stop_reason"] == "tool_use"'
}

@test "a chat stream becomes Anthropic's events, one block at a time, the usage in message_delta" {
	fake_set '{"chat_tools": true, "chat_reasoning": true, "chat_loose": true}'
	msg '{"model":"deepseek-reasoner","max_tokens":50,"stream":true,"tools":[{"name":"get_weather","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":"hi"}]}'
	[ "$status" -eq 0 ]
	chat_verify "$STREAM_OK"'
assert up["stream"] is True and up["stream_options"] == {"include_usage": True}
starts = [d["content_block"]["type"] for e, d in events if e == "content_block_start"]
assert starts == ["thinking", "tool_use"], starts
js_ = "".join(d["delta"]["partial_json"] for e, d in events
              if e == "content_block_delta" and d["delta"]["type"] == "input_json_delta")
assert json.loads(js_) == {"city": "Paris"}
assert last["delta"]["stop_reason"] == "tool_use"
assert last["usage"]["output_tokens"] > 0 and last["usage"]["input_tokens"] > 0'
	fake_set '{"chat_tools": false, "chat_reasoning": false}'
	msg '{"model":"qwen-max","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"hi"}]}'
	chat_verify "$STREAM_OK"'
assert mtext == "echo: hi" and last["delta"]["stop_reason"] == "end_turn"'
}

@test "a translated stream that breaks ends with an error event, never message_stop" {
	fake_set '{"chat_drop_after": 3}'
	msg '{"model":"gpt-4o","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"hi"}]}'
	[ "$status" -eq 0 ]
	chat_verify '
assert types[0] == "message_start" and types[-1] == "error" and "message_stop" not in types, types
assert events[-1][1]["error"]["type"] == "api_error"'
	fake_set '{"chat_drop_after": null, "chat_fail": {"status": 503}}'
	msg '{"model":"gpt-4o","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"hi"}]}'
	assert_anthropic_error 502 api_error
}

# --- count_tokens ---

# count BODY: count_tokens for BODY; its input_tokens in $N.
count() {
	post /v1/messages/count_tokens "$1" 'anthropic-version: 2023-06-01'
	assert_status 200
	N=$(json 'j["input_tokens"]')
}

@test "count_tokens estimates system, messages, tools and images for any model, with no upstream call" {
	local m base
	for m in gpt-4o claude-sonnet-4-5 deepseek-chat; do
		count '{"model":"'"$m"'","messages":[{"role":"user","content":"hello, world"}]}'
		[ "$(json 'sorted(j)')" = "['input_tokens']" ]
		base=$N
		[ "$base" -gt 2 ]
		count '{"model":"'"$m"'","system":"You are a careful assistant who answers briefly.","messages":[{"role":"user","content":"hello, world"}]}'
		[ "$N" -gt "$base" ]
		count '{"model":"'"$m"'","tools":[{"name":"get_weather","description":"The weather of a city","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],"messages":[{"role":"user","content":"hello, world"}]}'
		[ "$N" -gt $((base + 10)) ]
		count '{"model":"'"$m"'","messages":[{"role":"user","content":[{"type":"text","text":"hello, world"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}}]}]}'
		[ "$N" -eq $((base + 1600)) ]
	done
	verify_as chat 'assert allreqs == [], allreqs'
	grep -q 'path=/v1/messages/count_tokens status=200 model=gpt-4o route=count_tokens upstream=- ' "$ERR"
}

@test "count_tokens grows with the text, in English, Chinese and code alike" {
	count '{"model":"gpt-4o","messages":[{"role":"user","content":"The quick brown fox jumps over the lazy dog."}]}'
	local en=$N
	count '{"model":"gpt-4o","messages":[{"role":"user","content":"The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog."}]}'
	[ "$N" -gt "$en" ]
	count '{"model":"gpt-4o","messages":[{"role":"user","content":"今天天气很好，我们去公园散步吧。"}]}'
	[ "$N" -gt 10 ]
	count '{"model":"gpt-4o","messages":[{"role":"user","content":"int main(void) {\n\treturn 0;\n}"}]}'
	[ "$N" -gt 8 ]
}

@test "a max_tokens 1 probe answers 200 with stop_reason max_tokens, streamed or not" {
	msg '{"model":"gpt-4o","max_tokens":1,"messages":[{"role":"user","content":"quota"}]}'
	[ "$status" -eq 0 ]
	chat_verify '
assert up["max_completion_tokens"] == 1
assert status == 200 and js["stop_reason"] == "max_tokens", js'
	msg '{"model":"deepseek-chat","max_tokens":1,"stream":true,"messages":[{"role":"user","content":"quota"}]}'
	chat_verify "$STREAM_OK"'
assert last["delta"]["stop_reason"] == "max_tokens", last'
}

@test "a route that names the stop sequence it met gives stop_reason stop_sequence with the sequence" {
	fake_set '{"chat_stop_reason": "END"}'
	msg '{"model":"qwen-max","max_tokens":50,"stop_sequences":["END"],"messages":[{"role":"user","content":"hi"}]}'
	[ "$status" -eq 0 ]
	chat_verify '
assert up["stop"] == ["END"]
assert (js["stop_reason"], js["stop_sequence"]) == ("stop_sequence", "END"), js'
	msg '{"model":"qwen-max","max_tokens":50,"stop_sequences":["END"],"stream":true,"messages":[{"role":"user","content":"hi"}]}'
	chat_verify "$STREAM_OK"'
assert (last["delta"]["stop_reason"], last["delta"]["stop_sequence"]) == ("stop_sequence", "END"), last'
	fake_set '{"chat_stop_reason": null}'
	msg '{"model":"qwen-max","max_tokens":50,"stop_sequences":["END"],"messages":[{"role":"user","content":"hi"}]}'
	chat_verify 'assert (js["stop_reason"], js["stop_sequence"]) == ("end_turn", None), js'
}

@test "a translated stream's events of one read go out in one write" {
	fake_set '{"chat_whole": true}'
	write_request /v1/messages '{"model":"gpt-4o","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"hi"}]}' 'anthropic-version: 2023-06-01'
	client_writes
	# the head and the events of the fake's one write in one write,
	# the translation's last events in one more
	[ "$(grep -c '^event: ' "$RAW")" -ge 6 ]
	[ "$WRITES" -le 2 ]
}
