# The deployment files: systemd units, the xinetd service, the example
# env file, make install, and docs that name every setting.
load helpers

# Every setting name, from hexind --help.
settings() {
	"$HEXIND" --help | sed -n 's/^  \(H[A-Z_]*\) .*/\1/p'
}

@test "the service unit's systemd exposure is 2.0 or less" {
	run systemd-analyze security --offline=true units/hexind@.service
	[ "$status" -eq 0 ]
	local level
	level=$(printf '%s\n' "$output" | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
	[ -n "$level" ]
	"$PY" -S -c 'import sys; sys.exit(float(sys.argv[1]) > 2.0)' "$level"
}

@test "the socket accepts each connection for its own instance, well above 64" {
	grep -qx 'ListenStream=8777' units/hexind.socket
	grep -qx 'Accept=yes' units/hexind.socket
	local max
	max=$(sed -n 's/^MaxConnections=//p' units/hexind.socket)
	[ "$max" -ge 512 ]
}

@test "the service reads the env file, caches in CacheDirectory, keeps state in StateDirectory, logs to the journal" {
	grep -qx 'EnvironmentFile=-/etc/hexind/hexind.env' units/hexind@.service
	grep -qx 'CacheDirectory=hexind' units/hexind@.service
	grep -qx 'StateDirectory=hexind' units/hexind@.service
	grep -qx 'StateDirectoryMode=0700' units/hexind@.service
	grep -qx 'DynamicUser=yes' units/hexind@.service
	grep -qx 'StandardError=journal' units/hexind@.service
	grep -qx 'StandardInput=socket' units/hexind@.service
}

@test "the xinetd service sets instances, per_source and cps" {
	grep -Eq '^\s*instances\s*=\s*[0-9]+' units/hexind.xinetd
	grep -Eq '^\s*per_source\s*=\s*[0-9]+' units/hexind.xinetd
	grep -Eq '^\s*cps\s*=\s*[0-9]+ [0-9]+' units/hexind.xinetd
	grep -Eq '^\s*server_args\s*=\s*--env-file /etc/hexind/hexind.env' units/hexind.xinetd
}

@test "the service unit caps each instance's memory, and systemd reads it so" {
	local dir=$BATS_TEST_TMPDIR/units
	mkdir -p "$dir"
	grep -qx 'MemoryMax=512M' units/hexind@.service
	# verify wants ExecStart to exist: the unit, pointed at this build
	sed "s|^ExecStart=.*|ExecStart=$HEXIND|" units/hexind@.service >"$dir/hexind@.service"
	cp units/hexind.socket "$dir/"
	run systemd-analyze verify --man=no "$dir/hexind@.service" "$dir/hexind.socket"
	[ "$status" -eq 0 ]
	[ -z "$output" ] || { printf '%s\n' "$output" >&2; return 1; }
	# and a value it could not read is a warning it prints, not a failure
	sed -i 's/^MemoryMax=.*/MemoryMax=lots/' "$dir/hexind@.service"
	run systemd-analyze verify --man=no "$dir/hexind@.service"
	[[ $output == *"Invalid memory limit 'lots'"* ]]
}

@test "a real xinetd started from the shipped service serves /health, /v1/models and a chat" {
	local port dir=$BATS_TEST_TMPDIR/xinetd
	mkdir -p "$dir"
	port=$(free_port)
	start_fake
	env_file "$dir/hexind.env"
	grep -Eq '^\s*rlimit_as\s*=\s*1024M$' units/hexind.xinetd
	# The shipped file, pointed at this build, a free loopback port and
	# the user running the test.
	sed -e "s|^\(\s*port\s*=\).*|\1 $port|" \
	    -e "s|^\(\s*server\s*=\).*|\1 $HEXIND|" \
	    -e "s|^\(\s*server_args\s*=\).*|\1 --env-file $dir/hexind.env|" \
	    -e "s|^\(\s*user\s*=\).*|\1 $(id -un)|" \
	    -e "s|^\(\s*group\s*=\).*|\1 $(id -gn)|" \
	    -e "s|^\(\s*env\s*=\).*|\1 HEXIND_CACHE_DIR=$dir/cache|" \
	    -e "s|^\(\s*log_type\s*=\).*|\1 FILE $dir/xinetd.log|" \
	    -e "s|^\(\s*socket_type.*\)|\1\n\tbind = 127.0.0.1|" \
	    units/hexind.xinetd >"$dir/hexind.conf"
	# AddressSanitizer reserves terabytes of address space it never uses,
	# and its realloc copies, which yajl's arrays, grown a value at a
	# time, make quadratic: a smaller body there
	local values=999000
	case $HEXIND in *-asan | */valgrind/*)
		sed -i '/rlimit_as/d' "$dir/hexind.conf"
		values=20000 ;;
	esac
	{ printf 'defaults\n{\n}\n'; cat "$dir/hexind.conf"; } >"$dir/xinetd.conf"
	xinetd -dontfork -filelog "$dir/main.log" -f "$dir/xinetd.conf" \
	    -pidfile "$dir/pid" 2>>"$BATS_TEST_TMPDIR/xinetd.err" &
	PIDS+=($!)
	wait_for port_open "$port"
	run curl -sS -i "http://127.0.0.1:$port/health"
	assert_status 200
	[ "$(json "j['status']")" = healthy ]
	run curl -sS -i -H "Authorization: Bearer $KEY" \
	    "http://127.0.0.1:$port/v1/models"
	assert_status 200
	[ "$(json "j['object']")" = list ]
	# fd 2 is the client socket there: no log line may reach the client
	[[ $output != *"access peer="* ]]
	# a body near HEXIND_MAX_JSON_VALUES, parsed within rlimit_as
	"$PY" -S -c 'import sys; sys.stdout.write("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"metadata\":[" + ",".join(["0"] * int(sys.argv[1])) + "]}")' "$values" >"$dir/body"
	run curl -sS -i -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -H 'Expect:' \
	    --data-binary @"$dir/body" "http://127.0.0.1:$port/v1/chat/completions"
	assert_status 200
	[ "$(json "j['object']")" = chat.completion ]
}

@test "make install puts the binary, man page, units and examples under DESTDIR" {
	local d=$BATS_TEST_TMPDIR/dest
	run make -s install DESTDIR="$d" PREFIX=/opt/hx
	[ "$status" -eq 0 ]
	[ -x "$d/opt/hx/sbin/hexind" ]
	[ -f "$d/opt/hx/share/man/man8/hexind.8" ]
	[ -f "$d/opt/hx/lib/systemd/system/hexind.socket" ]
	grep -qx 'ExecStart=/opt/hx/sbin/hexind' "$d/opt/hx/lib/systemd/system/hexind@.service"
	grep -Eq 'server\s*=\s*/opt/hx/sbin/hexind' "$d/opt/hx/share/doc/hexind/hexind.xinetd"
	[ -f "$d/opt/hx/share/doc/hexind/hexind.env.example" ]
	[ -f "$d/opt/hx/share/doc/hexind/haproxy.cfg.example" ]
	# what make builds: the static build
	cmp "$d/opt/hx/sbin/hexind" hexind/hexind
	cmp hexind/hexind build/hexind-static
}

# static_type: the ELF type of hexind/hexind (EXEC, or DYN when
# position-independent), once it is checked to need no loader and no
# shared library, libc included.
static_type() {
	! readelf -lW hexind/hexind | grep -q INTERP
	! readelf -dW hexind/hexind | grep -q NEEDED
	readelf -hW hexind/hexind | sed -n 's/^ *Type: *\([A-Z]*\).*/\1/p'
}

@test "plain make builds the static build as hexind/hexind: no shared library, no loader, no relocation" {
	run make -s
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	cmp hexind/hexind build/hexind-static
	[ "$(static_type)" = EXEC ]
	# nothing for a start to relocate
	[ "$(readelf -rW hexind/hexind | grep -c R_X86_64_RELATIVE)" -eq 0 ]
	run hexind/hexind --version
	[ "$status" -eq 0 ]
}

@test "make PIE=1 links the static build position-independent, and plain make links it back" {
	run make -s PIE=1
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(static_type)" = DYN ]
	hexind/hexind --version
	run make -s
	[ "$status" -eq 0 ]
	[ "$(static_type)" = EXEC ]
}

@test "the static build's curl opens no wake-up socket pair: a chat's process opens sockets to Hexin only" {
	run make -s
	[ "$status" -eq 0 ]
	start_fake
	write_request /v1/chat/completions '{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}'
	strace -f -qq -e trace=socket,socketpair -o "$BATS_TEST_TMPDIR/trace" \
	    hexind/hexind <"$REQ" >"$RAW" 2>>"$ERR"
	head -n 1 "$RAW" | grep -q ' 200 ' || { cat "$RAW" "$ERR"; false; }
	# the login's and the chat's
	[ "$(grep -c 'socket(AF_INET' "$BATS_TEST_TMPDIR/trace")" -eq 2 ]
	! grep -Ev 'socket\(AF_INET|exited' "$BATS_TEST_TMPDIR/trace"
}

# cpuid_sites BIN: the functions of BIN that hold a cpuid instruction.
cpuid_sites() {
	objdump -d --no-show-raw-insn "$1" |
	    awk '/^[0-9a-f]+ <.*>:$/ { fn = $2 } /\tcpuid/ { print fn }' |
	    sort -u
}

@test "the static build asks the CPU its features only where any static program's libc does" {
	run make -s
	[ "$status" -eq 0 ]
	printf 'int main(void) { return 0; }\n' >"$BATS_TEST_TMPDIR/empty.c"
	cc -static -o "$BATS_TEST_TMPDIR/empty" "$BATS_TEST_TMPDIR/empty.c"
	cpuid_sites "$BATS_TEST_TMPDIR/empty" >"$BATS_TEST_TMPDIR/libc"
	[ "$(uname -m)" != x86_64 ] || [ -s "$BATS_TEST_TMPDIR/libc" ]
	# wolfSSL's own eighteen are gone (scripts/build-curl.d): each a
	# trap to the hypervisor in a virtual machine
	more=$(cpuid_sites hexind/hexind | comm -13 "$BATS_TEST_TMPDIR/libc" -)
	[ -z "$more" ] || { echo "$more"; false; }
}

@test "the static build's wolfSSL reckons UTC dates as glibc's gmtime_r does" {
	# its own, where gmtime_r() reads /etc/localtime the first time
	# (scripts/build-curl.d; tests/tls.bats checks nothing reads it)
	run make -s build/gmtime-test
	[ "$status" -eq 0 ]
	run build/gmtime-test
	[ "$status" -eq 0 ]
	[[ $output == "gmtime-test: "*" days agree" ]]
}

@test "make install STATIC=0 installs the dynamic build, and leaves hexind/hexind as it is" {
	local d=$BATS_TEST_TMPDIR/dest
	run make -s install STATIC=0 DESTDIR="$d" PREFIX=/opt/hx
	[ "$status" -eq 0 ]
	ldd "$d/opt/hx/sbin/hexind" | grep -q libcurl
	cmp "$d/opt/hx/sbin/hexind" build/hexind-dynamic
	cmp hexind/hexind build/hexind-static
}

@test "where the curl source package cannot be had, make builds the dynamic build and says so in one line" {
	local w=$BATS_TEST_TMPDIR/tree bin=$BATS_TEST_TMPDIR/bin
	mkdir -p "$w" "$bin"
	# the tree as a fresh clone has it, or where it is no clone (a
	# tarball's), without what make made
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files -z | xargs -0 cp --parents -t "$w"
	else
		tar -c --exclude=./build --exclude=./hexind/hexind \
		    --exclude=node_modules -f - . | tar -x -C "$w"
	fi
	# an apt-get that reaches no archive
	printf '#!/bin/sh\necho "E: no archive here" >&2\nexit 100\n' >"$bin/apt-get"
	chmod +x "$bin/apt-get"
	PATH=$bin:$PATH run make -s -C "$w" -j2
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "make: a static libcurl and wolfSSL from Debian's source (scripts/build-curl, build/curl.log)" ]
	[[ ${lines[1]} == "make: no curl or wolfssl source (build/curl.log): hexind/hexind is the dynamic build, slower to start"* ]]
	[ "${#lines[@]}" -eq 2 ]
	grep -q 'cannot read the deb-src indexes' "$w/build/curl.log"
	ldd "$w/hexind/hexind" | grep -q libcurl
	"$w/hexind/hexind" --version
}

@test "the example env file, the man page and the README name every setting" {
	local s missing=
	for s in $(settings); do
		grep -q "^#\?$s=" units/hexind.env.example || missing="$missing example:$s"
		grep -q "Ev $s\b" hexind.8 || missing="$missing man:$s"
		grep -q "\`$s\`" README.md || missing="$missing readme:$s"
	done
	[ -z "$missing" ] || { echo "undocumented:$missing" >&2; return 1; }
	[ "$(settings | wc -l)" -ge 19 ]
}

@test "the example env file parses and uses the Python proxy's names" {
	run "$HEXIND" --env-file units/hexind.env.example --help
	[ "$status" -eq 0 ]
	local n
	for n in HITHINK_APP_ID HITHINK_APP_SECRET HITHINK_APP_URL HITHINK_RESPONSE_URL; do
		grep -q "^#\?$n=" units/hexind.env.example
	done
}
