# make run: serves at once, with the demo backend when no Hexin
# credentials are configured, and stops everything it started.
load helpers

@test "scripts/run serves with the demo backend and key, then cleans up" {
	unset HEXIND_API_KEYS
	local port out=$BATS_TEST_TMPDIR/run.out
	port=$(free_port)
	HEXIND_RUN_PORT=$port scripts/run >"$out" 2>"$BATS_TEST_TMPDIR/run.err" &
	local pid=$!
	PIDS+=("$pid")
	wait_for port_open "$port"
	grep -q 'demo backend (tests/fake-hexin) at 127.0.0.1:[0-9]*' "$out"
	grep -q 'demo key hexind-demo' "$out"
	local fport
	fport=$(sed -n 's/.*demo backend (tests\/fake-hexin) at 127.0.0.1:\([0-9]*\).*/\1/p' "$out")
	port_open "$fport"

	run curl -sS -i -H 'Authorization: Bearer hexind-demo' \
	    "http://127.0.0.1:$port/v1/models"
	assert_status 200
	run curl -sS -i "http://127.0.0.1:$port/health"
	assert_status 200
	[ "$(json "j['credentials']")" = True ]

	kill -TERM "$pid"
	wait_gone "$pid"
	wait_for bash -c "! nc -z 127.0.0.1 $port && ! nc -z 127.0.0.1 $fport"
}

@test "scripts/run uses ./hexind.env credentials and keys when present" {
	local work=$BATS_TEST_TMPDIR/work port out=$BATS_TEST_TMPDIR/run.out
	mkdir -p "$work/scripts" "$work/hexind" "$work/tests"
	cp scripts/run "$work/scripts/"
	ln -s "$HEXIND" "$work/hexind/hexind"
	printf 'HITHINK_APP_ID=real-app\nHITHINK_APP_SECRET=real-secret\nHEXIND_API_KEYS=my-own-key\n' >"$work/hexind.env"
	unset HEXIND_API_KEYS
	port=$(free_port)
	HEXIND_RUN_PORT=$port "$work/scripts/run" >"$out" 2>/dev/null &
	PIDS+=($!)
	wait_for port_open "$port"
	! grep -q 'demo' "$out" || false
	run curl -sS -i -H 'Authorization: Bearer my-own-key' \
	    "http://127.0.0.1:$port/v1/models"
	assert_status 200
}
