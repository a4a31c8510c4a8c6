# Hostile bytes at the edges: what a client sends never becomes a header
# line of the response or a piece of an upstream URL it was not meant to
# be.
load helpers

setup() {
	common_setup
	start_fake
}

# upstream_paths_safe: every path the fake received is made of the bytes
# a Hexin route is made of.
upstream_paths_safe() {
	curl -sS -f "$FAKE/_fake/requests" | "$PY" -S -c '
import json, re, sys
for r in json.load(sys.stdin)["requests"]:
    assert re.fullmatch(r"[A-Za-z0-9._:/?=&-]+", r["path"]), r["path"]
    assert ".." not in r["path"], r["path"]'
}

# no_header LINE: the response head in $output has no header line
# starting with LINE.
no_header() {
	! printf '%s\n' "$output" | tr -d '\r' | sed '/^$/q' | grep -qi "^$1" || false
}

@test "a Claude model id with a path, a query or a line break never reaches an upstream URL" {
	local m
	for m in 'us.anthropic.claude-x-v1:0/../../auth' \
	    'anthropic.claude-3?x=1' 'anthropic.claude-3%2f..%2fx' \
	    'anthropic.claude-3\r\nX-Evil: 1' 'anthropic.claude-3 HTTP/1.1'; do
		post /v1/messages '{"model":"'"$m"'","max_tokens":8,"messages":[{"role":"user","content":"x"}]}'
		[ "$(status_code)" -ge 400 ] && [ "$(status_code)" -lt 500 ]
		no_header X-Evil
		post /v1/chat/completions '{"model":"'"$m"'","messages":[{"role":"user","content":"x"}]}'
		[ "$(status_code)" -ge 400 ] && [ "$(status_code)" -lt 500 ]
		no_header X-Evil
	done
	upstream_paths_safe
}

@test "a model name with a line break is answered in the body only, never in a header" {
	post /v1/chat/completions '{"model":"gpt-4o\r\nX-Evil: 1","messages":[{"role":"user","content":"x"}]}'
	no_header X-Evil
	post /v1/models/x%0d%0aX-Evil:%201 ''
	no_header X-Evil
	send $'GET /v1/models/x\r\nX-Evil: 1\r\n\r\n'
	no_header X-Evil
	upstream_paths_safe
}

@test "request and session ids with control bytes are refused, never echoed" {
	post /v1/responses '{"model":"o3","input":"x"}' $'X-Request-ID: a\x01b' $'X-Session-ID: s\x7fX-Evil: 1'
	assert_openai_error 400
	[[ $(header x-request-id) =~ ^[0-9a-f]{32}$ ]]
	no_header X-Evil
	upstream_paths_safe
	[ "$(curl -sS "$FAKE/_fake/requests" | "$PY" -S -c 'import json,sys; print(len([r for r in json.load(sys.stdin)["requests"] if "responses" in r["path"]]))')" = 0 ]
}

@test "a key never comes back in an error body or header" {
	post /v1/chat/completions '{"model":"gpt-4o","messages":[]}'
	assert_status 400
	! grep -qF "$KEY" "$RAW" || false
	HEXIND_API_KEYS=other-key-987654321 post /v1/chat/completions '{}'
	assert_status 401
	! grep -qF "$KEY" "$RAW" || false
	! grep -qF other-key-987654321 "$RAW" || false
}

@test "a body nested 300000 levels deep is refused with 400, and hexind lives" {
	local deep
	deep=$(printf '%0.s[' $(seq 300000); printf '%0.s]' $(seq 300000))
	post /v1/chat/completions "$deep"
	[ "$status" -eq 0 ]
	assert_openai_error 400
	[[ $(json "j['error']['message']") == *"nested deeper than 100 levels"* ]]
	post /v1/messages '{"model":"claude","max_tokens":8,"messages":'"${deep:0:200}${deep: -200}"'}'
	[ "$status" -eq 0 ]
	assert_anthropic_error 400 invalid_request_error
}

@test "an upstream message with line breaks and escape bytes stays on one log line" {
	local forged=$'bad thing\nhexind[1]: info: access peer=6.6.6.6:1 method=POST id=FORGED\n\e[31mred'
	fake_set "$("$PY" -S -c 'import json,sys; print(json.dumps({"chat_envelope_error": {"status_code": 400, "status_msg": sys.argv[1]}}))' "$forged")"
	post /v1/chat/completions '{"model":"gpt-4o","messages":[{"role":"user","content":"x"}]}'
	assert_status 400
	# the client's answer carries the message as sent, JSON-escaped
	[[ $(json "j['error']['message']") == *"id=FORGED"* ]]
	[ "$(grep -c FORGED "$ERR")" -eq 1 ]
	grep FORGED "$ERR" | grep -q '^hexind\[[0-9]*\]: [a-z]*: .*bad thing\\x0ahexind\[1\]: '
	! grep -q '^hexind\[1\]:' "$ERR" || false
	! grep -q $'\e' "$ERR" || false
	grep -q 'x1b\[31mred' "$ERR"
}
