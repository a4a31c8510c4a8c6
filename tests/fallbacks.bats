# Fallbacks between models: when a model's call fails before the first
# byte reached the client, the next of its fallbacks is tried, with the
# same retry and re-login rules; after the first byte, never. The model
# that served is in x-hexind-model, the access line and the ledger.
load helpers

HI='[{"role":"user","content":"hi"}]'

setup() {
	common_setup
	start_fake
	export HEXIND_RETRIES=0
	export HEXIND_MODELS_FILE=$BATS_TEST_TMPDIR/models.json
	cat >"$HEXIND_MODELS_FILE" <<-'EOF'
	{"models": [{"id": "prim-solo", "fallbacks": ["claude-sonnet-4-5"]}],
	 "families": [{"name": "primary", "match": ["prim-*"],
	   "route": "openai", "path": "primary/v1", "model": "gpt-4o",
	   "fallbacks": ["deepseek-chat", "gpt-4o-mini"]}]}
	EOF
}

# paths: the paths of the fake's chat calls, in order, one a line.
paths() {
	curl -sS -f "$FAKE/_fake/requests" | "$PY" -S -c '
import json, sys
for r in json.load(sys.stdin)["requests"]:
    if "/_fake/" not in r["path"] and "/login" not in r["path"]:
        print(r["path"].split("/ai_access/")[-1])'
}

ledger() {
	"$PY" -S -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
r = eval(sys.argv[2])
sys.exit(0 if r else "%r" % recs)' "$HEXIND_STATE_DIR/usage/$(date -u +%F).jsonl" "$1"
}

@test "--route names a family's fallbacks, and a model's own before them" {
	hexrun --route prim-x
	[[ $output == *" fallbacks=deepseek-chat,gpt-4o-mini" ]]
	hexrun --route prim-solo
	[[ $output == *" fallbacks=claude-sonnet-4-5" ]]
}

@test "a model whose route answers 503 falls back to the next, which serves, and says so" {
	fake_set '{"chat_fail":{"count":1}}'
	post /v1/chat/completions '{"model":"prim-x","messages":'"$HI"'}'
	assert_status 200
	[ "$(header x-hexind-model)" = deepseek-chat ]
	[ "$(json "j['choices'][0]['message']['content']")" = "echo: hi" ]
	[ "$(paths | tr '\n' ' ')" = "primary/v1/chat/completions doubao/v3/chat/completions " ]
	grep -q 'model=prim-x route=doubao/v3 .* served=deepseek-chat ' "$ERR"
	err_has "falling back to deepseek-chat"
	ledger "recs[-1]['model'] == 'prim-x' and recs[-1]['served'] == 'deepseek-chat' and recs[-1]['status'] == 200 and recs[-1]['error'] is None"
	# without a failure, the model asked serves
	post /v1/chat/completions '{"model":"prim-x","messages":'"$HI"'}'
	[ "$(header x-hexind-model)" = prim-x ]
}

@test "a 429 falls back, and so does an unreachable route after its retries" {
	fake_set '{"chat_fail":{"status":429,"count":2}}'
	post /v1/chat/completions '{"model":"prim-x","messages":'"$HI"'}'
	assert_status 200
	[ "$(header x-hexind-model)" = gpt-4o-mini ]
	[ "$(paths | wc -l)" -eq 3 ]
	# a gateway on a port where nobody listens, tried twice
	export HEXIND_RETRIES=1 GW_KEY=gw-key-1
	cat >"$HEXIND_MODELS_FILE" <<-EOF
	{"families": [{"name": "gw", "match": ["gw-*"], "route": "gateway",
	   "base_url": "http://127.0.0.1:$(free_port)/v1", "key_env": "GW_KEY",
	   "fallbacks": ["deepseek-chat"]}]}
	EOF
	post /v1/chat/completions '{"model":"gw-x","messages":'"$HI"'}'
	assert_status 200
	[ "$(header x-hexind-model)" = deepseek-chat ]
	ledger "recs[-1]['retries'] == 1 and recs[-1]['served'] == 'deepseek-chat'"
	err_has "model gw-x failed (connect): falling back to deepseek-chat"
}

@test "every fallback failing answers the last failure" {
	fake_set '{"chat_fail":{"count":3}}'
	post /v1/chat/completions '{"model":"prim-x","messages":'"$HI"'}'
	assert_error 502 upstream_error 503
	[ "$(paths | wc -l)" -eq 3 ]
	ledger "recs[-1]['served'] == 'gpt-4o-mini' and recs[-1]['error'] == 'server_error'"
}

@test "a request the upstream refuses as wrong does not fall back" {
	fake_set '{"chat_fail":{"status":400,"body":"{\"error\":{\"message\":\"bad\"}}","count":1}}'
	post /v1/chat/completions '{"model":"prim-x","messages":'"$HI"'}'
	assert_status 400
	[ "$(paths | wc -l)" -eq 1 ]
}

@test "a stream broken after its first byte does not fall back" {
	fake_set '{"chat_drop_after":1}'
	post /v1/chat/completions '{"model":"prim-x","stream":true,"messages":'"$HI"'}'
	assert_status 200
	[ "$(header x-hexind-model)" = prim-x ]
	grep -q '"error"' "$RAW"
	[ "$(paths | wc -l)" -eq 1 ]
	err_lacks "falling back"
}

@test "a fallback on another route speaks the client's API: Messages onto a chat model failing over to Claude" {
	fake_set '{"chat_fail":{"count":1}}'
	post /v1/messages '{"model":"prim-solo","max_tokens":50,"messages":'"$HI"'}'
	assert_status 200
	[ "$(header x-hexind-model)" = claude-sonnet-4-5 ]
	[ "$(json "j['type']")" = message ]
	[ "$(json "j['content'][0]['text']")" = "echo: hi" ]
	paths | tail -n 1 | grep -q '^claude/model/'
}

@test "the capture names the fallback that served" {
	export HEXIND_LOG_DIR=$BATS_TEST_TMPDIR/logs
	fake_set '{"chat_fail":{"count":1}}'
	post /v1/chat/completions '{"model":"prim-x","messages":'"$HI"'}'
	assert_status 200
	"$PY" -S -c '
import json, sys
r, = [json.loads(l) for l in open(sys.argv[1])]
assert r["model"] == "prim-x" and r["served"] == "deepseek-chat", r' \
	    "$(find "$HEXIND_LOG_DIR" -name rollout.jsonl)"
}

@test "a streamed fallback serves the whole stream" {
	fake_set '{"chat_fail":{"count":1}}'
	post /v1/chat/completions '{"model":"prim-x","stream":true,"messages":'"$HI"'}'
	assert_status 200
	[ "$(header x-hexind-model)" = deepseek-chat ]
	tail -n 2 "$RAW" | grep -qx 'data: \[DONE\]'
}

@test "the model table refuses a fallbacks list it cannot use" {
	printf '%s' '{"families":[{"name":"f","match":["x-*"],"route":"openai","path":"a/b","fallbacks":["bad name"]}]}' >"$HEXIND_MODELS_FILE"
	hexrun --check
	[ "$status" -eq 1 ]
	printf '%s\n' "$output" | grep -q 'fallbacks'
}
