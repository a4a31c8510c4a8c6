# POST /v1/responses against the fake Hexin: the client's body goes to
# Hexin untouched, the session pins the call, answers and streams come back
# (streams as strict SSE), upstream failures reach the client, and a client
# hanging up stops the call.
load helpers

UPATH=/vtuber/ai_access/chatgpt/v1/responses
UUID4='^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'

setup() {
	common_setup
	start_fake
}

# request writes a request to $REQ, resp sends it and verify checks it:
# write_request, post and verify_as in helpers.bash.
request() {
	write_request /v1/responses "$@"
}
resp() {
	post /v1/responses "$@"
}
verify() {
	verify_as responses "$@"
}

# The order of a complete answer's events, in the fake's three deltas.
ORDER='["response.created", "response.in_progress", "response.output_item.added",
 "response.content_part.added"] + ["response.output_text.delta"] * 3 + [
 "response.output_text.done", "response.content_part.done",
 "response.output_item.done"]'

# --- what reaches Hexin ---

@test "the client's body reaches Hexin byte for byte at chatgpt/v1/responses" {
	resp $'{ "model" :"o3",\n\t"input":  "h\xc3\xa9llo \\u00e9 \xe2\x9c\x93 \\"q\\"" ,"temperature":1.50,  "max_output_tokens" : 1e3,\n "x_unknown":{"z":[1,2.50,-0.0,1E+2],"a":null} , "reasoning":{"effort":"low"}}'
	[ "$status" -eq 0 ]
	verify '
assert [r["path"] for r in allreqs if "/login" not in r["path"]] == [
    "/vtuber/ai_access/chatgpt/v1/responses"]
assert req["body"] == sent, (req["body"], sent)
assert int(req["headers"]["content-length"]) == len(sent.encode())
assert status == 200 and js["object"] == "response"
assert js["output"][0]["content"][0]["text"] == "echo: h\u00e9llo \u00e9 \u2713 \"q\""'
}

@test "a Responses stream's events of one read go out in one write" {
	fake_set '{"chat_whole": true}'
	write_request /v1/responses '{"model":"o3","input":"hi","stream":true}'
	client_writes
	[ "$(grep -c '^event: ' "$RAW")" -ge 6 ]
	[ "$WRITES" -le 2 ]
}

@test "a stream request's body also reaches Hexin byte for byte" {
	resp '{"stream":true,  "model":"o3","input":[{"role":"user","content":"hi"}],"n_unknown":0.10}'
	[ "$status" -eq 0 ]
	verify '
assert len(reqs) == 1 and req["path"] == "/vtuber/ai_access/chatgpt/v1/responses"
assert req["body"] == sent
assert status == 200 and hdr["content-type"] == "text/event-stream"'
}

@test "HITHINK_RESPONSE_URL replaces the upstream URL, query and all" {
	export HITHINK_RESPONSE_URL=$FAKE$UPATH?x=1
	resp '{"model":"o3","input":"hi"}'
	[ "$status" -eq 0 ]
	verify '
assert [r["path"] for r in reqs] == ["/vtuber/ai_access/chatgpt/v1/responses?x=1"]
assert req["body"] == sent
assert status == 200 and js["output"][0]["content"][0]["text"] == "echo: hi"'
}

@test "the upstream call carries token, userId and a JSON content type" {
	resp '{"model":"o3","input":"hi"}'
	[ "$status" -eq 0 ]
	verify '
h = req["headers"]
assert h["token"] == cache_token()
assert h["userid"] == "u-demo-app"
assert h["content-type"] == "application/json"
assert status == 200 and hdr["content-type"] == "application/json"'
}

# --- the session ---

@test "X-Session-ID becomes arsenal-openai-hash and X-Trace-Id upstream and comes back in x-session-id" {
	resp '{"model":"o3","input":"hi"}' 'X-Session-ID: sess-1' 'X-Request-ID: req-1'
	[ "$status" -eq 0 ]
	verify '
h = req["headers"]
assert h["arsenal-openai-hash"] == "sess-1" and h["x-trace-id"] == "sess-1"
assert status == 200 and hdr["x-session-id"] == "sess-1"
assert hdr["x-request-id"] == "req-1"
assert js["metadata"]["session"] == "sess-1"'
}

@test "without X-Session-ID a fresh UUID v4 goes upstream and comes back, beside an x-request-id" {
	resp '{"model":"o3","input":"hi"}'
	[ "$status" -eq 0 ]
	verify '
h = req["headers"]
sid = hdr["x-session-id"]
assert re.fullmatch(UUID4, sid), sid
assert h["arsenal-openai-hash"] == sid and h["x-trace-id"] == sid
assert hdr["x-request-id"] and hdr["x-request-id"] != sid
assert status == 200 and js["metadata"]["session"] == sid'
}

@test "two requests without X-Session-ID get different sessions" {
	resp '{"model":"o3","input":"hi"}'
	[ "$status" -eq 0 ]
	local first
	first=$(header x-session-id)
	resp '{"model":"o3","input":"hi"}'
	[ "$status" -eq 0 ]
	verify '
first, second = ARG, hdr["x-session-id"]
assert re.fullmatch(UUID4, first) and re.fullmatch(UUID4, second)
assert first != second
assert [r["headers"]["arsenal-openai-hash"] for r in reqs] == [first, second]
assert status == 200' "$first"
}

@test "an X-Session-ID with a space or of 200 characters is replaced by a fresh UUID" {
	local sid
	for sid in 'sess 1' "$(printf 'a%.0s' $(seq 200))"; do
		resp '{"model":"o3","input":"hi"}' "X-Session-ID: $sid"
		[ "$status" -eq 0 ]
		verify '
got = hdr["x-session-id"]
assert re.fullmatch(UUID4, got), got
assert req["headers"]["arsenal-openai-hash"] == got and req["headers"]["x-trace-id"] == got
assert ARG not in json.dumps(req["headers"])
assert status == 200' "$sid"
	done
}

@test "x-session-id comes back on an upstream error too" {
	fake_set '{"chat_openai_error": {"status": 400}}'
	resp '{"model":"o3","input":"hi"}' 'X-Session-ID: sess-1'
	[ "$status" -eq 0 ]
	assert_error 400 ""
	verify '
assert req["headers"]["arsenal-openai-hash"] == "sess-1"
assert hdr["x-session-id"] == "sess-1" and hdr["x-request-id"]'
}

# --- answers ---

@test "a non-stream answer is the Response object as Hexin sent it" {
	resp '{"model":"o3","input":"what is up"}'
	[ "$status" -eq 0 ]
	verify '
assert len(reqs) == 1 and "stream" not in up
assert status == 200 and hdr["content-type"] == "application/json"
assert js["id"] == "resp_fake_%d" % req["seq"] and js["object"] == "response"
assert js["status"] == "completed" and js["model"] == "o3"
assert js["output"][0]["type"] == "message"
assert js["output"][0]["content"] == [{"type": "output_text", "text": "echo: what is up", "annotations": []}]
assert js["usage"]["total_tokens"] == js["usage"]["input_tokens"] + js["usage"]["output_tokens"]'
}

@test "an answer in the envelope reaches the client as the bare Response object" {
	fake_set '{"chat_wrap": true}'
	resp '{"model":"o3","input":"hi"}'
	[ "$status" -eq 0 ]
	verify '
assert len(reqs) == 1
assert status == 200
assert not {"data", "success", "status_code", "status_msg"} & set(js), js
assert js["object"] == "response" and js["id"] == "resp_fake_%d" % req["seq"]
assert js["output"][0]["content"][0]["text"] == "echo: hi"'
}

@test "a body without a model answers 400 naming model and reaches no upstream" {
	local b
	for b in '{"input":"hi"}' '{"model":"","input":"hi"}' '{"model":7,"input":"hi"}'; do
		resp "$b"
		[ "$status" -eq 0 ]
		assert_error 400 "" model
		verify 'assert err["type"] == "invalid_request_error" and err["param"] == "model" and allreqs == []'
	done
}

@test "a body that is not JSON answers 400 and reaches no upstream" {
	resp '{"model": "o3", "input": '
	[ "$status" -eq 0 ]
	assert_error 400 "" json
	verify 'assert err["type"] == "invalid_request_error" and allreqs == []'
}

# --- streams ---

@test "a stream is strict SSE: an event line, a data line of the same type and a blank line" {
	resp '{"model":"o3","input":"hi","stream":true}'
	[ "$status" -eq 0 ]
	verify '
assert up["stream"] is True
assert status == 200 and hdr["content-type"] == "text/event-stream"
assert hdr["cache-control"] == "no-cache"
assert re.fullmatch(r"(event: [^\n]+\ndata: [^\n]+\n\n)+", body), body
assert events and all(d["type"] == e for e, d in events), events
assert "retry:" not in body'
}

@test "a stream runs from response.created to response.completed, its deltas joining to the text" {
	resp '{"model":"o3","input":"a longer question","stream":true}'
	[ "$status" -eq 0 ]
	verify '
assert len(reqs) == 1
assert status == 200
assert types == '"$ORDER"' + ["response.completed"], types
assert text() == "echo: a longer question"
done = events[-1][1]["response"]
assert done["status"] == "completed"
assert done["output"][0]["content"][0]["text"] == "echo: a longer question"
assert [d["sequence_number"] for _, d in events] == list(range(len(events)))'
}

@test "a loose upstream stream reaches the client as strict SSE with event lines and no retry" {
	fake_set '{"responses_loose": true}'
	resp '{"model":"o3","input":"hi","stream":true}'
	[ "$status" -eq 0 ]
	verify '
assert len(reqs) == 1
assert status == 200 and hdr["content-type"] == "text/event-stream"
assert re.fullmatch(r"(event: [^\n]+\ndata: [^\n]+\n\n)+", body), body
assert "retry:" not in body
assert all(d["type"] == e for e, d in events)
assert types == '"$ORDER"' + ["response.completed"], types
assert text() == "echo: hi"'
}

@test "a stream ending in response.failed passes it on without an error event" {
	fake_set '{"responses_failed": true}'
	resp '{"model":"o3","input":"hi","stream":true}'
	[ "$status" -eq 0 ]
	verify '
assert len(reqs) == 1
assert status == 200 and hdr["content-type"] == "text/event-stream"
assert re.fullmatch(r"(event: [^\n]+\ndata: [^\n]+\n\n)+", body), body
assert types == '"$ORDER"' + ["response.failed"], types
assert events[-1][1]["response"]["error"]["message"] == "model failed"
assert "error" not in types and "response.completed" not in types'
}

# assert_broken_stream: 200, the first three events, then one error event
# whose data has an "error" object with a message; no response.completed.
assert_broken_stream() {
	[ "$status" -eq 0 ]
	verify '
assert len(reqs) == 1
assert status == 200 and hdr["content-type"] == "text/event-stream"
assert re.fullmatch(r"(event: [^\n]+\ndata: [^\n]+\n\n)+", body), body
assert types == ["response.created", "response.in_progress",
                 "response.output_item.added", "error"], types
e = events[-1][1]
assert e["type"] == "error"
assert isinstance(e.get("error"), dict) and isinstance(e["error"].get("message"), str)
assert e["error"]["message"], e
assert "response.completed" not in types'
}

@test "an upstream error event after three events ends the stream with an error event" {
	fake_set '{"responses_error_event_after": 3}'
	resp '{"model":"o3","input":"hi","stream":true}'
	assert_broken_stream
	verify 'assert "upstream exploded" in events[-1][1]["error"]["message"]'
}

@test "a stream dropped after three events ends with an error event, not response.completed" {
	fake_set '{"chat_drop_after": 3}'
	resp '{"model":"o3","input":"hi","stream":true}'
	assert_broken_stream
}

@test "a stream whose upstream fails before its first event answers a JSON error" {
	fake_set '{"chat_openai_error": {"status": 400}}'
	resp '{"model":"o3","input":"hi","stream":true}'
	[ "$status" -eq 0 ]
	assert_error 400 "" "fake upstream refused the request"
	verify 'assert len(reqs) == 1 and "event:" not in body'
}

# --- upstream errors ---

@test "an OpenAI error object with HTTP 400 answers 400 with the upstream message" {
	fake_set '{"chat_openai_error": {"status": 400}}'
	resp '{"model":"o3","input":"hi"}'
	[ "$status" -eq 0 ]
	assert_error 400 "" "fake upstream refused the request"
	verify 'assert len(reqs) == 1 and err["type"] == "invalid_request_error"'
}

@test "an error envelope with status_code 429 answers 429" {
	fake_set '{"chat_envelope_error": {"status_code": 429, "status_msg": "slow down"}}'
	resp '{"model":"o3","input":"hi"}'
	[ "$status" -eq 0 ]
	assert_error 429 "" "slow down"
	verify 'assert len(reqs) == 1'
}

@test "two 503s in a row are retried and the third call answers" {
	fake_set '{"chat_fail": {"status": 503, "count": 2}}'
	resp '{"model":"o3","input":"hi"}' 'X-Session-ID: sess-r'
	[ "$status" -eq 0 ]
	verify '
assert len(reqs) == 3 and all(r["body"] == sent for r in reqs)
assert all(r["headers"]["arsenal-openai-hash"] == "sess-r" for r in reqs)
assert status == 200 and js["output"][0]["content"][0]["text"] == "echo: hi"'
}

@test "a lasting 503 answers 502 after three calls" {
	fake_set '{"chat_fail": {"status": 503}}'
	resp '{"model":"o3","input":"hi"}'
	[ "$status" -eq 0 ]
	assert_error 502 "" "HTTP 503"
	verify 'assert len(reqs) == 3 and err["type"] == "server_error"'
}

@test "an expired token is replaced by a new login and the request succeeds" {
	resp '{"model":"o3","input":"hi"}'
	[ "$status" -eq 0 ]
	curl -sS -f -X POST "$FAKE/_fake/expire-tokens" >/dev/null
	resp '{"model":"o3","input":"hi"}'
	[ "$status" -eq 0 ]
	[ "$(logins)" -eq 2 ]
	verify '
assert len(reqs) == 3
assert reqs[1]["headers"]["token"] == reqs[0]["headers"]["token"]
assert reqs[2]["headers"]["token"] != reqs[1]["headers"]["token"]
assert reqs[2]["headers"]["token"] == cache_token()
assert status == 200 and js["output"][0]["content"][0]["text"] == "echo: hi"'
}

@test "an upstream silent past HEXIND_IDLE_TIMEOUT answers 504" {
	export HEXIND_IDLE_TIMEOUT=0.5 HEXIND_RETRIES=0
	fake_set '{"chat_delay": 3}'
	resp '{"model":"o3","input":"hi"}'
	[ "$status" -eq 0 ]
	assert_error 504 ""
	verify 'assert len(reqs) == 1'
}

# --- the client hangs up ---

@test "a client hanging up during a stalled stream stops the upstream call" {
	fake_set '{"chat_stall_after": 2, "chat_stall_seconds": 30}'
	local envf=$BATS_TEST_TMPDIR/hexind.env
	env_file "$envf"
	activate "$envf"
	request '{"model":"o3","input":"hi","stream":true}'
	hangup
	grep -q '^event: response.created$' "$RAW"
	wait_for fake_streams 'len(s) == 1 and s[0]["disconnected"] is not None'
	fake_streams 'len(s[0]["sent"]) == 2 and s[0]["path"] == "'"$UPATH"'"'
	wait_for grep -q 'status=499' "$BATS_TEST_TMPDIR/activate.err"
	wait_for none_running -f "^$HEXIND --env-file $envf"
}
