# tests/valgrind/report, the verdict of make check-valgrind: a log with
# an error, a leak, or a valgrind that gave up before hexind ran fails
# the run; clean logs pass it.

log() {
	printf '%s\n' "$2" >"$BATS_TEST_TMPDIR/logs/$1.log"
}

setup() {
	mkdir -p "$BATS_TEST_TMPDIR/logs"
	log 1 '==1== HEAP SUMMARY:'
}

@test "the memcheck report passes clean logs" {
	run tests/valgrind/report "$BATS_TEST_TMPDIR/logs"
	[ "$status" -eq 0 ]
	[ "$output" = "valgrind: 1 processes, no error, no leak" ]
}

@test "the memcheck report fails an error, a leak, or a valgrind that gave up" {
	local bad
	for bad in '==2== Invalid read of size 1' \
	    '==2==    definitely lost: 8 bytes in 1 blocks' \
	    "==2== Valgrind: I can't recover.  Giving up.  Sorry."; do
		log 2 "$bad"
		run tests/valgrind/report "$BATS_TEST_TMPDIR/logs"
		[ "$status" -eq 1 ]
		[[ "${lines[-1]}" = "valgrind: errors, leaks or no run in 1 of 2 processes" ]]
	done
}
