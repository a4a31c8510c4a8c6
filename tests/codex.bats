# The real Codex CLI (tests/agents, pinned by its lockfile), which speaks
# only the Responses API, run offline against hexind with a scratch home:
# a multi-turn session with a tool call, on Claude and on DeepSeek, both
# translated. What Codex sent reaches the fake upstream in the family's
# own format; what the fake answered comes back to Codex as events it
# acts on (it runs the command and sends its output back).
load helpers

CODEX=$ROOT/tests/agents/node_modules/.bin/codex

setup() {
	common_setup
	start_fake
	local envf=$BATS_TEST_TMPDIR/hexind.env
	env_file "$envf"
	activate "$envf"
	CHOME=$BATS_TEST_TMPDIR/home
	WORK=$BATS_TEST_TMPDIR/work
	mkdir -p "$CHOME/.codex" "$WORK"
	: >"$RAW"; : >"$REQ"	# verify reads the fake alone here
}

# codex_config MODEL: Codex's config, hexind as its Responses provider and
# nothing that would reach past loopback (updates, analytics, plugins).
codex_config() {
	cat >"$CHOME/.codex/config.toml" <<TOML
model = "$1"
model_provider = "hexind"
approval_policy = "never"
sandbox_mode = "danger-full-access"
check_for_update_on_startup = false
web_search = "disabled"

[model_providers.hexind]
name = "hexind"
base_url = "http://127.0.0.1:$PORT/v1"
env_key = "HEXIND_API_KEY"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0
stream_idle_timeout_ms = 20000

[analytics]
enabled = false

[feedback]
enabled = false

[features]
plugins = false
apps = false
remote_plugin = false
tool_suggest = false
TOML
}

# codex ARGS...: codex exec in the scratch home, its JSON events in
# $output, bounded in time.
codex() {
	run bash -c 'cd "$1" && shift && HOME="$1" CODEX_HOME="$1/.codex" \
	    HEXIND_API_KEY="$2" timeout 90 "$3" exec --skip-git-repo-check \
	    --dangerously-bypass-approvals-and-sandbox --strict-config \
	    --json "${@:5}" </dev/null 2>>"$4"' _ "$WORK" "$CHOME" "$KEY" \
	    "$CODEX" "$BATS_TEST_TMPDIR/codex.err" "$@"
	[ "$status" -eq 0 ] || {
		printf 'codex exited %s:\n%s\n' "$status" "$output" >&2
		tail -20 "$BATS_TEST_TMPDIR/codex.err" >&2
		return 1
	}
}

# session KIND: two turns, the first with the tool call; then checks what
# Codex saw and what the upstream (chat or claude) received.
session() {
	codex "run the command"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/turn1.jsonl"
	codex resume --last "and now?"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/turn2.jsonl"
	verify_as "$1" '
import json
def items(path):
    out = []
    for line in open(path):
        line = line.strip()
        if line.startswith("{"):
            e = json.loads(line)
            if e.get("type") == "item.completed":
                out.append(e["item"])
    return out
t1 = items(ARGS[0])
runs = [i for i in t1 if i["type"] == "command_execution"]
assert runs and runs[0]["aggregated_output"] == "hexind-tool-ok\n", t1
assert any(i["type"] == "agent_message" and i["text"] for i in t1), t1
assert '"\"turn.completed\""' in open(ARGS[1]).read()
bodies = [r["json"] for r in reqs]
assert len(bodies) >= 3, len(bodies)
flat = [json.dumps(b) for b in bodies]
assert "exec_command" in flat[0]
# the tool output went back, and the second turn carried the whole first
assert "hexind-tool-ok" in flat[1] and "hexind-tool-ok" in flat[-1]
assert "and now?" in flat[-1] and "run the command" in flat[-1]
' "$BATS_TEST_TMPDIR/turn1.jsonl" "$BATS_TEST_TMPDIR/turn2.jsonl"
}

@test "Codex runs a multi-turn session with a tool call on a Claude model" {
	fake_set '{"claude_tools": true, "claude_tool": {"name": "exec_command", "input": {"cmd": "echo hexind-tool-ok"}}}'
	codex_config claude-sonnet-4-5
	session claude
	verify_as claude '
b = reqs[1]["json"]
assert any(c.get("type") == "tool_result" and "hexind-tool-ok" in json.dumps(c)
           for m in b["messages"] for c in m["content"] if isinstance(c, dict)), b["messages"]
assert any(t["name"] == "exec_command" for t in b["tools"])'
	grep -q 'path=/v1/responses status=200 model=claude-sonnet-4-5 route=bedrock ' "$BATS_TEST_TMPDIR/activate.err"
}

@test "Codex runs a multi-turn session with a tool call on a DeepSeek model" {
	fake_set '{"chat_tools": true, "chat_tool": {"name": "exec_command", "arguments": "{\"cmd\": \"echo hexind-tool-ok\"}"}}'
	codex_config deepseek-chat
	session chat
	verify_as chat '
m = reqs[1]["json"]["messages"]
assert m[0]["role"] == "system" and [x["role"] for x in m[-2:]] == ["assistant", "tool"], m
assert "hexind-tool-ok" in m[-1]["content"]
assert m[-2]["tool_calls"][0]["function"]["name"] == "exec_command"'
	grep -q 'path=/v1/responses status=200 model=deepseek-chat route=doubao/v3 ' "$BATS_TEST_TMPDIR/activate.err"
}
