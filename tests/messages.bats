# POST /v1/messages: the Anthropic Messages API onto Hexin's Bedrock
# routes (the official SDK: clients-anthropic.bats; capture: capture.bats).
load helpers

setup() {
	common_setup
	start_fake
}

# msg BODY [HEADER...]: an authenticated /v1/messages request.
msg() {
	local body=$1 h extra=
	shift
	for h in "$@"; do
		extra+="$h"$'\r\n'
	done
	send "POST /v1/messages HTTP/1.1"$'\r\n'"Host: t"$'\r\n'"x-api-key: $KEY"$'\r\n'"anthropic-version: 2023-06-01"$'\r\n'"${extra}Content-Length: $(printf %s "$body" | wc -c)"$'\r\n\r\n'"$body"
}

# The last body the fake received, as JSON, and its path.
upstream() {
	curl -sS "$FAKE/_fake/requests" | "$PY" -S -c '
import json, sys
r = [q for q in json.load(sys.stdin)["requests"] if "/claude/" in q["path"]][-1]
j = json.loads(r["body"])
print(eval(sys.argv[1]))' "$1"
}

@test "a message goes to the Bedrock invoke route as a Bedrock body and comes back as sent" {
	msg '{"model":"claude-sonnet-4-5","max_tokens":256,"messages":[{"role":"user","content":"hello"}],"top_k":5}'
	assert_status 200
	[ "$(json "j['type']")" = message ]
	[ "$(json "j['content'][0]['text']")" = 'echo: hello' ]
	[ "$(upstream "r['path']")" = /vtuber/ai_access/claude/model/us.anthropic.claude-sonnet-4-5-20250929-v1:0/invoke ]
	[ "$(upstream "j['anthropic_version']")" = bedrock-2023-05-31 ]
	[ "$(upstream "'model' in j or 'stream' in j")" = False ]
	[ "$(upstream "(j['max_tokens'], j['top_k'])")" = "(256, 5)" ]
}

@test "max_tokens is capped per model and top_p gives way to temperature" {
	msg '{"model":"claude-3-5-sonnet-20241022","max_tokens":20000,"temperature":0.2,"top_p":0.5,"messages":[{"role":"user","content":"x"}]}'
	assert_status 200
	[ "$(upstream "(j['max_tokens'], j['temperature'], 'top_p' in j)")" = "(8192, 0.2, False)" ]
}

@test "the system prompt is folded into the first user turn by default" {
	msg '{"model":"claude","max_tokens":64,"system":[{"type":"text","text":"be brief"}],"messages":[{"role":"user","content":[{"type":"text","text":"hi"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}}]}]}'
	assert_status 200
	[ "$(upstream "'system' in j")" = False ]
	[ "$(upstream "j['messages'][0]['content'][0]['text']")" = $'[System Instruction: be brief]\n\nhi' ]
	[ "$(upstream "j['messages'][0]['content'][1]['type']")" = image ]
}

@test "anthropic-beta becomes the body's anthropic_beta list" {
	msg '{"model":"claude","max_tokens":64,"messages":[{"role":"user","content":"x"}]}' \
	    'anthropic-beta: interleaved-thinking-2025-05-14, output-128k-2025-02-19'
	assert_status 200
	[ "$(upstream "j['anthropic_beta']")" = "['interleaved-thinking-2025-05-14', 'output-128k-2025-02-19']" ]
}

@test "anthropic-beta flags and body fields Bedrock does not take are left out, by the allow-list" {
	export HEXIND_LOG_LEVEL=debug
	msg '{"model":"claude","max_tokens":64,"metadata":{"user_id":"u"},"service_tier":"auto","messages":[{"role":"user","content":"x"}]}' \
	    'anthropic-beta: claude-code-20250219, interleaved-thinking-2025-05-14,oauth-2025-04-20'
	assert_status 200
	[ "$(upstream "j['anthropic_beta']")" = "['interleaved-thinking-2025-05-14']" ]
	[ "$(upstream "('metadata' in j, 'service_tier' in j, j['max_tokens'])")" = "(False, False, 64)" ]
	grep -q 'anthropic-beta claude-code-20250219 left out' "$ERR"
	grep -q 'field metadata left out' "$ERR"
	msg '{"model":"claude","max_tokens":64,"messages":[{"role":"user","content":"x"}]}' 'anthropic-beta: claude-code-20250219'
	assert_status 200
	[ "$(upstream "'anthropic_beta' in j")" = False ]
}

@test "HEXIND_MODELS_FILE overrides the Bedrock allow-lists" {
	export HEXIND_MODELS_FILE=$BATS_TEST_TMPDIR/models.json
	echo '{"bedrock": {"betas": ["claude-code-20250219"], "fields": ["max_tokens", "messages", "metadata"]}}' >"$HEXIND_MODELS_FILE"
	msg '{"model":"claude","max_tokens":64,"metadata":{"user_id":"u"},"temperature":0.5,"messages":[{"role":"user","content":"x"}]}' \
	    'anthropic-beta: claude-code-20250219, interleaved-thinking-2025-05-14'
	assert_status 200
	[ "$(upstream "(j['anthropic_beta'], j['metadata'], 'temperature' in j)")" = "(['claude-code-20250219'], {'user_id': 'u'}, False)" ]
	echo '{"bedrock": {"betas": "all"}}' >"$HEXIND_MODELS_FILE"
	msg '{"model":"claude","max_tokens":64,"messages":[{"role":"user","content":"x"}]}'
	assert_anthropic_error 500 api_error
}

@test "a Bedrock stream's events of one read go out in one write" {
	fake_set '{"chat_whole": true}'
	write_request /v1/messages '{"model":"claude","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"stream"}]}' 'anthropic-version: 2023-06-01'
	client_writes
	[ "$(grep -c '^event: ' "$RAW")" -ge 6 ]
	[ "$WRITES" -le 2 ]
}

@test "a stream is reframed as event and data lines, ending with message_stop" {
	msg '{"model":"claude","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"stream"}]}'
	assert_status 200
	[ "$(header content-type)" = text/event-stream ]
	[[ $(upstream "r['path']") == */invoke-with-response-stream ]]
	body | "$PY" -S -c '
import json, sys
blocks = sys.stdin.read().strip("\n").split("\n\n")
names, text = [], ""
for b in blocks:
    ev, data = b.split("\n")
    assert ev.startswith("event: ") and data.startswith("data: "), b
    d = json.loads(data[6:])
    assert d["type"] == ev[7:], b
    names.append(d["type"])
    if d["type"] == "content_block_delta":
        text += d["delta"]["text"]
assert names[0] == "message_start" and names[-1] == "message_stop", names
assert text == "echo: stream", text'
}

@test "an error event ends a broken stream in the Anthropic shape" {
	fake_set '{"claude_error_event_after": 3}'
	msg '{"model":"claude","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"x"}]}'
	assert_status 200
	printf '%s\n' "$output" | grep -qx 'event: error'
	printf '%s\n' "$output" | grep -q '^data: {"type":"error","error":{"type":"api_error","message":"Hexin: Overloaded'
	! printf '%s\n' "$output" | grep -q message_stop || false
}

@test "a missing max_tokens is a 400 in the Anthropic shape, without a call" {
	msg '{"model":"claude","messages":[{"role":"user","content":"x"}]}'
	assert_anthropic_error 400 invalid_request_error
	json "j['error']['message']" | grep -q max_tokens
	[ "$(login_attempts)" -eq 0 ]
}

@test "a model no family routes is a 404 not_found_error" {
	export HEXIND_MODELS_FILE=$BATS_TEST_TMPDIR/models.json
	echo '{"replace": true, "families": [{"name": "c", "match": ["claude*"], "route": "bedrock"}]}' >"$HEXIND_MODELS_FILE"
	msg '{"model":"gpt-4o","max_tokens":10,"messages":[{"role":"user","content":"x"}]}'
	assert_anthropic_error 404 not_found_error
}

@test "a Bedrock refusal keeps its status and message in the Anthropic shape" {
	msg '{"model":"claude","max_tokens":10,"messages":[{"role":"assistant","content":"first"}]}'
	assert_anthropic_error 400 invalid_request_error
	json "j['error']['message']" | grep -q 'user role'
}

@test "a wrong x-api-key is an authentication_error" {
	send $'POST /v1/messages HTTP/1.0\r\nx-api-key: nope\r\nContent-Length: 2\r\n\r\n{}'
	assert_anthropic_error 401 authentication_error
}
