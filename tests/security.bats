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
	# nor can a quote in a comment hide the brackets after it
	post /v1/chat/completions "[/*"*/${deep:0:2000}/*"*/${deep: -2000}]"
	[ "$status" -eq 0 ]
	assert_openai_error 400
	[[ $(json "j['error']['message']") == *"nested deeper than 100 levels"* ]]
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

# upstream_calls: how many requests the fake received, logins aside.
upstream_calls() {
	curl -sS -f "$FAKE/_fake/requests" | "$PY" -S -c '
import json, sys
print(len([r for r in json.load(sys.stdin)["requests"] if "login" not in r["path"]]))'
}

@test "a key twice in one object is refused with 400 naming it, on every endpoint, before Hexin" {
	local hi='"messages":[{"role":"user","content":"x"}]'
	post /v1/chat/completions '{"model":"gpt-4o","n":1,"n":100000,'"$hi"'}'
	assert_error 400 "" '"n"' twice
	post /v1/chat/completions '{"model":"gpt-4o","stream":false,"stream":true,'"$hi"'}'
	assert_error 400 "" '"stream"' twice
	post /v1/responses '{"model":"o3","input":"x","stream":false,"stream":true}'
	assert_error 400 "" '"stream"' twice
	post /v1/embeddings '{"model":"text-embedding-3-small","input":"x","input":["a","b"]}'
	assert_error 400 "" '"input"' twice
	post /v1/chat/completions '{"model":"claude",'"$hi"',"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","type":"array"}}}]}'
	assert_error 400 "" '"type"' twice
	post /v1/messages '{"model":"claude","max_tokens":8,'"$hi"',"metadata":{"user_id":"a","user_id":"b"}}' 'anthropic-version: 2023-06-01'
	assert_anthropic_error 400 invalid_request_error
	[[ $(json "j['error']['message']") == *'"user_id" appears twice'* ]]
	[ "$(upstream_calls)" -eq 0 ]
	# the same keys in different objects are no repeat
	post /v1/chat/completions '{"model":"gpt-4o","messages":[{"role":"user","content":"x"},{"role":"user","content":"y"}],"metadata":{"role":"x"}}'
	assert_status 200
}

@test "an object of many keys with one repeated is refused as one of few" {
	local keys
	keys=$(seq -f '"k%g":0,' 1 5000 | tr -d '\n')
	post /v1/chat/completions '{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"metadata":{'"$keys"'"k4321":1}}'
	assert_error 400 "" '"k4321"' twice
	post /v1/chat/completions '{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"metadata":{'"$keys"'"k0":1}}'
	assert_status 200
}

# body_of_values N [mixed]: an array of N zeros, or of N values of every
# kind, strings with escaped quotes and brackets in them too.
body_of_values() {
	"$PY" -S -c '
import sys
kinds = ["0"] if len(sys.argv) < 3 else ["0", "-1.5e+10", "true", "false", "null", "\"a\\\"b,[{\"", "{}", "[]", "2E-3"]
n = int(sys.argv[1])
sys.stdout.write("[" + ",".join(kinds[i % len(kinds)] for i in range(n)) + "]")' "$@"
}

@test "a body of more values than HEXIND_MAX_JSON_VALUES gets 413 naming the limit, on every endpoint, before Hexin" {
	export HEXIND_MAX_JSON_VALUES=1000
	local big
	big=$(body_of_values 1000)
	post /v1/chat/completions '{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"metadata":'"$big"'}'
	assert_error 413 request_too_large HEXIND_MAX_JSON_VALUES "more than 1000"
	post /v1/responses '{"model":"o3","input":"x","metadata":'"$big"'}'
	assert_error 413 request_too_large HEXIND_MAX_JSON_VALUES
	post /v1/embeddings '{"model":"text-embedding-3-small","input":"x","metadata":'"$big"'}'
	assert_error 413 request_too_large HEXIND_MAX_JSON_VALUES
	post /v1/messages '{"model":"claude","max_tokens":8,"messages":[{"role":"user","content":"x"}],"metadata":'"$big"'}' 'anthropic-version: 2023-06-01'
	assert_anthropic_error 413 request_too_large
	[[ $(json "j['error']['message']") == *HEXIND_MAX_JSON_VALUES* ]]
	[ "$(upstream_calls)" -eq 0 ]
	# a quote in a comment hides nothing from the count
	post /v1/chat/completions '{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],/*"*/"metadata":'"$big"'/*"*/}'
	assert_error 413 request_too_large
	post /v1/chat/completions '{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],// "
"metadata":'"$big"'}'
	assert_error 413 request_too_large
	# keys count too: 500 members are 1000 values
	post /v1/chat/completions '{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"metadata":{'"$(seq -f '"k%g":0,' 1 499 | tr -d '\n')"'"k":0}}'
	assert_error 413 request_too_large
	# counted exactly: the body, its 3 keys, "gpt-4o", the messages, the
	# message with its 2 keys and 2 strings, and the array: 12, and N
	post /v1/chat/completions '{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"metadata":'"$(body_of_values 988 mixed)"'}'
	assert_status 200
	post /v1/chat/completions '{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"metadata":'"$(body_of_values 989 mixed)"'}'
	assert_error 413 request_too_large "(1001,"
}

@test "by default a 2 MB body of a million values is refused with 413, not parsed" {
	body_of_values 1000000 | "$PY" -S -c '
import sys
b = b"{\"model\":\"gpt-4o\",\"messages\":[],\"metadata\":" + sys.stdin.buffer.read() + b"}"
sys.stdout.buffer.write(b"POST /v1/chat/completions HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n" % (sys.argv[1].encode(), len(b)) + b)' "$KEY" >"$REQ"
	run _post
	assert_error 413 request_too_large "more than 1000000"
	[ "$(upstream_calls)" -eq 0 ]
}
