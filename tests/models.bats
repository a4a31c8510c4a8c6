# The model list (GET /v1/models), one model (GET /v1/models/{id}), the
# operator's model table (HEXIND_MODELS_FILE) and where a model name is
# routed (hexind --route, against hexin-backend.md's family table).
load helpers

BASE=https://arsenal-openai.10jqka.com.cn:8443/vtuber/ai_access
ADVERTISED="gpt-3.5-turbo gpt-4o gpt-4o-mini o3 o4-mini gpt4 claude gemini
doubao-deepseek-r1 ep-20250204210426-gclbn deepseek-reasoner
doubao-deepseek-v3 ep-20250410145517-rpbrz deepseek-chat r1-qianfan
text-embedding-ada-002 text-embedding-3-small text-embedding-3-large"
LIST_REQ="GET /v1/models HTTP/1.0"$'\r\n'"Authorization: Bearer $KEY"$'\r\n\r\n'

# get PATH: a GET with the test key.
get() {
	send "GET $1 HTTP/1.0"$'\r\n'"Authorization: Bearer $KEY"$'\r\n\r\n'
}

# models_file JSON: writes the model table file and points hexind at it.
models_file() {
	export HEXIND_MODELS_FILE=$BATS_TEST_TMPDIR/models.json
	printf '%s\n' "$1" >"$HEXIND_MODELS_FILE"
}

# The model file is refused: GET /v1/models answers 500 config_error and
# --check prints "models: FAIL:" with each of WORDS.
assert_models_file_refused() {
	send "$LIST_REQ"
	assert_error 500 config_error
	hexrun --check
	[ "$status" -eq 1 ]
	local line w
	line=$(printf '%s\n' "$output" | grep '^models: FAIL: ') || {
		printf 'no "models: FAIL:" line:\n%s\n' "$output" >&2
		return 1
	}
	for w in "$@"; do
		[[ $line == *"$w"* ]] || {
			printf 'models line lacks "%s": %s\n' "$w" "$line" >&2
			return 1
		}
	done
}

# assert_route NAME FIELD=VALUE...: hexind --route NAME exits 0 and prints
# each FIELD=VALUE among its fields.
assert_route() {
	hexrun --route "$1"
	[ "$status" -eq 0 ] || {
		printf -- '--route %s exited %s: %s\n' "$1" "$status" "$(cat "$ERR")" >&2
		return 1
	}
	[ "${#lines[@]}" -eq 1 ] || {
		printf -- '--route %s printed %s lines\n' "$1" "${#lines[@]}" >&2
		return 1
	}
	local f
	for f in "${@:2}"; do
		[[ " $output " == *" $f "* ]] || {
			printf -- '--route %s lacks %s: %s\n' "$1" "$f" "$output" >&2
			return 1
		}
	done
}

# --- the list and one model ---

@test "the built-in table compiled into hexind is models_default.json, value for value" {
	"$ROOT/build/models-dump" >"$BATS_TEST_TMPDIR/compiled.json"
	"$PY" -S -c '
import json, sys
a = json.load(open(sys.argv[1]))
b = json.load(open(sys.argv[2]))
sys.exit(a != b or json.dumps(a) != json.dumps(b))' \
	    "$ROOT/hexind/upstream/models_default.json" "$BATS_TEST_TMPDIR/compiled.json"
}

@test "GET /v1/models lists exactly the 18 advertised models" {
	get /v1/models
	assert_status 200
	[ "$(header content-type)" = application/json ]
	[ "$(json "(sorted(j), j['object'], sorted(m['id'] for m in j['data']))")" = \
	    "$("$PY" -S -c 'import sys; print((["data", "object"], "list", sorted(sys.argv[1].split())))' "$ADVERTISED")" ]
	[ "$status" -eq 0 ]
}

@test "every listed model is an object model with created 1677610602 and an owner" {
	get /v1/models
	assert_status 200
	[ "$(json "[m for m in j['data'] if sorted(m) != ['created', 'id', 'object', 'owned_by'] or m['object'] != 'model' or m['created'] != 1677610602 or type(m['owned_by']) is not str or not m['owned_by']]")" = '[]' ]
}

@test "GET /models without /v1 answers the same list" {
	get /v1/models
	local v1
	v1=$(body)
	get /models
	assert_status 200
	[ "$(header content-type)" = application/json ]
	[ "$(body)" = "$v1" ]
}

@test "HEAD /v1/models answers the headers with the Content-Length of the list and no body" {
	get /v1/models
	local length=$(header content-length)
	[ "$length" -gt 100 ]
	# $output loses trailing newlines: the raw bytes must be the head
	# and its final LF, nothing more.
	local raw=$BATS_TEST_TMPDIR/head.out
	printf 'HEAD /v1/models HTTP/1.0\r\nx-api-key: %s\r\n\r\n' "$KEY" |
	    "$HEXIND" >"$raw" 2>>"$ERR"
	output=$(<"$raw")
	assert_status 200
	[ "$(header content-type)" = application/json ]
	[ "$(header content-length)" = "$length" ]
	[[ $output == *$'\r\n\r' ]]
	[ "$(wc -c <"$raw")" -eq $((${#output} + 1)) ]
}

@test "GET /v1/models/gpt-4o answers the model object" {
	get /v1/models/gpt-4o
	assert_status 200
	[ "$(header content-type)" = application/json ]
	[ "$(json "j == {'id': 'gpt-4o', 'object': 'model', 'created': 1677610602, 'owned_by': j['owned_by']} and type(j['owned_by']) is str")" = True ]
}

@test "GET of an unknown model id answers 404 model_not_found naming the id" {
	get /v1/models/no-such-model-x
	assert_error 404 model_not_found no-such-model-x
}

@test "a percent-encoded model id is decoded" {
	get /v1/models/gpt%2D4o
	assert_status 200
	[ "$(json "(j['id'], j['object'])")" = "('gpt-4o', 'model')" ]
}

@test "a malformed percent escape in the model id answers 400" {
	get /v1/models/gpt%zz
	assert_error 400 ""
}

# --- HEXIND_MODELS_FILE ---

@test "a models file adds its new model after the built-in ones" {
	models_file '{"models": [{"id": "my-model", "owned_by": "me", "created": 1700000000}]}'
	get /v1/models
	assert_status 200
	[ "$(json "(len(j['data']), j['data'][-1])")" = \
	    "(19, {'id': 'my-model', 'object': 'model', 'created': 1700000000, 'owned_by': 'me'})" ]
}

@test "a models file entry with a built-in id replaces its owner and created in place" {
	get /v1/models
	local before=$(body | "$PY" -S -c 'import json,sys; print([m["id"] for m in json.load(sys.stdin)["data"]])')
	models_file '{"models": [{"id": "gpt-4o", "owned_by": "someone-else", "created": 42}]}'
	get /v1/models
	assert_status 200
	[ "$(json "([m['id'] for m in j['data']], [m for m in j['data'] if m['id'] == 'gpt-4o'])")" = \
	    "($before, [{'id': 'gpt-4o', 'object': 'model', 'created': 42, 'owned_by': 'someone-else'}])" ]
}

@test "a models file with replace true leaves only its own models" {
	models_file '{"replace": true, "models": [{"id": "only-one"}, {"id": "only-two"}],
	    "families": [{"name": "mine", "match": ["*"], "route": "openai", "path": "chatgpt/v3"}]}'
	get /v1/models
	assert_status 200
	[ "$(json "[m['id'] for m in j['data']]")" = "['only-one', 'only-two']" ]
	get /v1/models/gpt-4o
	assert_error 404 model_not_found
}

@test "families from the models file are tried before the built-in ones" {
	models_file '{"families": [{"name": "mine", "match": ["gpt-4o"], "route": "openai", "path": "custom/v9"}]}'
	assert_route gpt-4o family=mine route=openai model=gpt-4o "url=$BASE/custom/v9/chat/completions"
	assert_route gpt-4o-mini family=gpt
}

@test "with replace true the built-in families are gone too" {
	models_file '{"replace": true, "families": [{"name": "mine", "match": ["my-*"], "route": "openai", "path": "custom/v9"}]}'
	assert_route my-model family=mine
	hexrun --route gpt-4o
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ -s "$ERR" ]
}

# --- HEXIND_MODELS_FILE, refused ---

@test "a models file that is not JSON is refused naming the file" {
	models_file '{"models": ['
	assert_models_file_refused "$HEXIND_MODELS_FILE" JSON
}

@test "a models file whose top level is not an object is refused" {
	models_file '[{"id": "x"}]'
	assert_models_file_refused "$HEXIND_MODELS_FILE" object
}

@test "a models file with an unknown top-level key is refused naming the key" {
	models_file '{"modles": []}'
	assert_models_file_refused "$HEXIND_MODELS_FILE" modles
}

@test "a model without an id is refused naming models[1]" {
	models_file '{"models": [{"id": "fine"}, {"owned_by": "me"}]}'
	assert_models_file_refused 'models[1]' id
}

@test "a family with an unknown key is refused naming the key and families[i] with its name" {
	models_file '{"families": [
	    {"name": "good", "match": ["a"], "route": "openai", "path": "x/v1"},
	    {"name": "bad", "match": ["b"], "route": "openai", "path": "x/v1", "colour": "red"}]}'
	assert_models_file_refused 'families[1]' bad colour
}

@test "a family whose route is not openai, bedrock or gateway is refused" {
	models_file '{"families": [{"name": "mine", "match": ["a"], "route": "grpc", "path": "x/v1"}]}'
	assert_models_file_refused 'families[0]' mine route
}

@test "a family's responses must be native or translate, and native only on route openai" {
	models_file '{"families": [{"name": "mine", "match": ["a"], "route": "openai", "path": "x/v1", "responses": "yes"}]}'
	assert_models_file_refused 'families[0]' mine responses
	models_file '{"families": [{"name": "mine", "match": ["a"], "route": "bedrock", "responses": "native"}]}'
	assert_models_file_refused 'families[0]' mine responses openai
	models_file '{"families": [{"name": "mine", "match": ["m*"], "route": "openai", "path": "x/v1", "responses": "native"}]}'
	assert_route my-model family=mine responses=native
}

@test "an openai family without a path is refused" {
	models_file '{"families": [{"name": "mine", "match": ["a"], "route": "openai"}]}'
	assert_models_file_refused 'families[0]' mine path
}

@test "a max_tokens_default past 100000000 is refused" {
	models_file '{"families": [{"name": "mine", "match": ["a"], "route": "bedrock", "max_tokens_default": 9223372036854775807}]}'
	assert_models_file_refused 'families[0]' mine max_tokens_default 100000000
}

@test "a family path with .. is refused" {
	models_file '{"families": [{"name": "mine", "match": ["a"], "route": "openai", "path": "chatgpt/../admin"}]}'
	assert_models_file_refused 'families[0]' mine path
}

@test "a bedrock model id with a slash is refused" {
	models_file '{"families": [{"name": "mine", "match": ["a"], "route": "bedrock", "model": "us.anthropic/x"}]}'
	assert_models_file_refused 'families[0]' mine model
}

@test "a bedrock model id with a space in a map entry is refused" {
	models_file '{"families": [{"name": "mine", "match": ["a"], "route": "bedrock",
	    "map": [{"when": ["4"], "model": "us.anthropic.claude x"}]}]}'
	assert_models_file_refused 'families[0]' mine 'map[0]' model
}

@test "a map entry without when is refused" {
	models_file '{"families": [{"name": "mine", "match": ["a"], "route": "openai", "path": "x/v1",
	    "map": [{"model": "m"}]}]}'
	assert_models_file_refused 'families[0]' mine 'map[0]' when
}

@test "a created that is not a positive integer is refused" {
	local v
	for v in 0 '"1700000000"'; do
		models_file '{"models": [{"id": "m", "created": '"$v"'}]}'
		assert_models_file_refused 'models[0]' created
	done
}

@test "a models file over 1 MiB is refused naming the file" {
	export HEXIND_MODELS_FILE=$BATS_TEST_TMPDIR/models.json
	"$PY" -S -c 'import sys; sys.stdout.write("{\"models\": []}" + " " * (1024 * 1024))' >"$HEXIND_MODELS_FILE"
	assert_models_file_refused "$HEXIND_MODELS_FILE"
}

@test "a models file just under 1 MiB is accepted" {
	export HEXIND_MODELS_FILE=$BATS_TEST_TMPDIR/models.json
	"$PY" -S -c 'import sys; sys.stdout.write("{\"models\": [{\"id\": \"big\"}]}" + " " * (1024 * 1024 - 4096))' >"$HEXIND_MODELS_FILE"
	get /v1/models/big
	assert_status 200
}

@test "a missing models file is refused naming the path" {
	export HEXIND_MODELS_FILE=$BATS_TEST_TMPDIR/no-such-models.json
	assert_models_file_refused "$HEXIND_MODELS_FILE"
}

# --- routing by the built-in table ---

# The routing table: a comment saying where a name goes and why, then the
# name and the fields hexind --route must print for it (hexin-backend.md's
# family table; $BASE is HITHINK_BASE_URL's default).
ROUTES='
# claude goes to Sonnet 4.5 on Bedrock, one upstream call per choice
claude family=claude route=bedrock model=us.anthropic.claude-sonnet-4-5-20250929-v1:0 url=$BASE/claude/model/us.anthropic.claude-sonnet-4-5-20250929-v1:0/invoke chat=translate responses=translate messages=native fan_out_n=yes max_tokens_cap=32000
# claude-3-5-sonnet-20241022 goes to 3.5 Sonnet with cap 8192, not to Sonnet 4 by its date
claude-3-5-sonnet-20241022 family=claude route=bedrock model=us.anthropic.claude-3-5-sonnet-20241022-v2:0 max_tokens_cap=8192
# claude-3-7-sonnet-latest goes to 3.7 Sonnet
claude-3-7-sonnet-latest family=claude model=us.anthropic.claude-3-7-sonnet-20250219-v1:0
# claude-3.7-sonnet goes to 3.7 Sonnet
claude-3.7-sonnet family=claude model=us.anthropic.claude-3-7-sonnet-20250219-v1:0
# claude-sonnet-4-20250514 goes to Sonnet 4
claude-sonnet-4-20250514 family=claude model=us.anthropic.claude-sonnet-4-20250514-v1:0
# claude-opus-4 goes to Opus 4
claude-opus-4 family=claude model=us.anthropic.claude-opus-4-20250514-v1:0
# claude-opus-4-5 goes to the global Opus 4.5
claude-opus-4-5 family=claude model=global.anthropic.claude-opus-4-5-20251101-v1:0
# claude-haiku-4-5 goes to Sonnet 4, as there is no Haiku upstream
claude-haiku-4-5 family=claude model=us.anthropic.claude-sonnet-4-20250514-v1:0
# claude-sonnet-4-5-20250929 goes to Sonnet 4.5
claude-sonnet-4-5-20250929 family=claude model=us.anthropic.claude-sonnet-4-5-20250929-v1:0
# a us.anthropic. id without a version suffix passes with :0 added
us.anthropic.claude-x-v1 family=claude route=bedrock model=us.anthropic.claude-x-v1:0 url=$BASE/claude/model/us.anthropic.claude-x-v1:0/invoke
# a global.anthropic. id with its suffix passes unchanged
global.anthropic.claude-opus-4-5-20251101-v1:0 family=claude model=global.anthropic.claude-opus-4-5-20251101-v1:0
# doubao-deepseek-r1 goes to the R1 endpoint on doubao/v3, one call per choice
doubao-deepseek-r1 family=doubao route=openai model=ep-20250410145517-rpbrz url=$BASE/doubao/v3/chat/completions fan_out_n=yes
# deepseek-reasoner goes to the R1 endpoint on doubao/v3, one call per choice
deepseek-reasoner family=doubao model=ep-20250410145517-rpbrz url=$BASE/doubao/v3/chat/completions fan_out_n=yes
# doubao-deepseek-v3 goes to the V3 endpoint on doubao/v3
doubao-deepseek-v3 family=doubao model=ep-20250410151344-fzm9z url=$BASE/doubao/v3/chat/completions fan_out_n=no
# deepseek-chat goes to the V3 endpoint on doubao/v3
deepseek-chat family=doubao model=ep-20250410151344-fzm9z url=$BASE/doubao/v3/chat/completions chat=native responses=translate messages=translate fan_out_n=no
# an ep- endpoint id goes to doubao/v3 as sent
ep-20250204210426-gclbn family=doubao model=ep-20250204210426-gclbn url=$BASE/doubao/v3/chat/completions
# r1-qianfan goes to deepseek-r1 on qianfan/v3, one call per choice
r1-qianfan family=qianfan route=openai model=deepseek-r1 url=$BASE/qianfan/v3/chat/completions fan_out_n=yes
# gemini goes to gemini-2.5-pro-preview-03-25 on gemini/v3
gemini family=gemini route=openai model=gemini-2.5-pro-preview-03-25 url=$BASE/gemini/v3/chat/completions responses=translate
# qwen-max goes to qianwen/v1 as sent
qwen-max family=qwen route=openai model=qwen-max url=$BASE/qianwen/v1/chat/completions responses=translate
# o3 goes to the o-series family on chatgpt/v3
o3 family=o-series route=openai model=o3 url=$BASE/chatgpt/v3/chat/completions chat=native responses=native
# o4-mini goes to the o-series family on chatgpt/v3
o4-mini family=o-series model=o4-mini url=$BASE/chatgpt/v3/chat/completions
# gpt-4o goes to the gpt family on chatgpt/v3
gpt-4o family=gpt route=openai model=gpt-4o url=$BASE/chatgpt/v3/chat/completions chat=native responses=native messages=translate fan_out_n=no
# any other name goes to the default family on chatgpt/v3 as sent
anything-else family=default route=openai model=anything-else url=$BASE/chatgpt/v3/chat/completions responses=translate
'

@test "every name of the routing table goes where the table says" {
	local name fields why= failed=
	while read -r name fields; do
		case $name in
		'#') why=$fields; continue ;;
		'') continue ;;
		esac
		assert_route "$name" ${fields//\$BASE/$BASE} ||
		    failed="$failed
$name: $why"
	done <<<"$ROUTES"
	[ -z "$failed" ] || {
		printf 'routed wrong:%s\n' "$failed" >&2
		return 1
	}
}

@test "a claude id with a space is refused on Bedrock" {
	hexrun --route 'us.anthropic.claude x'
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ -s "$ERR" ]
}

@test "a claude id with a slash is refused on Bedrock" {
	hexrun --route 'us.anthropic.claude/../x'
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ -s "$ERR" ]
}
