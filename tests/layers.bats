# The layering rule of design.md ("Layout"), read from the include lines
# alone: layers point down, includes name their folder, no cycle. The
# checker is tests/layers; the later tests prove it catches each breach.
load helpers

# tree: a small source tree in $T that obeys the rule, to break.
tree() {
	T=$BATS_TEST_TMPDIR/src
	mkdir -p "$T/http" "$T/api" "$T/upstream" "$T/lib"
	printf '#include "lib/buf.h"\n' >"$T/lib/buf.c"
	: >"$T/lib/buf.h"
	printf '#include "lib/buf.h"\n' >"$T/http/conn.h"
	printf '#include "lib/buf.h"\n#include "upstream/y.h"\n' >"$T/upstream/x.c"
	printf '#include "http/conn.h"\n#include "upstream/y.h"\n' >"$T/api/chat.c"
	printf '#include "lib/buf.h"\n' >"$T/upstream/y.h"
	printf '#include "api/api.h"\n' >"$T/main.c"
	: >"$T/api/api.h"
}

@test "hexind's sources keep the layering rule" {
	run "$PY" "$ROOT/tests/layers" "$ROOT/hexind"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "the checker passes a tree that keeps the rule" {
	tree
	run "$PY" "$ROOT/tests/layers" "$T"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "an include that points up a layer is caught, naming both" {
	tree
	printf '#include "http/conn.h"\n' >>"$T/lib/buf.c"
	run "$PY" "$ROOT/tests/layers" "$T"
	[ "$status" -eq 1 ]
	[[ $output == *'lib/buf.c: lib includes "http/conn.h", a layer above it (http)'* ]]
}

@test "the upstream layer may not include the client side" {
	tree
	printf '#include "http/conn.h"\n' >>"$T/upstream/x.c"
	run "$PY" "$ROOT/tests/layers" "$T"
	[ "$status" -eq 1 ]
	[[ $output == *'upstream/x.c: upstream includes "http/conn.h"'* ]]
}

@test "an include without its folder is caught" {
	tree
	printf '#include "buf.h"\n' >>"$T/api/chat.c"
	run "$PY" "$ROOT/tests/layers" "$T"
	[ "$status" -eq 1 ]
	[[ $output == *'api/chat.c: includes "buf.h", which is not there'* ]]
}

@test "an include cycle is caught" {
	tree
	printf '#include "upstream/z.h"\n' >>"$T/upstream/y.h"
	printf '#include "upstream/y.h"\n' >"$T/upstream/z.h"
	run "$PY" "$ROOT/tests/layers" "$T"
	[ "$status" -eq 1 ]
	[[ $output == *'include cycle: upstream/y.h -> upstream/z.h -> upstream/y.h'* ]]
}
