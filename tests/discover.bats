# hexind --discover: a gateway route's model list as a model-table
# fragment an operator can paste into HEXIND_MODELS_FILE.
load helpers

setup() {
	common_setup
	start_fake
	export HEXIND_MODELS_FILE=$BATS_TEST_TMPDIR/models.json
	printf '{"families": [{"name": "gw", "match": ["gw-*"], "route": "gateway", "base_url": "%s/gateway/v1", "key_env": "GW_TEST_KEY"}]}\n' \
	    "$FAKE" >"$HEXIND_MODELS_FILE"
	export GW_TEST_KEY=gw-key
}

@test "--discover asks the gateway for its models and prints a fragment the model table takes" {
	hexrun --discover gw
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/fragment.json"
	"$PY" -S -c '
import json, sys
f = json.load(open(sys.argv[1]))
assert [m["id"] for m in f["models"]] == ["gw-alpha", "gw-beta-2"], f
assert all(m["owned_by"] == "gateway" for m in f["models"]), f
fam, = f["families"]
assert fam["name"] == "gw" and fam["route"] == "gateway", fam
assert fam["match"] == ["gw-alpha", "gw-beta-2"], fam
assert fam["base_url"] == sys.argv[2] + "/gateway/v1" and fam["key_env"] == "GW_TEST_KEY", fam
' "$BATS_TEST_TMPDIR/fragment.json" "$FAKE"
	# the key went as a Bearer token, and nothing logged in
	curl -sS -f "$FAKE/_fake/requests" | "$PY" -S -c '
import json, sys
r = json.load(sys.stdin)["requests"]
assert [(x["method"], x["path"]) for x in r] == [("GET", "/gateway/v1/models")], r'
	[ "$(logins)" = 0 ]
	# the fragment, pasted, is a valid table that advertises and routes them
	export HEXIND_MODELS_FILE=$BATS_TEST_TMPDIR/fragment.json
	hexrun --check
	printf '%s\n' "$output" | grep -q '^models: ok'
	hexrun --route gw-beta-2
	[[ $output == "family=gw route=gateway "* ]]
}

@test "--discover takes a model name of the gateway's family too" {
	hexrun --discover gw-anything
	[ "$status" -eq 0 ]
	[[ $output == *'"gw-alpha"'* ]]
}

@test "--discover refuses what is no gateway, and says why a gateway failed" {
	hexrun --discover gpt-4o
	[ "$status" -eq 1 ]
	err_has "not a gateway route"
	export GW_TEST_KEY=wrong
	hexrun --discover gw
	[ "$status" -eq 1 ]
	err_has "/gateway/v1/models"
	[ -z "$output" ]
}
