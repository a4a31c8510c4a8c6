# POST /v1/responses for the families Hexin serves no Responses API
# (every family but gpt and o-series): the request translated to the
# family's chat route or, for Claude, to Bedrock; the answer and the
# stream translated back, event by event. Each test asserts on what the
# fake upstream received and on what the client got.
load helpers

setup() {
	common_setup
	start_fake
}

resp() {
	post /v1/responses "$@"
}
chat_verify() {
	verify_as chat "$@"
}
claude_verify() {
	verify_as claude "$@"
}

# The fields every Response object has, and the checks every stream
# passes: types on event: lines and in data, rising sequence numbers, one
# item open at a time, and a final event with the whole Response.
STREAM_OK='
assert status == 200 and hdr["content-type"] == "text/event-stream"
assert all(e == d["type"] for e, d in events), types
assert [d["sequence_number"] for _, d in events] == list(range(len(events)))
assert types[:2] == ["response.created", "response.in_progress"], types
opened = []
for e, d in events:
    if e == "response.output_item.added":
        assert not opened, ("two items open", types)
        opened.append(d["output_index"])
    if e == "response.output_item.done":
        assert opened == [d["output_index"]], types
        opened.pop()
final = events[-1][1]["response"]
assert final["object"] == "response" and final["id"].startswith("resp_")
added = [d["item"]["id"] for e, d in events if e == "response.output_item.added"]
rtext = "".join(d["delta"] for e, d in events if e == "response.output_text.delta")
assert [i["id"] for i in final["output"]] == added
'

# --- where each family goes ---

@test "each translated family's request goes to its own chat route or Bedrock, never to the Responses URL" {
	local m
	for m in deepseek-chat gemini qwen-max r1-qianfan claude-sonnet-4-5; do
		resp '{"model":"'"$m"'","input":"hi"}'
		[ "$status" -eq 0 ]
	done
	verify_as responses '
assert reqs == [], [r["path"] for r in reqs]
paths = [r["path"] for r in allreqs if "/login" not in r["path"]]
assert paths == [
    "/vtuber/ai_access/doubao/v3/chat/completions",
    "/vtuber/ai_access/gemini/v3/chat/completions",
    "/vtuber/ai_access/qianwen/v1/chat/completions",
    "/vtuber/ai_access/qianfan/v3/chat/completions",
    "/vtuber/ai_access/claude/model/us.anthropic.claude-sonnet-4-5-20250929-v1:0/invoke"], paths'
	grep -q 'path=/v1/responses status=200 model=deepseek-chat route=doubao/v3 ' "$ERR"
	grep -q 'path=/v1/responses status=200 model=claude-sonnet-4-5 route=bedrock ' "$ERR"
}

# --- the request, on a chat route ---

@test "instructions, system and developer messages become one system message, the rest chat messages in order" {
	resp '{"model":"deepseek-chat","instructions":"Be brief.","store":false,
	  "include":["reasoning.encrypted_content"],"prompt_cache_key":"k1",
	  "client_metadata":{"a":"b"},"metadata":{"m":"1"},
	  "input":[
	    {"type":"message","id":"msg_1","role":"developer","content":[{"type":"input_text","text":"Dev rules."}]},
	    {"role":"system","content":"Sys rules."},
	    {"type":"message","role":"user","content":[{"type":"input_text","text":"one"},{"type":"input_text","text":"two"}]},
	    {"type":"message","role":"assistant","content":[{"type":"output_text","text":"said","annotations":[]},{"type":"refusal","refusal":"no"}]},
	    {"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"hm"}],"content":null,"encrypted_content":"xyz"},
	    {"role":"user","content":"three"}]}'
	[ "$status" -eq 0 ]
	chat_verify '
assert up["messages"] == [
    {"role": "system", "content": "Be brief.\n\nDev rules.\n\nSys rules."},
    {"role": "user", "content": "one\ntwo"},
    {"role": "assistant", "content": "said\nno"},
    {"role": "user", "content": "three"}], up["messages"]
assert up["model"] == "ep-20250410151344-fzm9z"
for k in ("store", "include", "prompt_cache_key", "client_metadata", "metadata",
          "instructions", "input", "stream", "stream_options"):
    assert k not in up, k
assert js["object"] == "response" and js["status"] == "completed"
assert js["model"] == "deepseek-chat" and js["instructions"] == "Be brief."
assert js["output"][0]["content"][0]["text"] == "echo: three"'
}

@test "images go as image_url parts, by URL or data URL" {
	resp '{"model":"qwen-max","input":[{"role":"user","content":[
	    {"type":"input_text","text":"look"},
	    {"type":"input_image","image_url":"https://x.test/a.png","detail":"low"},
	    {"type":"input_image","image_url":"data:image/png;base64,iVBORw0KGgo="}]}]}'
	[ "$status" -eq 0 ]
	chat_verify '
assert up["messages"] == [{"role": "user", "content": [
    {"type": "text", "text": "look"},
    {"type": "image_url", "image_url": {"url": "https://x.test/a.png", "detail": "low"}},
    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]}], up'
}

@test "parts and items a chat route cannot take are refused naming them" {
	resp '{"model":"deepseek-chat","input":[{"role":"user","content":[{"type":"input_file","file_id":"f1"}]}]}'
	assert_error 400 "" input_file "input[0]"
	[ "$(json 'j["error"]["param"]')" = input ]
	resp '{"model":"deepseek-chat","input":[{"type":"item_reference","id":"msg_1"}]}'
	assert_error 400 "" "keeps no items"
	resp '{"model":"deepseek-chat","input":[{"role":"user","content":[{"type":"input_image","file_id":"f1"}]}]}'
	assert_error 400 "" image_url
	chat_verify 'assert reqs == []'
}

@test "previous_response_id on a translated family is a 400 that says to send the whole input" {
	resp '{"model":"claude-sonnet-4-5","previous_response_id":"resp_1","input":"more"}'
	assert_error 400 "" "keeps no responses" "whole"
	[ "$(json 'j["error"]["param"]')" = previous_response_id ]
	resp '{"model":"claude-sonnet-4-5","input":42}'
	assert_error 400 ""
	[ "$(json 'j["error"]["param"]')" = input ]
	claude_verify 'assert reqs == []'
}

@test "function calls join the assistant message before them and their outputs become tool messages" {
	resp '{"model":"deepseek-chat","input":[
	    {"role":"user","content":"weather?"},
	    {"type":"message","role":"assistant","content":[{"type":"output_text","text":"checking"}]},
	    {"type":"function_call","id":"fc_1","call_id":"call_a","name":"get_weather","arguments":"{\"city\":\"Paris\"}","status":"completed"},
	    {"type":"custom_tool_call","id":"ctc_1","call_id":"call_b","name":"apply_patch","input":"*** Begin Patch\n*** End Patch"},
	    {"type":"function_call","call_id":"call_c","name":"close_agent","namespace":"multi_agent_v1","arguments":""},
	    {"type":"function_call_output","id":"fco_1","call_id":"call_a","output":"sunny"},
	    {"type":"custom_tool_call_output","call_id":"call_b","output":[{"type":"input_text","text":"Done"}]},
	    {"type":"function_call_output","call_id":"call_c","output":"closed"}]}'
	[ "$status" -eq 0 ]
	chat_verify '
m = up["messages"]
assert m[1] == {"role": "assistant", "content": "checking", "tool_calls": [
    {"id": "call_a", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
    {"id": "call_b", "type": "function", "function": {"name": "apply_patch",
        "arguments": json.dumps({"input": "*** Begin Patch\n*** End Patch"}, separators=(",", ":"))}},
    {"id": "call_c", "type": "function", "function": {"name": "multi_agent_v1__close_agent", "arguments": "{}"}}]}, m[1]
assert m[2:] == [{"role": "tool", "tool_call_id": "call_a", "content": "sunny"},
                 {"role": "tool", "tool_call_id": "call_b", "content": "Done"},
                 {"role": "tool", "tool_call_id": "call_c", "content": "closed"}], m[2:]'
}

@test "function, custom and namespaced tools become functions; hosted tools are left out and logged" {
	resp '{"model":"deepseek-chat","input":"go","tool_choice":{"type":"custom","name":"apply_patch"},"parallel_tool_calls":false,"tools":[
	    {"type":"function","name":"exec_command","description":"Run.","strict":false,"parameters":{"type":"object","properties":{"cmd":{"type":"string"}}}},
	    {"type":"custom","name":"apply_patch","description":"Edit files.","format":{"type":"grammar","syntax":"lark","definition":"start: x"}},
	    {"type":"namespace","name":"multi_agent_v1","description":"Agents.","tools":[{"type":"function","name":"close_agent","parameters":{"type":"object"}}]},
	    {"type":"web_search","external_web_access":true},
	    {"type":"tool_search","execution":"client","parameters":{}}]}'
	[ "$status" -eq 0 ]
	chat_verify '
t = up["tools"]
assert [x["function"]["name"] for x in t] == ["exec_command", "apply_patch", "multi_agent_v1__close_agent"], t
assert t[0] == {"type": "function", "function": {"name": "exec_command", "description": "Run.",
    "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}}, "strict": False}}
p = t[1]["function"]
assert p["parameters"] == {"type": "object", "properties": {"input": {"type": "string"}}, "required": ["input"]}
assert p["description"].startswith("Edit files.") and "lark grammar:\nstart: x" in p["description"]
assert up["tool_choice"] == {"type": "function", "function": {"name": "apply_patch"}}
assert up["parallel_tool_calls"] is False'
	grep -q 'tool of type web_search left out' "$ERR"
	grep -q 'tool of type tool_search left out' "$ERR"
}

@test "with only hosted tools, no tools reach the chat route" {
	resp '{"model":"gemini","input":"go","tool_choice":"auto","tools":[{"type":"web_search"}]}'
	[ "$status" -eq 0 ]
	chat_verify 'assert "tools" not in up and "tool_choice" not in up, up'
}

@test "max_output_tokens, temperature, top_p, reasoning effort (where the route takes one), text format and user are mapped by the family's rules" {
	export HEXIND_MODELS_FILE=$BATS_TEST_TMPDIR/models.json
	echo '{"families": [{"name": "mine", "match": ["mine-*"], "route": "openai", "path": "qianwen/v1",
	    "rename": {"max_tokens": "max_completion_tokens"}, "drop": ["top_p"],
	    "reasoning_effort": true}]}' >"$HEXIND_MODELS_FILE"
	resp '{"model":"mine-1","input":"hi","max_output_tokens":77,"temperature":0.25,"top_p":0.5,
	    "reasoning":{"effort":"xhigh","summary":"auto"},"user":"u1",
	    "text":{"verbosity":"low","format":{"type":"json_schema","name":"out","strict":true,"schema":{"type":"object"}}}}'
	[ "$status" -eq 0 ]
	chat_verify '
assert up["max_completion_tokens"] == 77 and "max_tokens" not in up
assert up["temperature"] == 0.25 and "top_p" not in up
assert up["reasoning_effort"] == "high" and up["user"] == "u1"
assert up["response_format"] == {"type": "json_schema", "json_schema": {
    "name": "out", "schema": {"type": "object"}, "strict": True}}, up
assert "text" not in up and "reasoning" not in up
assert js["max_output_tokens"] == 77 and js["temperature"] == 0.25'
	resp '{"model":"deepseek-chat","input":"hi","text":{"format":{"type":"json_object"}},"reasoning":{"effort":"high"}}'
	chat_verify 'assert up["response_format"] == {"type": "json_object"} and "reasoning_effort" not in up, up'
	resp '{"model":"gemini","input":"hi","reasoning":{"effort":"none"}}'
	chat_verify 'assert "reasoning_effort" not in up, up'
	resp '{"model":"gemini","input":"hi","reasoning":{"effort":"low"}}'
	chat_verify 'assert up["reasoning_effort"] == "low", up'
}

# --- the answer, on a chat route ---

@test "a chat answer becomes a Response: reasoning, then the message, with the usage" {
	fake_set '{"chat_reasoning": true}'
	resp '{"model":"deepseek-reasoner","input":"hi"}'
	[ "$status" -eq 0 ]
	chat_verify '
o = js["output"]
assert [i["type"] for i in o] == ["reasoning", "message"], o
assert o[0]["summary"] == [{"type": "summary_text", "text": "thinking about it"}]
assert o[1]["role"] == "assistant" and o[1]["status"] == "completed"
assert o[1]["content"] == [{"type": "output_text", "text": "echo: hi", "annotations": [], "logprobs": []}]
u = js["usage"]
assert u["input_tokens"] > 0 and u["output_tokens"] > 0
assert u["total_tokens"] == u["input_tokens"] + u["output_tokens"]
assert u["input_tokens_details"] == {"cached_tokens": 0}
assert js["status"] == "completed" and js["incomplete_details"] is None
assert js["id"].startswith("resp_") and isinstance(js["created_at"], int)'
}

@test "a chat tool call becomes a function_call item with its call_id and arguments" {
	fake_set '{"chat_tools": true}'
	resp '{"model":"deepseek-chat","input":"weather?","tools":[{"type":"function","name":"get_weather","parameters":{"type":"object"}}]}'
	[ "$status" -eq 0 ]
	chat_verify '
(o,) = js["output"]
assert o["type"] == "function_call" and o["call_id"] == "call_fake_1", o
assert o["name"] == "get_weather" and o["arguments"] == "{\"city\": \"Paris\"}"
assert o["status"] == "completed" and "namespace" not in o'
}

@test "a call of a custom tool comes back as a custom_tool_call with its raw input" {
	fake_set '{"chat_tools": true, "chat_tool": {"name": "apply_patch", "arguments": "{\"input\": \"*** Begin Patch\\n*** End Patch\"}"}}'
	resp '{"model":"deepseek-chat","input":"edit","tools":[{"type":"custom","name":"apply_patch"}]}'
	[ "$status" -eq 0 ]
	chat_verify '
(o,) = js["output"]
assert o["type"] == "custom_tool_call" and o["name"] == "apply_patch", o
assert o["input"] == "*** Begin Patch\n*** End Patch" and o["call_id"] == "call_fake_1"'
	resp '{"model":"deepseek-chat","input":"edit","stream":true,"tools":[{"type":"custom","name":"apply_patch"}]}'
	chat_verify "$STREAM_OK"'
d = [d for e, d in events if e == "response.custom_tool_call_input.delta"]
assert "".join(x["delta"] for x in d) == "*** Begin Patch\n*** End Patch"
(done,) = [d for e, d in events if e == "response.custom_tool_call_input.done"]
assert done["input"] == "*** Begin Patch\n*** End Patch"
assert final["output"][0]["type"] == "custom_tool_call"'
}

@test "a call of a namespaced tool comes back under its namespace" {
	fake_set '{"chat_tools": true, "chat_tool": {"name": "multi_agent_v1__close_agent", "arguments": "{\"target\": \"a1\"}"}}'
	resp '{"model":"qwen-max","input":"x","tools":[{"type":"namespace","name":"multi_agent_v1","tools":[{"type":"function","name":"close_agent"}]}]}'
	[ "$status" -eq 0 ]
	chat_verify '
(o,) = js["output"]
assert (o["type"], o["name"], o["namespace"]) == ("function_call", "close_agent", "multi_agent_v1"), o'
}

# --- streams, on a chat route ---

@test "a chat stream asks for the usage and becomes typed events as it arrives, usage in response.completed" {
	fake_set '{"chat_reasoning": true, "chat_loose": true}'
	resp '{"model":"deepseek-reasoner","input":"hi","stream":true}'
	[ "$status" -eq 0 ]
	chat_verify "$STREAM_OK"'
assert up["stream"] is True and up["stream_options"] == {"include_usage": True}
assert types[2:] == ["response.output_item.added", "response.reasoning_summary_part.added",
    "response.reasoning_summary_text.delta", "response.reasoning_summary_text.done",
    "response.reasoning_summary_part.done", "response.output_item.done",
    "response.output_item.added", "response.content_part.added"] + [
    "response.output_text.delta"] * 3 + ["response.output_text.done",
    "response.content_part.done", "response.output_item.done",
    "response.completed"], types
assert rtext == "echo: hi"
assert final["status"] == "completed" and final["usage"]["output_tokens"] > 0
assert [i["type"] for i in final["output"]] == ["reasoning", "message"]
assert final["output"][1]["content"][0]["text"] == "echo: hi"
(d,) = [d for e, d in events if e == "response.reasoning_summary_text.done"]
assert d["text"] == "thinking about it" and d["summary_index"] == 0'
}

@test "a streamed tool call becomes function_call argument events" {
	fake_set '{"chat_tools": true}'
	resp '{"model":"gemini","input":"weather?","stream":true,"tools":[{"type":"function","name":"get_weather"}]}'
	[ "$status" -eq 0 ]
	chat_verify "$STREAM_OK"'
assert types[2:] == ["response.output_item.added", "response.function_call_arguments.delta",
    "response.function_call_arguments.delta", "response.function_call_arguments.done",
    "response.output_item.done", "response.completed"], types
item = events[2][1]["item"]
assert (item["type"], item["call_id"], item["name"], item["arguments"]) == (
    "function_call", "call_fake_1", "get_weather", "")
assert events[5][1]["arguments"] == "{\"city\": \"Paris\"}"
assert final["output"][0]["arguments"] == "{\"city\": \"Paris\"}"'
}

@test "a stream answered with a whole completion still becomes the events" {
	fake_set '{"chat_plain_for_stream": true}'
	resp '{"model":"qwen-max","input":"hi","stream":true}'
	[ "$status" -eq 0 ]
	chat_verify "$STREAM_OK"'
assert rtext == "echo: hi" and types[-1] == "response.completed"'
}

# --- Claude, on Bedrock ---

@test "on Claude the system prompt is folded, tools and tool results are Claude's, effort a thinking budget" {
	resp '{"model":"claude-sonnet-4-5","instructions":"Be brief.","max_output_tokens":20000,
	    "reasoning":{"effort":"low"},"tools":[{"type":"function","name":"get_weather","parameters":{"type":"object"}},
	    {"type":"custom","name":"apply_patch"},{"type":"web_search"}],
	    "input":[{"role":"developer","content":"Dev."},{"role":"user","content":"weather?"},
	    {"type":"reasoning","summary":[{"type":"summary_text","text":"hm"}],"encrypted_content":"claude:sig1"},
	    {"type":"reasoning","summary":[],"encrypted_content":"gAAAA-another-model"},
	    {"type":"function_call","call_id":"toolu_1","name":"get_weather","arguments":"{\"city\":\"Paris\"}"},
	    {"type":"function_call_output","call_id":"toolu_1","output":"sunny"}]}'
	[ "$status" -eq 0 ]
	claude_verify '
assert up["anthropic_version"] == "bedrock-2023-05-31" and "system" not in up
assert up["max_tokens"] == 20000 and up["thinking"] == {"type": "enabled", "budget_tokens": 2048}
m = up["messages"]
assert m[0]["role"] == "user" and "Be brief.\n\nDev." in m[0]["content"][0]["text"]
assert m[0]["content"][0]["text"].endswith("weather?")
assert m[1] == {"role": "assistant", "content": [
    {"type": "thinking", "thinking": "hm", "signature": "sig1"},
    {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}]}, m[1]
assert m[2] == {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1",
    "content": "sunny"}]}, m[2]
assert [t["name"] for t in up["tools"]] == ["get_weather", "apply_patch"]
assert up["tools"][1]["input_schema"]["required"] == ["input"]
assert js["status"] == "completed" and js["model"] == "claude-sonnet-4-5"'
}

@test "a Claude answer becomes reasoning, message and function_call items, cache reads counted" {
	fake_set '{"claude_tools": true, "claude_thinking": true, "claude_cache": [5, 7]}'
	resp '{"model":"claude-sonnet-4-5","input":"weather?","tools":[{"type":"function","name":"get_weather"}]}'
	[ "$status" -eq 0 ]
	claude_verify '
o = js["output"]
assert [i["type"] for i in o] == ["reasoning", "message", "function_call"], o
assert o[0]["summary"][0]["text"] == "hmm, thinking"
assert o[1]["content"][0]["text"] == "Let me check."
assert o[2]["call_id"] == "toolu_fake_1" and o[2]["name"] == "get_weather"
assert json.loads(o[2]["arguments"]) == {"city": "Paris", "days": 2}
u = js["usage"]
assert u["input_tokens_details"]["cached_tokens"] == 7
assert u["input_tokens"] >= 12 and u["total_tokens"] == u["input_tokens"] + u["output_tokens"]'
}

@test "Claude's thinking comes back with its signature as encrypted_content, and goes back to Claude" {
	fake_set '{"claude_tools": true, "claude_thinking": true}'
	resp '{"model":"claude-sonnet-4-5","input":"weather?","reasoning":{"effort":"low"},"include":["reasoning.encrypted_content"],"tools":[{"type":"function","name":"get_weather"}]}'
	[ "$status" -eq 0 ]
	claude_verify '
r = js["output"][0]
assert r["type"] == "reasoning" and r["encrypted_content"] == "claude:sig_fake", r
open(ARG, "w").write(json.dumps(js["output"]))' "$BATS_TEST_TMPDIR/out1.json"
	resp '{"model":"claude-sonnet-4-5","input":"weather?","stream":true,"reasoning":{"effort":"low"},"tools":[{"type":"function","name":"get_weather"}]}'
	claude_verify "$STREAM_OK"'
r = final["output"][0]
assert r["type"] == "reasoning" and r["encrypted_content"] == "claude:sig_fake", r
(done,) = [d["item"] for e, d in events if e == "response.output_item.done" and d["output_index"] == 0]
assert done == r'
	# the answer's items sent back with the tool's output
	"$PY" -S - "$BATS_TEST_TMPDIR/out1.json" >"$BATS_TEST_TMPDIR/body2.json" <<'PY'
import json, sys
out = json.load(open(sys.argv[1]))
print(json.dumps({"model": "claude-sonnet-4-5", "reasoning": {"effort": "low"},
    "tools": [{"type": "function", "name": "get_weather"}],
    "input": [{"role": "user", "content": "weather?"}] + out + [
        {"type": "function_call_output", "call_id": "toolu_fake_1", "output": "sunny"}]}))
PY
	resp "$(cat "$BATS_TEST_TMPDIR/body2.json")"
	[ "$status" -eq 0 ]
	claude_verify '
a = up["messages"][1]
assert a["role"] == "assistant" and a["content"][0] == {
    "type": "thinking", "thinking": "hmm, thinking", "signature": "sig_fake"}, a
assert [b["type"] for b in a["content"]] == ["thinking", "text", "tool_use"], a
assert up["thinking"]["budget_tokens"] == 2048 and js["status"] == "completed", (up, js)'
}

@test "a Claude stream becomes the typed events, strictly ordered, with the usage" {
	fake_set '{"claude_tools": true, "claude_thinking": true}'
	resp '{"model":"claude-sonnet-4-5","input":"weather?","stream":true,"tools":[{"type":"function","name":"get_weather"}]}'
	[ "$status" -eq 0 ]
	claude_verify "$STREAM_OK"'
assert req["path"].endswith("/invoke-with-response-stream")
items = [d["item"]["type"] for e, d in events if e == "response.output_item.done"]
assert items == ["reasoning", "message", "function_call"], items
args = "".join(d["delta"] for e, d in events if e == "response.function_call_arguments.delta")
assert json.loads(args) == {"city": "Paris", "days": 2}
assert rtext == "Let me check." and types[-1] == "response.completed"
assert final["usage"]["output_tokens"] > 0'
}

@test "a Claude answer stopped by max_tokens is incomplete, with its reason" {
	fake_set '{"claude_stop_reason": "max_tokens"}'
	resp '{"model":"claude-sonnet-4-5","input":"hi","max_output_tokens":5}'
	[ "$status" -eq 0 ]
	claude_verify '
assert js["status"] == "incomplete" and js["incomplete_details"] == {"reason": "max_output_tokens"}
assert js["output"][0]["status"] == "incomplete" and up["max_tokens"] == 5'
	resp '{"model":"claude-sonnet-4-5","input":"hi","stream":true}'
	claude_verify "$STREAM_OK"'
assert types[-1] == "response.incomplete" and final["status"] == "incomplete"'
}

# --- failures ---

@test "an upstream failure before the first event is retried, then answered in the OpenAI error shape" {
	fake_set '{"chat_fail": {"status": 503, "count": 2}}'
	resp '{"model":"deepseek-chat","input":"hi","stream":true}'
	[ "$status" -eq 0 ]
	chat_verify "$STREAM_OK"'
assert len(reqs) == 3 and rtext == "echo: hi"'
	fake_set '{"chat_openai_error": {"status": 400}}'
	resp '{"model":"deepseek-chat","input":"hi","stream":true}'
	assert_error 400 "" "fake upstream refused the request"
}

@test "a stream broken after it began ends with response.failed carrying the error" {
	fake_set '{"chat_drop_after": 3}'
	resp '{"model":"deepseek-chat","input":"hi","stream":true}'
	[ "$status" -eq 0 ]
	chat_verify '
assert types[-1] == "response.failed", types
d = events[-1][1]
assert d["response"]["status"] == "failed" and d["response"]["error"]["message"]
assert d["error"]["message"] == d["response"]["error"]["message"]
assert "response.completed" not in types and len(reqs) == 1'
	fake_set '{"claude_error_event_after": 3}'
	resp '{"model":"claude-sonnet-4-5","input":"hi","stream":true}'
	claude_verify '
assert types[-1] == "response.failed" and "response.completed" not in types'
}

@test "a refused token is replaced by one new login on a translated family" {
	resp '{"model":"gemini","input":"hi"}'
	curl -sS -f -X POST "$FAKE/_fake/expire-tokens" >/dev/null
	resp '{"model":"gemini","input":"hi"}'
	[ "$status" -eq 0 ]
	[ "$(logins)" -eq 2 ]
	chat_verify 'assert len(reqs) == 3 and js["status"] == "completed"'
}

@test "a client hanging up during a translated stream stops the upstream call" {
	fake_set '{"chat_stall_after": 2, "chat_stall_seconds": 30}'
	local envf=$BATS_TEST_TMPDIR/hexind.env
	env_file "$envf"
	activate "$envf"
	write_request /v1/responses '{"model":"deepseek-chat","input":"hi","stream":true}'
	hangup
	grep -q '^event: response.created$' "$RAW"
	wait_for fake_streams 'len(s) == 1 and s[0]["disconnected"] is not None'
	wait_for grep -q 'status=499' "$BATS_TEST_TMPDIR/activate.err"
	wait_for none_running -f "^$HEXIND --env-file $envf"
}

@test "a chat answer cut at max_output_tokens is incomplete, streamed or not" {
	resp '{"model":"deepseek-chat","input":"hi","max_output_tokens":1}'
	[ "$status" -eq 0 ]
	chat_verify '
assert up["max_tokens"] == 1
assert js["status"] == "incomplete" and js["incomplete_details"] == {"reason": "max_output_tokens"}, js'
	resp '{"model":"gemini","input":"hi","max_output_tokens":1,"stream":true}'
	chat_verify "$STREAM_OK"'
assert types[-1] == "response.incomplete" and final["incomplete_details"]["reason"] == "max_output_tokens"'
}

@test "a translated Responses stream's events of one read go out in one write" {
	fake_set '{"chat_whole": true}'
	write_request /v1/responses '{"model":"qwen-max","input":"hi","stream":true}'
	client_writes
	# the head and the events of the fake's one write in one write,
	# the translation's last events in one more
	[ "$(grep -c '^event: ' "$RAW")" -ge 6 ]
	[ "$WRITES" -le 2 ]
}
