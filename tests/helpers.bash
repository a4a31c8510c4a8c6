# Shared by every suite. Tests run from the repository root with a clean
# hexind environment: only what a test sets reaches hexind.

ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
HEXIND=${HEXIND:-hexind/hexind}
case $HEXIND in /*) ;; *) HEXIND=$ROOT/$HEXIND ;; esac
KEY=test-key-0123456789
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

common_setup() {
	cd "$ROOT" || return 1
	local v
	# compgen, a builtin: every test pays for this, and a fork costs
	for v in $(compgen -e); do
		case $v in HEXIND_* | HITHINK_* | LISTEN_*) unset "$v" ;; esac
	done
	# curl and libcurl would send loopback traffic to a proxy
	unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
	export HEXIND_API_KEYS=$KEY
	# the limits' counters and the ledger: never the host's
	export HEXIND_STATE_DIR=$BATS_TEST_TMPDIR/state
	ERR=$BATS_TEST_TMPDIR/stderr
	REQ=$BATS_TEST_TMPDIR/request
	RAW=$BATS_TEST_TMPDIR/response
	: >"$ERR"
	PIDS=()
}

setup() {
	common_setup
}

# Every test also proves the sanitizers stayed quiet and that nothing it
# started is left running.
common_teardown() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait_gone "$p" || true
	done
	local errs=("$BATS_TEST_TMPDIR"/*err*)
	if [ -e "${errs[0]}" ] && grep -E 'AddressSanitizer|LeakSanitizer|runtime error:' \
	    "${errs[@]}" >/dev/null 2>&1; then
		cat "$BATS_TEST_TMPDIR"/*err* >&3
		echo "sanitizer report above" >&3
		return 1
	fi
	secrets_unlogged
}

# Nothing hexind logged or captured holds a configured client key, the
# app secret or a token (the fake's, like Hexin's, are JWTs: "eyJ...").
secrets_unlogged() {
	local f files=() k
	local pats=(-e eyJ)
	[ -n "${HITHINK_APP_SECRET:-}" ] && pats+=(-e "$HITHINK_APP_SECRET")
	for k in ${HEXIND_API_KEYS//,/ }; do
		pats+=(-e "$k")
	done
	# globs, not find: no fork unless there is something to read
	shopt -s globstar nullglob
	for f in "$BATS_TEST_TMPDIR"/stderr "$BATS_TEST_TMPDIR"/activate.err \
	    "$BATS_TEST_TMPDIR"/**/*.jsonl; do
		[ -s "$f" ] && files+=("$f")
	done
	shopt -u globstar nullglob
	[ ${#files[@]} -eq 0 ] && return 0
	! grep -qF "${pats[@]}" "${files[@]}" || {
		echo "a secret reached one of ${files[*]}:" >&3
		grep -F "${pats[@]}" "${files[@]}" | head -5 >&3
		return 1
	}
}

teardown() {
	common_teardown
}

# send RAW [ARGS...]: pipes the raw request into hexind; $output is the
# response and $status hexind's exit code; stderr goes to $ERR.
send() {
	run _send "$@"
}
_send() {
	printf '%s' "$1" | "$HEXIND" "${@:2}" 2>>"$ERR"
}

# write_request PATH BODY [HEADER...]: an authenticated JSON POST of BODY
# to PATH, each HEADER line added, into $REQ.
write_request() {
	local path=$1 body=$2 h extra=
	shift 2
	for h in "$@"; do
		extra+="$h"$'\r\n'
	done
	printf 'POST %s HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n%sContent-Length: %d\r\n\r\n%s' \
	    "$path" "$KEY" "$extra" "$(printf %s "$body" | wc -c)" "$body" >"$REQ"
}

# post PATH BODY [HEADER...]: that request piped into hexind, like send:
# the response in $output and byte for byte in $RAW, hexind's exit code
# in $status (124: it needed more than 20 s), its stderr in $ERR.
post() {
	write_request "$@"
	run _post
}
_post() {
	timeout 20 "$HEXIND" <"$REQ" 2>>"$ERR" | tee "$RAW"
	return "${PIPESTATUS[0]}"
}

# verify_as KIND CODE [ARG...]: runs the Python assertions CODE over the
# last response ($RAW) and what the fake received; tests/verify.py says
# what KIND picks and which names CODE can use.
verify_as() {
	curl -sS -f "$FAKE/_fake/requests" >"$BATS_TEST_TMPDIR/requests.json"
	FAKE=$FAKE SENT=$REQ "$PY" -S "$ROOT/tests/verify.py" "$1" "$RAW" \
	    "$BATS_TEST_TMPDIR/requests.json" "${@:2}"
}

# sendf FORMAT [ARGS...]: like send, but FORMAT goes through printf(1)'s
# escapes, for bytes bash strings cannot hold (NUL).
sendf() {
	run _sendf "$@"
}
_sendf() {
	printf "$1" | "$HEXIND" "${@:2}" 2>>"$ERR"
}

# send_file FILE [ARGS...]: like send, with the request read from FILE.
send_file() {
	run _send_file "$@"
}
_send_file() {
	"$HEXIND" "${@:2}" <"$1" 2>>"$ERR"
}

# hexrun ARGS...: runs hexind with ARGS and nothing on stdin; $output is
# its stdout, $status its exit code; stderr goes to $ERR.
hexrun() {
	run _hexrun "$@"
}
_hexrun() {
	"$HEXIND" "$@" </dev/null 2>>"$ERR"
}

# err_has / err_lacks STRING: hexind's stderr holds STRING (fixed), or not.
err_has() {
	grep -qF -- "$1" "$ERR" || {
		echo "stderr lacks '$1':" >&2
		cat "$ERR" >&2
		return 1
	}
}
err_lacks() {
	! grep -qF -- "$1" "$ERR" || {
		echo "stderr holds '$1':" >&2
		cat "$ERR" >&2
		return 1
	}
}

# The status code, a header's value and the body of $output.
status_code() { printf '%s\n' "$output" | head -n 1 | cut -d' ' -f2; }
header() {
	printf '%s\n' "$output" | tr -d '\r' | sed -n '1,/^$/p' |
	    grep -i "^$1:" | head -n 1 | cut -d: -f2- | sed 's/^ *//'
}
body() { printf '%s\n' "$output" | tr -d '\r' | sed '1,/^$/d'; }

# The interpreter itself, not the pyenv shim in front of it: each start
# through the shim costs a tenth of a second.
PY=${PY:-$(python3 -c 'import sys; print(sys.executable)')}
export PY

# json EXPR: evaluates a Python expression over the JSON body (as j).
json() {
	body | "$PY" -S -c 'import json,sys; j=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}

assert_status() {
	local got
	got=$(status_code)
	if [ "$got" != "$1" ]; then
		printf 'expected status %s, got %s:\n%s\n' "$1" "$got" "$output" >&2
		return 1
	fi
}

# assert_error STATUS CODE [WORDS...]: an OpenAI error object (message,
# type, param, code) with STATUS and CODE (any when empty) whose message
# holds each of WORDS (case-insensitive); one python start for it all.
assert_error() {
	assert_status "$1"
	[ "$(header content-type)" = application/json ]
	body | "$PY" -S -c '
import json, sys
e = json.load(sys.stdin)["error"]
code, words = sys.argv[1], [w.lower() for w in sys.argv[2:]]
ok = (isinstance(e.get("message"), str) and isinstance(e.get("type"), str)
    and "param" in e and "code" in e and (not code or e["code"] == code)
    and all(w in e["message"].lower() for w in words))
sys.exit(0 if ok else "want code %s and %s in the message: %r" %
    (code, words, e))' "$2" "${@:3}"
}

# assert_openai_error STATUS [WORDS]: any code.
assert_openai_error() {
	assert_error "$1" "" ${2:+"$2"}
}

assert_anthropic_error() {
	assert_status "$1"
	[ "$(json "j['type']")" = error ]
	[ "$(json "j['error']['type']")" = "$2" ]
}

# client_writes: hexind on $REQ under strace, the answer in $RAW; WRITES
# is how many write(2)s it made to the client (LeakSanitizer cannot run
# under ptrace).
client_writes() {
	ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=write \
	    -o "$BATS_TEST_TMPDIR/writes" "$HEXIND" <"$REQ" >"$RAW" 2>>"$ERR"
	head -n 1 "$RAW" | grep -q ' 200 ' || { cat "$RAW" "$ERR"; false; }
	WRITES=$(grep -c 'write(1,' "$BATS_TEST_TMPDIR/writes")
}

free_port() {
	"$PY" -S -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_for CMD...: retries CMD for up to 10 s, polling every 20 ms.
wait_for() {
	local i
	for i in $(seq 500); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.02
	done
	return 1
}

# none_running PGREP-ARGS...: no process matches (pgrep -f PATTERN, -g
# GROUP). A pgrep that could not look (or is not installed) fails it,
# where "! pgrep" would have passed.
none_running() {
	local rc=0
	pgrep "$@" >/dev/null || rc=$?
	[ "$rc" -eq 1 ]
}

wait_gone() {
	wait_for bash -c '! kill -0 "$1" 2>/dev/null' _ "$1"
}

port_open() { nc -z 127.0.0.1 "$1"; }

# activate [--inetd] ENVFILE: serves hexind on a free loopback port through
# systemd-socket-activate; sets PORT.
activate() {
	local inetd=
	if [ "$1" = --inetd ]; then inetd=--inetd; shift; fi
	PORT=$(free_port)
	systemd-socket-activate -l "127.0.0.1:$PORT" -a $inetd \
	    "$HEXIND" --env-file "$1" 2>>"$BATS_TEST_TMPDIR/activate.err" &
	PIDS+=($!)
	wait_for port_open "$PORT"
}

# env_file PATH: writes the hexind variables of this shell into PATH.
env_file() {
	env | grep -E '^(HEXIND|HITHINK)_' >"$1"
	chmod 600 "$1"
}

# start_fake [ARGS...]: points hexind at a fake Hexin (HITHINK_* and a
# fresh HEXIND_CACHE_DIR); sets FAKE_PORT and FAKE (its base URL). With
# ARGS, a fake of the test's own is started; without, the test file's
# shared fake, started by its first test, is reset to its defaults: a
# fake's start is a good part of a short test's time.
start_fake() {
	local dir=$BATS_TEST_TMPDIR/fake err=$BATS_TEST_TMPDIR/fake.err
	if [ $# -eq 0 ]; then
		dir=$BATS_FILE_TMPDIR/fake
		err=$dir/err
		if [ -s "$dir/port" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
			_fake_env "$dir"
			curl -sS -f -X POST "$FAKE/_fake/reset" >/dev/null
			return
		fi
	fi
	mkdir -p "$dir"
	rm -f "$dir/port" "$dir/pid"	# a fake started before in this test
	# fd 3 closed, or bats would wait for a shared fake at the end
	"$PY" -S "$ROOT/tests/fake-hexin" --port 0 --port-file "$dir/port" \
	    --pid-file "$dir/pid" --quiet "$@" 2>>"$err" 3>&- &
	if [ $# -gt 0 ]; then PIDS+=($!); fi
	wait_for test -s "$dir/port"
	_fake_env "$dir"
}
_fake_env() {
	FAKE_PORT=$(cat "$1/port")
	FAKE=http://127.0.0.1:$FAKE_PORT
	export HITHINK_APP_ID=demo-app HITHINK_APP_SECRET=demo-secret
	export HITHINK_APP_URL=$FAKE/vtuber/auth/api/oauth/v1/login
	export HITHINK_BASE_URL=$FAKE/vtuber/ai_access
	export HEXIND_CACHE_DIR=$BATS_TEST_TMPDIR/cache
}

# The shared fake ends with its test file.
teardown_file() {
	local pid
	pid=$(cat "$BATS_FILE_TMPDIR/fake/pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || true
	wait_gone "$pid"
}

# fake_streams EXPR: evaluates EXPR over the fake's stream records (s),
# printing its value; fails when it is false.
fake_streams() {
	curl -sS -f "$FAKE/_fake/streams" | "$PY" -S -c '
import json, sys
s = json.load(sys.stdin)["streams"]
r = eval(sys.argv[1])
print(r)
sys.exit(0 if r else 1)' "$1"
}

# fake_set JSON: merges switches into the fake's config.
fake_set() {
	curl -sS -f -X POST -d "$1" "$FAKE/_fake/config" >/dev/null
}

# The number of tokens the fake issued, and of login attempts.
logins() {
	curl -sS -f "$FAKE/_fake/logins" | "$PY" -S -c 'import json,sys; print(json.load(sys.stdin)["logins"])'
}
login_attempts() {
	curl -sS -f "$FAKE/_fake/logins" | "$PY" -S -c 'import json,sys; print(json.load(sys.stdin)["attempts"])'
}

# sdk_case SCRIPT CASE [VAR=VALUE...]: runs one case of an SDK script in
# tests/clients with the fake's URL and the test key; passes when the
# script's last line is "ok CASE" (SDKs may warn on stderr before it).
sdk_case() {
	run env HEXIND_KEY="$KEY" FAKE_URL="$FAKE" "${@:3}" \
	    node "$ROOT/tests/clients/$1" "$2"
	[ "$status" -eq 0 ] || {
		printf '%s\n' "$output" >&2
		return 1
	}
	[ "${lines[-1]}" = "ok $2" ]
}

# hangup: a client on a real socket that sends $REQ to $PORT, reads until
# the first event is complete, closes, and writes what it got to $RAW.
HANGUP='
import socket, sys
port, reqfile, rawfile = sys.argv[1:4]
s = socket.create_connection(("127.0.0.1", int(port)), timeout=20)
s.sendall(open(reqfile, "rb").read())
buf = b""
while b"\n\n" not in buf.partition(b"\r\n\r\n")[2]:
    d = s.recv(65536)
    if not d:
        break
    buf += d
s.close()
open(rawfile, "wb").write(buf)
'
hangup() {
	"$PY" -S -c "$HANGUP" "$PORT" "$REQ" "$RAW"
}
