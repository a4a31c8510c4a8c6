# The official openai npm package (tests/clients, pinned with a lockfile)
# against hexind under systemd-socket-activate and the fake upstream.
load helpers

setup() {
	common_setup
	start_fake
	ENVF=$BATS_TEST_TMPDIR/hexind.env
	env_file "$ENVF"
	activate "$ENVF"
}

# sdk CASE: runs one case of tests/clients/openai.mjs.
sdk() {
	sdk_case openai.mjs "$1" HEXIND_URL="http://127.0.0.1:$PORT/v1"
}

@test "the SDK gets a non-stream completion and the request id" {
	sdk nonstream
}

@test "the SDK streams a completion chunk by chunk, without usage unless asked" {
	fake_set '{"chat_usage_always": true, "chat_loose": true}'
	sdk stream
}

@test "the SDK gets the usage chunk when it asks with include_usage" {
	sdk stream_usage
}

@test "the SDK's stream helper assembles a streamed tool call" {
	fake_set '{"chat_tools": true}'
	sdk tools_stream
}

@test "the SDK gets a tool call in a non-stream answer" {
	fake_set '{"chat_tools": true}'
	sdk tools_nonstream
}

@test "the SDK gets n choices from a family whose upstream ignores n" {
	sdk n
	[ "$(curl -sS "$FAKE/_fake/requests" | "$PY" -S -c 'import json,sys; print(sum(r["path"].endswith("/doubao/v3/chat/completions") for r in json.load(sys.stdin)["requests"]))')" -eq 2 ]
}

@test "the SDK gets n multiplexed streams" {
	sdk n_stream
}

@test "the SDK sees reasoning_content as its own field" {
	fake_set '{"chat_reasoning": true}'
	sdk reasoning
}

@test "a wrong key raises the SDK's AuthenticationError" {
	sdk wrong_key
}

@test "an upstream 400 raises BadRequestError with the upstream's message" {
	fake_set '{"chat_openai_error": {"status": 400}}'
	sdk bad_request
}

@test "a request without a model raises BadRequestError naming the param" {
	sdk missing_model
}

@test "an upstream 429 raises RateLimitError with Retry-After" {
	fake_set '{"chat_fail": {"status": 429, "body": "slow down", "retry_after": 7}}'
	sdk rate_limited
}

@test "an upstream that stays down raises InternalServerError 502" {
	fake_set '{"chat_fail": {"status": 503, "body": "<html>down</html>"}}'
	sdk upstream_down
}

@test "a stream that fails midway raises an APIError, not a silent end" {
	fake_set '{"chat_error_event_after": 2}'
	sdk midstream_failure
}

@test "a stream that drops midway raises an APIError, not a silent end" {
	fake_set '{"chat_drop_after": 2}'
	sdk midstream_failure
}

@test "the SDK holds a Claude conversation: system, image, streamed tool call, result, answer" {
	fake_set '{"claude_tools": true}'
	sdk claude_conversation
}

@test "the SDK creates a response, the session header reaching Hexin and coming back" {
	sdk responses
}

@test "the SDK streams a response event by event" {
	fake_set '{"responses_loose": true}'
	sdk responses_stream
}

@test "the SDK's responses.stream() helper assembles the final response" {
	sdk responses_helper
}

@test "an upstream refusal of a response raises BadRequestError" {
	fake_set '{"chat_openai_error": {"status": 400}}'
	sdk responses_error
}

@test "a response stream that fails midway raises an APIError" {
	fake_set '{"responses_error_event_after": 3}'
	sdk responses_stream_error
}

@test "the SDK's default base64 embeddings decode to Hexin's numbers bit for bit" {
	sdk embeddings_base64
}

@test "the SDK gets float embeddings with usage" {
	sdk embeddings_float
}

@test "a batch of embeddings comes back in order, each as if sent alone" {
	sdk embeddings_batch
}

@test "token arrays raise BadRequestError naming input" {
	sdk embeddings_tokens
}

# Responses on the families hexind translates: Claude on Bedrock, and
# DeepSeek, Gemini and Qwen on their chat routes.
TR_MODELS="claude-sonnet-4-5 deepseek-chat gemini qwen-max"

@test "the SDK's responses.create works on Claude, DeepSeek, Gemini and Qwen" {
	local m
	for m in $TR_MODELS; do
		sdk_case openai.mjs tr_create HEXIND_URL="http://127.0.0.1:$PORT/v1" MODEL="$m"
	done
}

@test "the SDK's responses.stream helper works on Claude, DeepSeek, Gemini and Qwen" {
	local m
	for m in $TR_MODELS; do
		sdk_case openai.mjs tr_stream HEXIND_URL="http://127.0.0.1:$PORT/v1" MODEL="$m"
	done
}

@test "a function tool round trip through the SDK works on Claude, DeepSeek, Gemini and Qwen" {
	fake_set '{"chat_tools": true, "claude_tools": true}'
	local m
	for m in $TR_MODELS; do
		sdk_case openai.mjs tr_tools HEXIND_URL="http://127.0.0.1:$PORT/v1" MODEL="$m"
		sdk_case openai.mjs tr_tools_stream HEXIND_URL="http://127.0.0.1:$PORT/v1" MODEL="$m"
	done
}

@test "a translated stream that breaks raises the SDK's APIError" {
	fake_set '{"chat_drop_after": 3, "claude_error_event_after": 3}'
	local m
	for m in claude-sonnet-4-5 deepseek-chat; do
		sdk_case openai.mjs tr_stream_error HEXIND_URL="http://127.0.0.1:$PORT/v1" MODEL="$m"
	done
}
