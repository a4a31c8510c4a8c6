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

@test "Ctrl-C (SIGINT to its process group) stops everything scripts/run started" {
	unset HEXIND_API_KEYS
	local port out=$BATS_TEST_TMPDIR/run.out
	port=$(free_port)
	# as a terminal starts it: SIGINT not ignored (bats' background jobs
	# ignore it), a process group of its own
	HEXIND_RUN_PORT=$port TMPDIR=$BATS_TEST_TMPDIR "$PY" -c '
import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.setsid()
os.execvp(sys.argv[1], sys.argv[1:])' scripts/run >"$out" 2>&1 &
	local pid=$!
	PIDS+=("$pid")
	wait_for port_open "$port"
	local fport
	fport=$(sed -n 's/.*demo backend (tests\/fake-hexin) at 127.0.0.1:\([0-9]*\).*/\1/p' "$out")
	port_open "$fport"
	kill -INT -- "-$pid"
	# the script, the demo backend and the listener: none left
	wait_for none_running -g "$pid" || {
		kill -TERM -- "-$pid"	# not to leave them running
		false
	}
	! nc -z 127.0.0.1 "$port" || false
	! nc -z 127.0.0.1 "$fport" || false
	# and its temporary directory removed
	[ -z "$(find "$BATS_TEST_TMPDIR" -maxdepth 1 -name 'tmp.*')" ]
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

@test "on an account that never made its XDG directories, scripts/run keeps the token and the ledger there" {
	start_fake
	unset HEXIND_CACHE_DIR HEXIND_STATE_DIR XDG_CACHE_HOME XDG_STATE_HOME
	local port home=$BATS_TEST_TMPDIR/home
	mkdir "$home"
	port=$(free_port)
	HOME=$home HEXIND_RUN_PORT=$port scripts/run >/dev/null \
	    2>"$BATS_TEST_TMPDIR/run.err" &
	PIDS+=($!)
	wait_for port_open "$port"
	run curl -sS -i -H "Authorization: Bearer $KEY" \
	    -H 'Content-Type: application/json' \
	    -d '{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}' \
	    "http://127.0.0.1:$port/v1/chat/completions"
	assert_status 200
	! grep -q 'usage ledger' "$BATS_TEST_TMPDIR/run.err" || false
	[ "$(cat "$home"/.local/state/hexind/usage/*.jsonl | wc -l)" -eq 1 ]
	ls "$home"/.cache/hexind/token-*
	[ "$(stat -c %a "$home/.cache")" = 700 ]
	[ "$(stat -c %a "$home/.local/state")" = 700 ]
}

@test "make run installs what the build needs before it builds and serves" {
	run make -n run
	[ "$status" -eq 0 ]
	local deps build serve
	deps=$(printf '%s\n' "$output" | grep -n '^scripts/install-deps --build$' | cut -d: -f1)
	build=$(printf '%s\n' "$output" | grep -n 'hexind/hexind' | head -n 1 | cut -d: -f1)
	serve=$(printf '%s\n' "$output" | grep -n '^scripts/run$' | cut -d: -f1)
	[ -n "$deps" ] && [ -n "$build" ] && [ -n "$serve" ]
	((deps < build && build < serve))
}

@test "make reads its settings without a word before make run has installed pkg-config" {
	# a fresh machine's make run: the makefile is read before
	# install-deps, where pkg-config is not there yet
	run make -n clean PKG_CONFIG="$BATS_TEST_TMPDIR/no-pkg-config"
	[ "$status" -eq 0 ]
	! grep -q 'not found' <<<"$output" || { echo "$output"; false; }
}

# A dpkg-query that knows only the packages in $INSTALLED, an apt-get that
# logs what it was asked and installs it, and an id that says root.
stub_apt() {
	local bin=$BATS_TEST_TMPDIR/bin
	mkdir -p "$bin"
	INSTALLED=$BATS_TEST_TMPDIR/installed APTLOG=$BATS_TEST_TMPDIR/apt.log
	export INSTALLED APTLOG
	: >"$APTLOG"
	cat >"$bin/dpkg-query" <<'EOT'
#!/bin/sh
for p; do :; done
grep -qx "$p" "$INSTALLED" && echo 'install ok installed'
exit 0
EOT
	cat >"$bin/apt-get" <<'EOT'
#!/bin/sh
echo "$*" >>"$APTLOG"
[ "$1" = install ] || exit 0
for p; do case $p in -*|install) ;; *) echo "$p" >>"$INSTALLED" ;; esac; done
EOT
	printf '#!/bin/sh\necho 0\n' >"$bin/id"
	chmod +x "$bin"/*
	STUBPATH=$bin:$PATH
}

@test "install-deps --build names the packages it installs, and a second run installs nothing" {
	stub_apt
	printf '%s\n' build-essential pkg-config libcurl4-openssl-dev libsystemd-dev \
	    libssl-dev dpkg-dev patch autoconf automake libtool systemd >"$INSTALLED"
	PATH=$STUBPATH run scripts/install-deps --build
	[ "$status" -eq 0 ]
	[ "$output" = "install-deps: installing libyajl-dev python3" ]
	grep -qx 'install -y --no-install-recommends libyajl-dev python3' "$APTLOG"
	: >"$APTLOG"
	PATH=$STUBPATH run scripts/install-deps --build
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ ! -s "$APTLOG" ]
	# make check's list is longer: the test tools too
	PATH=$STUBPATH run scripts/install-deps
	[[ $output == "install-deps: installing "*bats* ]]
}
