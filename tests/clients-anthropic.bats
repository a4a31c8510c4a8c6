# The official @anthropic-ai/sdk (tests/clients, pinned with a lockfile)
# against /v1/messages under systemd-socket-activate and the fake.
load helpers

setup() {
	common_setup
	start_fake
	ENVF=$BATS_TEST_TMPDIR/hexind.env
	env_file "$ENVF"
	activate "$ENVF"
}

# sdk CASE: runs one case of tests/clients/anthropic.mjs.
sdk() {
	sdk_case anthropic.mjs "$1" HEXIND_BASE="http://127.0.0.1:$PORT"
}

@test "the Anthropic SDK creates a message, the system prompt folded for Bedrock" {
	sdk create
}

@test "the Anthropic SDK streams a message with its stream helper" {
	sdk stream
}

@test "the Anthropic SDK makes a tool use round trip" {
	fake_set '{"claude_tools": true}'
	sdk tools
}

@test "the Anthropic SDK gets thinking with its signature" {
	fake_set '{"claude_thinking": true}'
	sdk thinking
}

@test "a wrong key raises the Anthropic SDK's AuthenticationError" {
	sdk wrong_key
}

@test "a Bedrock refusal raises the Anthropic SDK's BadRequestError" {
	sdk bad_request
}

@test "an error event mid-stream raises the Anthropic SDK's APIError" {
	fake_set '{"claude_error_event_after": 3}'
	sdk stream_error
}

# Messages on the families that are not Claude, translated to their chat
# routes: GPT, DeepSeek, Gemini and Qwen.
TR_MODELS="gpt-4o deepseek-chat gemini qwen-max"

@test "the Anthropic SDK creates and streams messages on GPT, DeepSeek, Gemini and Qwen" {
	local m
	for m in $TR_MODELS; do
		sdk_case anthropic.mjs tr_create HEXIND_BASE="http://127.0.0.1:$PORT" MODEL="$m"
		sdk_case anthropic.mjs tr_stream HEXIND_BASE="http://127.0.0.1:$PORT" MODEL="$m"
	done
}

@test "the Anthropic SDK makes a tool round trip on GPT, DeepSeek, Gemini and Qwen" {
	fake_set '{"chat_tools": true}'
	local m
	for m in $TR_MODELS; do
		sdk_case anthropic.mjs tr_tools HEXIND_BASE="http://127.0.0.1:$PORT" MODEL="$m"
	done
}

@test "the Anthropic SDK counts tokens on Claude and the other families, with no upstream call" {
	local m
	for m in claude-sonnet-4-5 $TR_MODELS; do
		sdk_case anthropic.mjs count_tokens HEXIND_BASE="http://127.0.0.1:$PORT" MODEL="$m"
	done
}
