# POST /v1/embeddings against the fake Hexin: one form post per input,
# fanned out in parallel within a bound, numbers passed on byte for byte
# (or as float32 base64), the client's mistakes refused before any call,
# and upstream failures and oversized answers reaching the client.
load helpers

export UPATH=/vtuber/ai_access/chatgpt/v1/embeddings
export MODEL=text-embedding-3-small

setup() {
	common_setup
	start_fake
}

# request writes a request to $REQ, embed sends it and verify checks it:
# write_request, post and verify_as in helpers.bash.
request() {
	write_request /v1/embeddings "$@"
}
embed() {
	post /v1/embeddings "$@"
}
verify() {
	verify_as embeddings "$@"
}

# overlap: the largest number of embeddings calls the fake was answering at
# the same moment, from when each came in to when its answer went out.
overlap() {
	curl -sS -f "$FAKE/_fake/streams" | "$PY" -S -c '
import json, sys
s = [x for x in json.load(sys.stdin)["streams"] if x["path"].endswith("/embeddings")]
print(max(sum(1 for y in s if y["started"] <= x["started"] < y["sent"][0]) for x in s))'
}

# --- what reaches Hexin ---

@test "a string input is one form post of input and model to chatgpt/v1/embeddings" {
	embed '{"model":"'"$MODEL"'","input":"hello world"}'
	[ "$status" -eq 0 ]
	verify '
assert len(reqs) == 1 and req["path"] == UPATH
h = req["headers"]
assert h["content-type"] == "application/x-www-form-urlencoded"
assert h["token"] == cache_token() and h["userid"] == "u-demo-app"
assert form == {"input": ["hello world"], "model": [MODEL]}, form
assert status == 200 and hdr["content-type"] == "application/json"
assert sorted(js) == ["data", "model", "object", "usage"], js
assert js["object"] == "list" and js["model"] == MODEL
assert len(js["data"]) == 1
d = js["data"][0]
assert sorted(d) == ["embedding", "index", "object"]
assert d["object"] == "embedding" and d["index"] == 0
assert len(d["embedding"]) == 8 and all(type(x) is float for x in d["embedding"])
assert sorted(js["usage"]) == ["prompt_tokens", "total_tokens"]
assert js["usage"]["prompt_tokens"] == len("hello world") // 4 + 1'
}

@test "special characters in the input survive the form encoding" {
	local text=$'a&b=c+d%20e %41 \xe4\xb8\xad\xe6\x96\x87 \xc3\xbc\nline two\t"q" \\ ;#?/'
	local jtext
	jtext=$("$PY" -S -c 'import json,sys; print(json.dumps(sys.argv[1], ensure_ascii=False))' "$text")
	embed '{"model":"'"$MODEL"'","input":'"$jtext"'}'
	[ "$status" -eq 0 ]
	verify '
assert len(reqs) == 1
assert form == {"input": [ARG], "model": [MODEL]}, form
assert status == 200 and len(js["data"]) == 1
assert len(vectors) == 1 and vectors == raw_vectors(direct(ARG))' "$text"
}

@test "the numbers of a vector reach the client byte for byte" {
	fake_set '{"embed_dims": 64}'
	embed '{"model":"'"$MODEL"'","input":"exact numbers"}'
	[ "$status" -eq 0 ]
	verify '
assert len(reqs) == 1 and form["input"] == ["exact numbers"]
assert status == 200
theirs = raw_vectors(direct("exact numbers"))
assert len(vectors) == 1 and vectors == theirs, (vectors, theirs)
nums = vectors[0][1:-1].split(",")
assert len(nums) == 64
assert re.fullmatch(r"-?\d\.\d+e[-+]\d\d", nums[1]), nums[1]
assert nums[2].endswith("0") and "e" not in nums[2], nums[2]'
}

@test "an answer in Hexin's envelope is unwrapped, its numbers byte for byte" {
	fake_set '{"embed_dims": 16, "chat_wrap": true}'
	embed '{"model":"'"$MODEL"'","input":"wrapped"}'
	[ "$status" -eq 0 ]
	verify '
assert status == 200 and js["object"] == "list" and "success" not in js
assert js["usage"]["prompt_tokens"] > 0
theirs = raw_vectors(direct("wrapped"))
assert len(vectors) == 1 and vectors == theirs, (vectors, theirs)'
}

@test "an array of five inputs is five form posts of one text each, answered in order" {
	local -a texts=(first second third fourth fifth)
	local t singles=()
	for t in "${texts[@]}"; do
		embed '{"model":"'"$MODEL"'","input":"'"$t"'"}'
		[ "$status" -eq 0 ]
		singles+=("$(body)")
	done
	embed '{"model":"'"$MODEL"'","input":["first","second","third","fourth","fifth"]}'
	[ "$status" -eq 0 ]
	verify '
texts, singles = ARGS[0:5], ARGS[5:10]
batch = reqs[5:]
assert len(batch) == 5, [r["form"] for r in batch]
assert sorted(r["form"]["input"][0] for r in batch) == sorted(texts)
assert all(r["form"] == {"input": [r["form"]["input"][0]], "model": [MODEL]} for r in batch)
assert not any(re.match(r"\s*[\[(]", r["form"]["input"][0]) or "," in r["form"]["input"][0]
               for r in batch)
assert status == 200
assert [d["index"] for d in js["data"]] == [0, 1, 2, 3, 4]
assert vectors == [raw_vectors(s)[0] for s in singles]
one = [json.loads(s)["usage"] for s in singles]
assert js["usage"] == {k: sum(u[k] for u in one) for k in ("prompt_tokens", "total_tokens")}, js["usage"]
assert sorted(js["usage"]) == ["prompt_tokens", "total_tokens"]' "${texts[@]}" "${singles[@]}"
}

@test "with HEXIND_EMBED_PARALLEL=3 six calls run in parallel, at most three at once" {
	export HEXIND_EMBED_PARALLEL=3
	fake_set '{"embed_delay": 0.5}'
	embed '{"model":"'"$MODEL"'","input":["a1","a2","a3","a4","a5","a6"]}'
	[ "$status" -eq 0 ]
	verify '
assert sorted(r["form"]["input"][0] for r in reqs) == ["a1", "a2", "a3", "a4", "a5", "a6"]
assert status == 200 and [d["index"] for d in js["data"]] == list(range(6))'
	local n
	n=$(overlap)
	[ "$n" -gt 1 ] && [ "$n" -le 3 ]
}

@test "with the default HEXIND_EMBED_PARALLEL six calls all run at once" {
	fake_set '{"embed_delay": 0.5}'
	embed '{"model":"'"$MODEL"'","input":["a1","a2","a3","a4","a5","a6"]}'
	[ "$status" -eq 0 ]
	verify '
assert len(reqs) == 6
assert status == 200 and [d["index"] for d in js["data"]] == list(range(6))'
	[ "$(overlap)" -eq 6 ]
}

# --- encoding_format and dimensions ---

@test "encoding_format base64 gives each vector as little-endian float32s of the float answer" {
	embed '{"model":"'"$MODEL"'","input":["alpha","beta"],"encoding_format":"float"}'
	[ "$status" -eq 0 ]
	local floats
	floats=$(body)
	embed '{"model":"'"$MODEL"'","input":["alpha","beta"],"encoding_format":"base64"}'
	[ "$status" -eq 0 ]
	verify '
import base64, struct
assert len(reqs) == 4
assert all(sorted(r["form"]) == ["input", "model"] for r in reqs)
assert sorted(r["body"] for r in reqs[:2]) == sorted(r["body"] for r in reqs[2:])
f = json.loads(ARG)["data"]
assert status == 200 and [d["index"] for d in js["data"]] == [0, 1]
for d, want in zip(js["data"], f):
    assert isinstance(d["embedding"], str), d
    got = base64.b64decode(d["embedding"], validate=True)
    n = len(want["embedding"])
    assert len(got) == n * 4
    assert got == struct.pack("<%df" % n, *want["embedding"])' "$floats"
}

@test "encoding_format float gives the numbers as Hexin wrote them" {
	embed '{"model":"'"$MODEL"'","input":"alpha","encoding_format":"float"}'
	[ "$status" -eq 0 ]
	verify '
assert len(reqs) == 1 and form == {"input": ["alpha"], "model": [MODEL]}
assert status == 200 and all(type(x) is float for x in js["data"][0]["embedding"])
assert len(vectors) == 1 and vectors == raw_vectors(direct("alpha"))'
}

@test "another encoding_format answers 400 naming encoding_format and reaches no upstream" {
	embed '{"model":"'"$MODEL"'","input":"alpha","encoding_format":"int8"}'
	[ "$status" -eq 0 ]
	assert_error 400 "" encoding_format
	verify 'assert err["param"] == "encoding_format" and err["type"] == "invalid_request_error" and allreqs == []'
}

@test "dimensions 4 goes into the form and the vector has four entries" {
	embed '{"model":"'"$MODEL"'","input":"alpha","dimensions":4}'
	[ "$status" -eq 0 ]
	verify '
assert len(reqs) == 1 and form == {"input": ["alpha"], "model": [MODEL], "dimensions": ["4"]}, form
assert status == 200 and len(js["data"][0]["embedding"]) == 4
assert len(vectors) == 1 and vectors == raw_vectors(direct("alpha", dimensions=4))'
}

@test "dimensions 0 or a string answers 400 naming dimensions and reaches no upstream" {
	local d
	for d in 0 '"x"'; do
		embed '{"model":"'"$MODEL"'","input":"alpha","dimensions":'"$d"'}'
		[ "$status" -eq 0 ]
		assert_error 400 "" dimensions
		verify 'assert err["param"] == "dimensions" and err["type"] == "invalid_request_error" and allreqs == []'
	done
}

# --- the client's mistakes ---

@test "an input missing, empty, not strings or of 2049 strings answers 400 naming input" {
	local many b
	many=$(printf '"x",%.0s' $(seq 2048))'"x"'
	for b in '' ',"input":""' ',"input":[]' ',"input":[1,2,3]' \
	    ',"input":[[1,2]]' ',"input":["a",5]' ',"input":["a",""]' \
	    ',"input":{"a":1}' ',"input":['"$many"']'; do
		embed '{"model":"'"$MODEL"'"'"$b"'}'
		[ "$status" -eq 0 ]
		assert_error 400 "" input
		verify 'assert err["param"] == "input" and err["type"] == "invalid_request_error" and allreqs == []'
	done
}

@test "a request without a model answers 400 naming model and reaches no upstream" {
	local b
	for b in '{"input":"alpha"}' '{"input":"alpha","model":""}' '{"input":"alpha","model":3}'; do
		embed "$b"
		[ "$status" -eq 0 ]
		assert_error 400 "" model
		verify 'assert err["param"] == "model" and err["type"] == "invalid_request_error" and allreqs == []'
	done
}

@test "a body that is not JSON answers 400 and reaches no upstream" {
	embed '{"model":"'"$MODEL"'","input":'
	[ "$status" -eq 0 ]
	assert_error 400 "" json
	verify 'assert err["type"] == "invalid_request_error" and allreqs == []'
}

# --- upstream errors ---

@test "an HTML 500 answers 502 naming HTTP 500" {
	fake_set '{"chat_fail": {"status": 500}}'
	embed '{"model":"'"$MODEL"'","input":"alpha"}'
	[ "$status" -eq 0 ]
	assert_error 502 "" "HTTP 500"
	verify 'assert len(reqs) == 1 and err["type"] == "server_error"'
}

@test "an error envelope with status_code 400 answers 400 with its message" {
	fake_set '{"chat_envelope_error": {"status_code": 400, "status_msg": "input too long"}}'
	embed '{"model":"'"$MODEL"'","input":"alpha"}'
	[ "$status" -eq 0 ]
	assert_error 400 "" "input too long"
	verify 'assert len(reqs) == 1 and form["input"] == ["alpha"]'
}

@test "one failing call of a batch fails the whole request with its error" {
	export HEXIND_RETRIES=0
	fake_set '{"chat_fail": {"status": 503, "count": 1}}'
	embed '{"model":"'"$MODEL"'","input":["b1","b2","b3"]}'
	[ "$status" -eq 0 ]
	assert_error 502 "" "HTTP 503"
	verify '
assert sorted(r["form"]["input"][0] for r in reqs) == ["b1", "b2", "b3"]
assert "data" not in js and err["type"] == "server_error"'
}

@test "a vector of 300000 entries comes back complete and byte for byte" {
	fake_set '{"embed_big": 300000}'
	embed '{"model":"'"$MODEL"'","input":"big"}'
	[ "$status" -ne 124 ] || { echo "hexind took more than 20 s" >&2; false; }
	[ "$status" -eq 0 ]
	verify '
assert len(reqs) == 1
assert status == 200 and len(body) > 4 << 20
assert len(js["data"][0]["embedding"]) == 300000
assert len(vectors) == 1 and vectors == raw_vectors(direct("big"))'
}

@test "a vector of 300000 entries as base64 is each number's float32, across the encoder's pieces" {
	fake_set '{"embed_big": 300000}'
	embed '{"model":"'"$MODEL"'","input":"big","encoding_format":"base64"}'
	[ "$status" -eq 0 ]
	verify '
import base64, struct
want = json.loads(raw_vectors(direct("big"))[0])
got = base64.b64decode(js["data"][0]["embedding"], validate=True)
assert status == 200 and len(want) == 300000
assert got == struct.pack("<%df" % len(want), *want)'
}

# peak_kib INPUT: hexind's peak RSS (KiB) answering one embeddings request
# for INPUT, run as a child of python, which reads its rusage.
peak_kib() {
	request '{"model":"'"$MODEL"'","input":"'"$1"'"}'
	"$PY" -S -c '
import resource, subprocess, sys
with open(sys.argv[2], "rb") as f:
    p = subprocess.run([sys.argv[1]], stdin=f, stdout=subprocess.PIPE, timeout=60)
assert p.returncode == 0 and p.stdout.startswith(b"HTTP/1.1 200 "), p.stdout[:300]
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$HEXIND" "$REQ" 2>>"$ERR"
}

@test "a 13 MB answer costs no more memory than a small one" {
	local small big
	small=$(peak_kib small)
	fake_set '{"embed_big": 600000}'
	big=$(peak_kib big)
	[ "$(curl -sS -f "$FAKE/_fake/requests" | "$PY" -S -c '
import json, sys
print(len(json.load(sys.stdin)["requests"]))')" -ge 2 ]
	# the whole answer held once would add 13 MB
	[ "$big" -lt $((small + 2048)) ] || {
		echo "peak RSS: small answer $small KiB, 13 MB answer $big KiB" >&2
		false
	}
}

@test "a batch of 300 inputs is answered within 32 descriptors: one spool file for all" {
	local inputs
	inputs=$("$PY" -S -c 'import json; print(json.dumps(["t%d" % i for i in range(300)]))')
	request '{"model":"'"$MODEL"'","input":'"$inputs"'}'
	run bash -c 'ulimit -n 32 && timeout 60 "$1" <"$2" 2>>"$3"' _ "$HEXIND" "$REQ" "$ERR"
	printf '%s' "$output" >"$RAW"
	[ "$status" -eq 0 ]
	verify '
assert status == 200 and len(reqs) == 300
assert [d["index"] for d in js["data"]] == list(range(300))
assert raw_vectors(body)[299] == raw_vectors(direct("t299"))[0]'
}

@test "an answer that cannot be kept in TMPDIR answers 502 naming the directory" {
	export TMPDIR=$BATS_TEST_TMPDIR/missing
	embed '{"model":"'"$MODEL"'","input":"alpha"}'
	[ "$status" -eq 0 ]
	assert_error 502 "" "$TMPDIR"
}

@test "an answer past HEXIND_MAX_ANSWER_BYTES answers 502 naming the size limit" {
	export HEXIND_MAX_ANSWER_BYTES=65536
	fake_set '{"embed_big": 300000}'
	embed '{"model":"'"$MODEL"'","input":"big"}'
	[ "$status" -eq 0 ]
	assert_error 502 "" 65536 bytes
	verify 'assert len(reqs) == 1 and err["type"] == "server_error"'
}
