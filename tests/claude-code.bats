# The real Claude Code (tests/agents, pinned by its lockfile), which
# speaks the Anthropic Messages API, run offline against hexind with a
# scratch home, on models that are not Claude: GPT and DeepSeek, both
# translated to their chat routes. The fake has the model call Claude
# Code's own Bash tool; Claude Code runs it and sends the output back.
load helpers

CLAUDE=$ROOT/tests/agents/node_modules/.bin/claude

setup() {
	common_setup
	start_fake
	local envf=$BATS_TEST_TMPDIR/hexind.env
	env_file "$envf"
	activate "$envf"
	CHOME=$BATS_TEST_TMPDIR/home
	WORK=$BATS_TEST_TMPDIR/work
	mkdir -p "$CHOME" "$WORK"
	: >"$RAW"; : >"$REQ"	# verify reads the fake alone here
}

# claude MODEL PROMPT: one non-interactive turn in the scratch home, with
# nothing that would reach past loopback (telemetry, updates, reports);
# its JSON result in $output, bounded in time. IS_SANDBOX lets it skip
# its permission prompts as root.
claude() {
	run bash -c 'cd "$1" && env -i PATH=/usr/bin:/bin HOME="$2" \
	    IS_SANDBOX=1 ANTHROPIC_BASE_URL="$3" ANTHROPIC_API_KEY="$4" \
	    DISABLE_TELEMETRY=1 DISABLE_AUTOUPDATER=1 \
	    DISABLE_ERROR_REPORTING=1 \
	    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 \
	    timeout 120 "$5" -p "$7" --model "$6" --output-format json \
	    --dangerously-skip-permissions </dev/null 2>>"$8"' _ "$WORK" \
	    "$CHOME" "http://127.0.0.1:$PORT" "$KEY" "$CLAUDE" "$1" "$2" \
	    "$BATS_TEST_TMPDIR/claude.err"
	[ "$status" -eq 0 ] || {
		printf 'claude exited %s:\n%s\n' "$status" "$output" >&2
		tail -20 "$BATS_TEST_TMPDIR/claude.err" >&2
		return 1
	}
}

# round_trip MODEL ROUTE: the model calls Bash, Claude Code runs it and
# sends its output back; checks what Claude Code reported and what the
# chat route received.
round_trip() {
	fake_set '{"chat_tools": true, "chat_tool": {"name": "Bash", "arguments": "{\"command\": \"echo hexind-tool-ok\", \"description\": \"Say it\"}"}}'
	claude "$1" "run the command"
	printf '%s\n' "$output" | tail -n 1 >"$BATS_TEST_TMPDIR/result.json"
	verify_as chat '
r = json.load(open(ARG))
assert r["is_error"] is False and r["subtype"] == "success", r
assert "hexind-tool-ok" in r["result"] and r["num_turns"] == 2, r
assert [q["path"] for q in reqs] == [ARGS[1]] * 2, [q["path"] for q in reqs]
first, second = reqs[0]["json"], reqs[1]["json"]
assert first["messages"][0]["role"] == "system" and "Claude" in first["messages"][0]["content"]
assert any(t["function"]["name"] == "Bash" for t in first["tools"])
assert first["stream"] is True and first["stream_options"] == {"include_usage": True}
call = second["messages"][-2]["tool_calls"][0]
assert call["function"]["name"] == "Bash", call
tool = second["messages"][-1]
assert tool["role"] == "tool" and tool["tool_call_id"] == call["id"], tool
assert "hexind-tool-ok" in tool["content"], tool
assert not [q for q in allreqs if "/claude/model/" in q["path"]]' \
	    "$BATS_TEST_TMPDIR/result.json" "$2"
}

@test "Claude Code runs a tool round trip with --model gpt-4o" {
	round_trip gpt-4o /vtuber/ai_access/chatgpt/v3/chat/completions
	grep -q 'path=/v1/messages status=200 model=gpt-4o route=chatgpt/v3 ' "$BATS_TEST_TMPDIR/activate.err"
}

@test "Claude Code runs a tool round trip on a DeepSeek model" {
	round_trip deepseek-chat /vtuber/ai_access/doubao/v3/chat/completions
	grep -q 'path=/v1/messages status=200 model=deepseek-chat route=doubao/v3 ' "$BATS_TEST_TMPDIR/activate.err"
}
