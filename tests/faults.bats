# The fault matrix: the ways Hexin or a client can fail, each against every
# endpoint it concerns: chat completions plain and streamed, for an
# OpenAI-family model (gpt-4o) and for Claude; messages plain and streamed;
# responses plain and streamed; embeddings. For each fault it checks the
# status, the error's shape in the client's API (OpenAI or Anthropic, in
# the body or in-band in a stream), a message that says what happened,
# that no secret and no invalid UTF-8 reaches the client, and that the
# hexind process ends by itself, promptly. Single-endpoint cases of some of
# these faults are in chat.bats, responses.bats, embeddings.bats,
# messages.bats and http-*.bats; this suite adds the other endpoints and
# the faults those lack: resets, unresolvable hosts, garbage, truncation,
# invalid UTF-8, huge answers and streams, client hang-ups at every phase.
load helpers
load fault-matrix

# ---------------------------------------------------------------------
# Hexin cannot be reached

@test "a refused connection to Hexin answers 502 saying Hexin is unreachable, on every endpoint" {
	export HITHINK_BASE_URL=http://127.0.0.1:$(free_port)/vtuber/ai_access
	ask $ALL
	within 3
	check error 502 unreachable connect
	[ "$(calls)" -eq 0 ]
}

@test "an unresolvable Hexin host under .invalid answers 502 at once, naming the resolution" {
	export HITHINK_BASE_URL=http://hexin.invalid:1/vtuber/ai_access HEXIND_CONNECT_TIMEOUT=3
	ask $ALL
	within 2
	check error 502 unreachable resolve
}

@test "an unresolvable login URL answers 502 naming the login, on every kind of API" {
	export HITHINK_APP_URL=http://hexin.invalid:1/login HEXIND_LOGIN_TIMEOUT=3
	ask chat messages-stream responses embeddings
	within 2
	check error 502 login
	[ "$(calls)" -eq 0 ]
	[ "$(login_attempts)" -eq 0 ]
}

@test "a connection Hexin resets before answering is retried, then answers 502 naming the reset" {
	export HEXIND_RETRIES=1
	fake_set '{"chat_reset": true}'
	ask $ALL
	within 3
	check error 502 reset
	[ "$(calls)" -eq $((2 * NALL)) ]
}

@test "a single reset by Hexin is retried and the client gets its answer" {
	export HEXIND_RETRIES=1
	local k n=0
	for k in chat messages-stream embeddings; do
		fake_set '{"chat_reset": {"count": 1}}'
		ask "$k"
		within 3
		check ok 200
		n=$((n + 2))
		[ "$(calls)" -eq "$n" ]
	done
}

# ---------------------------------------------------------------------
# Hexin answers an error

@test "an HTML 500 answers 502 naming Hexin's status on every endpoint, unretried" {
	export HEXIND_RETRIES=2
	fake_set '{"chat_fail": {"status": 500, "body": "<html><body>Internal Server Error</body></html>"}}'
	ask $ALL
	within 3
	check error 502 "HTTP 500"
	[ "$(calls)" -eq "$NALL" ]
}

@test "an HTML 502 or 503 is retried, then answers 502 naming Hexin's status" {
	export HEXIND_RETRIES=1
	local s
	for s in 502 503; do
		fake_set '{"chat_fail": {"status": '"$s"', "body": "<html><body>Bad Gateway</body></html>"}}'
		ask $ALL
		within 3
		check error 502 "HTTP $s"
	done
	[ "$(calls)" -eq $((4 * NALL)) ]
}

@test "a 429 with Retry-After answers 429 with the same Retry-After, unretried, on every endpoint" {
	export HEXIND_RETRIES=2
	fake_set '{"chat_fail": {"status": 429, "retry_after": 17, "body": "<html>Too Many Requests</html>"}}'
	ask $ALL
	within 3
	check error 429 "HTTP 429" retry-after=17
	[ "$(calls)" -eq "$NALL" ]
}

@test "a Retry-After given as an HTTP date reaches the client unchanged" {
	fake_set '{"chat_fail": {"status": 429, "retry_after": "Wed, 21 Oct 2037 07:28:00 GMT", "body": "slow down"}}'
	ask messages chat-stream
	within 3
	check error 429 "slow down" "retry-after=Wed, 21 Oct 2037 07:28:00 GMT"
}

@test "an error body larger than HEXIND_MAX_ANSWER_BYTES answers 502 naming the limit" {
	export HEXIND_MAX_ANSWER_BYTES=65536
	fake_set '{"chat_fail": {"status": 500, "body": "'"$(head -c 100000 /dev/zero | tr '\0' e)"'"}}'
	ask chat messages-stream
	within 3
	check error 502 "65536 bytes"
}

# ---------------------------------------------------------------------
# Hexin is slow or stops

@test "no first byte within HEXIND_IDLE_TIMEOUT answers 504 at the deadline and hangs up on Hexin, on every endpoint" {
	export HEXIND_IDLE_TIMEOUT=0.3
	fake_set '{"chat_delay": 30}'
	ask $ALL
	within 2
	check error 504 "no data from hexin for 0.300 s"
	wait_for fake_streams 'len(s) == '"$NALL"' and all(x["disconnected"] for x in s)'
}

@test "a client that half-closes once its request is sent is treated as gone: Hexin hung up on, 499 logged" {
	fake_set '{"chat_delay": 30}'
	kind chat
	write_request "$P" "$B" "$H"
	drive chat send upstream:1 shut read
	exited_within 2
	upstream_stopped 1
	[ ! -s "$RAW" ]
	grep -q 'access .* status=499 ' "$ERR"
}

@test "a silent Hexin is retried HEXIND_RETRIES times before the 504" {
	export HEXIND_IDLE_TIMEOUT=0.3 HEXIND_RETRIES=1
	fake_set '{"chat_delay": 30}'
	ask claude-stream
	within 3
	check error 504 "timed out"
	[ "$(calls)" -eq 2 ]
}

@test "HEXIND_UPSTREAM_TIMEOUT bounds a whole call: 504 before the first byte, an in-band error after it" {
	export HEXIND_UPSTREAM_TIMEOUT=0.5
	fake_set '{"chat_delay": 30}'
	ask chat messages embeddings
	within 2
	check error 504 "timed out"
	fake_set '{"chat_delay": 0, "chat_pad": 40, "chat_chunks": 40, "chat_chunk_delay": 0.05}'
	ask $STREAMS
	within 2
	check broken 200 "timed out"
}

@test "a stream stalled past HEXIND_IDLE_TIMEOUT ends with one in-band error in the client API's shape" {
	export HEXIND_IDLE_TIMEOUT=0.3
	fake_set '{"chat_stall_after": 3, "chat_stall_seconds": 30}'
	ask $STREAMS
	within 2
	check broken 200 "no data from hexin"
	wait_for fake_streams 'len(s) == '"$NSTREAMS"' and all(x["disconnected"] for x in s)'
}

@test "a stream Hexin drops mid-way ends with one in-band error, never a normal end" {
	fake_set '{"chat_drop_after": 3}'
	ask $STREAMS
	within 3
	check broken 200 "broke off"
}

@test "a stream Hexin resets mid-way ends with one in-band error, unretried" {
	export HEXIND_RETRIES=2
	fake_set '{"chat_reset_after": 3}'
	ask $STREAMS
	within 3
	check broken 200 "broke off"
	# nothing is retried once the client has bytes
	[ "$(calls)" -eq "$NSTREAMS" ]
}

@test "a stream that Hexin resets before its first event is retried, and answered when the retry works" {
	export HEXIND_RETRIES=1
	fake_set '{"chat_reset_after": 0}'
	ask chat-stream
	within 3
	check error 502 hexin
	[ "$(calls)" -eq 2 ]
	fake_set '{"chat_reset_after": null, "chat_reset": {"count": 1}}'
	ask messages-stream
	within 3
	check ok 200
	[ "$(calls)" -eq 4 ]
}

# ---------------------------------------------------------------------
# Hexin answers garbage

@test "an answer that is not JSON answers 502 quoting it, unretried, on every endpoint" {
	export HEXIND_RETRIES=2
	fake_set '{"chat_fail": {"status": 200, "body": "<html>maintenance window</html>"}}'
	ask $ALL
	within 3
	check error 502 "not a json" "maintenance window"
	[ "$(calls)" -eq "$NALL" ]
}

@test "an empty answer answers 502 saying it was empty, on every endpoint" {
	fake_set '{"chat_fail": {"status": 200, "body": ""}}'
	ask $ALL
	within 3
	check error 502 "empty body"
}

@test "an error page in GBK, not UTF-8, reaches the client as valid UTF-8 with Hexin's status" {
	# "<html>服务器错误</html>" and {"error":{"message":"参数错误"}} in GBK,
	# as a Chinese gateway may write them
	fake_set '{"chat_fail": {"status": 500, "body_hex": "3c68746d6c3eb7fecef1c6f7b4edcef33c2f68746d6c3e"}}'
	ask $PLAIN
	within 3
	check error 502 "HTTP 500"
	fake_set '{"chat_fail": {"status": 400, "content_type": "application/json", "body_hex": "7b226572726f72223a7b226d657373616765223a22b2cecafdb4edcef3227d7d"}}'
	ask $PLAIN
	within 3
	check error 400 "HTTP 400"
}

@test "a stream whose events are not JSON answers 502 before anything else" {
	fake_set '{"chat_fail": {"status": 200, "content_type": "text/event-stream", "length": -1, "body": "data: <html>oops</html>\n\n"}}'
	ask $STREAMS
	within 3
	check error 502 "not json"
}

@test "an answer of truncated JSON answers 502 saying it is not JSON" {
	fake_set '{"chat_fail": {"status": 200, "content_type": "application/json", "body": "{\"id\":\"x\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"content\":\"hel"}}'
	ask $ALL
	within 3
	check error 502 "not a json"
}

@test "an answer cut short of its Content-Length answers 502 saying the transfer was cut" {
	fake_set '{"chat_fail": {"status": 200, "content_type": "application/json", "length": 4096, "body": "{\"id\":\"x\",\"choices\":["}}'
	ask $ALL
	within 3
	check error 502 "answer failed" "bytes remaining"
}

# cut_stream KIND: the fake's switch for a stream of KIND's route with one
# good event, then half of the next one and the end of the connection.
cut_stream() {
	local first half
	case $1 in
	chat-stream | tr-chat-stream | messages-tr-stream)
		first='{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}'
		half='{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"ech' ;;
	claude-stream | messages-stream | tr-claude-stream)
		first='{"type":"message_start","message":{"id":"m1","type":"message","role":"assistant","model":"claude","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}}}'
		half='{"type":"content_block_start","index":0,"content_block":{"type":"te' ;;
	responses-stream)
		first='{"type":"response.created","sequence_number":0,"response":{"id":"r1","object":"response","status":"in_progress","output":[]}}'
		half='{"type":"response.in_progress","sequence_number":1,"resp' ;;
	esac
	"$PY" -S -c '
import json, sys
body = "data: %s\n\ndata: %s" % (sys.argv[1], sys.argv[2])
print(json.dumps({"chat_fail": {"status": 200, "content_type": "text/event-stream",
                                "length": -1, "body": body}}))' "$first" "$half"
}

@test "a stream event cut off by the end of the connection ends the stream with an in-band error" {
	local k
	for k in $STREAMS; do
		fake_set "$(cut_stream "$k")"
		ask "$k"
		within 3
		check broken 200
	done
}

@test "invalid UTF-8 in an answer never reaches the client, and an error says it was UTF-8" {
	fake_set '{"chat_bad_utf8": true}'
	ask $ALL
	within 3
	check utf8 502 utf
}

# ---------------------------------------------------------------------
# Hexin answers too much

@test "an answer far larger than HEXIND_MAX_ANSWER_BYTES answers 502 naming the limit, unretried" {
	export HEXIND_MAX_ANSWER_BYTES=65536 HEXIND_RETRIES=2
	fake_set '{"chat_pad": 1000000, "embed_big": 60000}'
	ask $PLAIN
	within 3
	check error 502 "larger than 65536 bytes"
	[ "$(calls)" -eq "$NPLAIN" ]
}

# rss KIND: runs a request of KIND through hexind, its response in $RAW,
# and prints hexind's peak resident size in KiB.
rss() {
	kind "$1"
	write_request "$P" "$B" "$H"
	"$PY" -S -c '
import resource, subprocess, sys
with open(sys.argv[2], "rb") as i, open(sys.argv[3], "wb") as o, open(sys.argv[4], "ab") as e:
    rc = subprocess.run([sys.argv[1]], stdin=i, stdout=o, stderr=e, timeout=20).returncode
assert rc == 0, rc
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$HEXIND" "$REQ" "$RAW" "$ERR"
}

@test "a stream far larger than HEXIND_MAX_ANSWER_BYTES passes whole, in bounded memory" {
	export HEXIND_MAX_ANSWER_BYTES=65536
	# no ASan quarantine: it would keep every freed event
	export ASAN_OPTIONS=$ASAN_OPTIONS:quarantine_size_mb=0
	local k small big
	for k in chat-stream messages-stream; do
		fake_set '{"chat_pad": 0, "chat_chunks": 3}'
		small=$(rss "$k")
		fake_set '{"chat_pad": 8000000, "chat_chunks": 1000}'
		big=$(rss "$k")
		DRIVEN=$k check ok 200
		[ "$(stat -c %s "$RAW")" -gt 8000000 ]
		echo "$k: peak RSS $small KiB for a small stream, $big KiB for 8 MB" >&2
		[ $((big - small)) -lt 8192 ]
	done
}

@test "one stream event larger than hexind holds ends the stream with an in-band error" {
	fake_set '{"chat_pad": 17000000, "chat_chunks": 1}'
	ask chat-stream
	within 10
	check broken 200 "larger than hexind accepts"
}

# ---------------------------------------------------------------------
# The client is slow

@test "a client trickling its head past HEXIND_HEADER_TIMEOUT gets 408 at the deadline and hexind exits" {
	export HEXIND_HEADER_TIMEOUT=0.5
	local k
	for k in chat embeddings; do
		kind "$k"
		write_request "$P" "$B" "$H"
		drive "$k" send:20 trickle:0.05
		check error 408 "in time"
		# the answer at the deadline, hexind gone at once after the client
		((D_FIRST - D_START > 450000 && D_FIRST - D_START < 1500000))
		exited_within 1
	done
	[ "$(calls)" -eq 0 ]
}

@test "a client trickling its body gets 408 once it stalls past HEXIND_BODY_TIMEOUT, and hexind exits" {
	export HEXIND_BODY_TIMEOUT=0.5
	local k
	for k in chat messages; do
		kind "$k"
		write_request "$P" "$B      " "$H"
		# the head and a few bytes of the body at once, then one byte
		# every 0.1 s, which keeps the body alive; the last byte never
		# comes
		sed -i '$ s/.$//' "$REQ"
		drive "$k" send:-5 trickle:0.1
		check error 408 stalled
		((D_FIRST - D_SENT > 450000 && D_FIRST - D_SENT < 1500000))
		exited_within 1
	done
	[ "$(calls)" -eq 0 ]
}

@test "a head refused on /v1/messages, as too slow or too large, is answered in Anthropic's shape" {
	kind messages
	write_request "$P" "$B" "$H"
	HEXIND_HEADER_TIMEOUT=0.5 drive messages send:20 trickle:0.05
	exited_within 1
	check error 408 "in time"
	write_request "$P" "$B" "$H" "X-Pad: $(printf 'p%.0s' $(seq 2000))"
	HEXIND_MAX_HEADER_BYTES=1024 drive messages flood
	exited_within 3
	check error 431 head
}

# ---------------------------------------------------------------------
# The client hangs up

@test "a client hanging up inside the head ends hexind within a second, with no upstream call" {
	local k how
	for k in chat messages; do
		for how in close reset; do
			kind "$k"
			write_request "$P" "$B" "$H"
			drive "$k" send:30 "$how"
			exited_within 1
		done
	done
	[ "$(calls)" -eq 0 ]
	[ "$(login_attempts)" -eq 0 ]
}

@test "a client hanging up inside the body ends hexind within a second, with no upstream call" {
	local k how
	for k in chat-stream messages embeddings; do
		for how in close reset; do
			kind "$k"
			write_request "$P" "$B" "$H"
			drive "$k" send:-5 "$how"
			exited_within 1
		done
	done
	[ "$(calls)" -eq 0 ]
}

@test "a client hanging up while Hexin is silent stops the call and hexind within a second, on every endpoint" {
	fake_set '{"chat_delay": 30}'
	local k n=0
	for k in $ALL; do
		kind "$k"
		write_request "$P" "$B" "$H"
		drive "$k" send upstream:1 close
		exited_within 1
		n=$((n + 1))
		upstream_stopped "$n"
	done
	err_has 'status=499'
}

@test "a client hanging up while hexind logs in to Hexin ends hexind within a second" {
	# The fake finishes a delayed login whatever the client does, and
	# counts it then: no later test here counts logins.
	fake_set '{"login_delay": 3}'
	local k
	for k in chat messages-stream; do
		# no token cached by the first round
		rm -rf "$HEXIND_CACHE_DIR"
		kind "$k"
		write_request "$P" "$B" "$H"
		drive "$k" send login close
		exited_within 1
	done
	[ "$(calls)" -eq 0 ]
}

logging_in() { [ "$(login_attempts)" -ge 1 ]; }

@test "a client hanging up while another process logs in ends hexind within a second" {
	fake_set '{"login_delay": 3}'
	rm -rf "$HEXIND_CACHE_DIR"
	kind chat
	write_request "$P" "$B" "$H"
	# the first process logs in; the second queues on the cache lock
	"$HEXIND" <"$REQ" >/dev/null 2>>"$ERR" &
	local first=$!
	wait_for logging_in
	drive chat send close
	exited_within 1
	wait "$first"
}

@test "a client hanging up on an embeddings batch stops every call of the batch" {
	fake_set '{"chat_delay": 30}'
	write_request /v1/embeddings '{"model":"text-embedding-3-small","input":["a","b","c","d"]}'
	drive embeddings send upstream:4 reset
	exited_within 1
	upstream_stopped 4
}

@test "a client hanging up during the retry backoff ends hexind at once, without another call" {
	export HEXIND_RETRIES=3
	fake_set '{"chat_fail": {"status": 503}}'
	local k
	for k in chat messages-stream; do
		kind "$k"
		write_request "$P" "$B" "$H"
		# the close comes as the 503 is out: in the backoff before the
		# second call
		drive "$k" send answered:1 close
		exited_within 1
		# no call began after the close
		curl -sS -f "$FAKE/_fake/requests" | "$PY" -S -c '
import json, sys
t = [r["time"] for r in json.load(sys.stdin)["requests"] if "/login" not in r["path"]]
assert t and max(t) * 1e6 < int(sys.argv[1]), (t, sys.argv[1])' "$D_CLOSED"
	done
}

@test "a client hanging up mid-stream stops the call and hexind within a second, on every stream" {
	fake_set '{"chat_chunks": 30, "chat_chunk_delay": 0.2}'
	local k n=0 how=close
	for k in $STREAMS chat-stream; do
		kind "$k"
		write_request "$P" "$B" "$H"
		drive "$k" send event "$how"
		exited_within 1
		n=$((n + 1))
		upstream_stopped "$n"
		grep -q '^data: ' "$RAW"
		# the first client closes, the others reset
		how=reset
	done
}

@test "a client that stops reading mid-stream is given up after HEXIND_BODY_TIMEOUT and the Hexin call stopped" {
	export HEXIND_BODY_TIMEOUT=0.5
	fake_set '{"chat_pad": 4000000, "chat_chunks": 500, "chat_chunk_delay": 0.01}'
	kind messages-stream
	write_request "$P" "$B" "$H"
	# reads the first event, then holds the connection without reading
	DRV_SMALLBUF=1 drive messages-stream send event
	[ "$D_RC" = 0 ]
	[ "$D_CLOSED" -eq 0 ]
	((D_EXITED - D_FIRST < 3000000))
	wait_for fake_streams 'len(s) == 1 and s[0]["disconnected"] and not s[0]["finished"]'
}

@test "a client that never reads holds its process for HEXIND_BODY_TIMEOUT in all, not per partial write" {
	export HEXIND_BODY_TIMEOUT=2
	fake_set '{"chat_pad": 4000000, "chat_chunks": 500, "chat_chunk_delay": 0.01}'
	kind chat-stream
	write_request "$P" "$B" "$H"
	DRV_SMALLBUF=1 drive chat-stream send event
	[ "$D_RC" = 0 ]
	# the stall begins after the first event and is given the whole
	# timeout; the process's whole life is that and a second's slack
	((D_EXITED - D_FIRST >= 2000000))
	((D_EXITED - D_START < 3000000))
	wait_for fake_streams 'len(s) == 1 and s[0]["disconnected"] and not s[0]["finished"]'
}

# ---------------------------------------------------------------------
# The client sends too much

@test "a head over HEXIND_MAX_HEADER_BYTES gets 431 while the client keeps sending, and hexind exits" {
	export HEXIND_MAX_HEADER_BYTES=1024
	local k
	for k in chat responses; do
		kind "$k"
		write_request "$P" "$B" "$H" "X-Pad: $(printf 'p%.0s' $(seq 2000))"
		drive "$k" flood
		exited_within 3
		check error 431 head
	done
	[ "$(calls)" -eq 0 ]
}

@test "a body over HEXIND_MAX_BODY_BYTES gets 413 in its API's shape while the client keeps sending" {
	export HEXIND_MAX_BODY_BYTES=1024
	local k
	for k in chat messages embeddings; do
		kind "$k"
		write_request "$P" "${B%\}},\"pad\":\"$(printf 'p%.0s' $(seq 3000))\"}" "$H"
		drive "$k" flood
		exited_within 3
		check error 413 "too large"
	done
	[ "$(calls)" -eq 0 ]
}

# ---------------------------------------------------------------------
# The client sends more than one request

@test "a second request in the same write is never answered: one response, one upstream call, then close" {
	fake_set '{"chat_delay": 0.1}'
	local k n=0 first
	for k in chat claude-stream messages responses-stream embeddings; do
		kind "$k"
		write_request "$P" "$B" "$H"
		first=$(cat "$REQ")
		# the same request again, then a GET that would answer "healthy"
		printf '%s%sGET /health HTTP/1.1\r\nHost: t\r\n\r\n' "$first" "$first" >"$REQ"
		drive "$k" send read
		exited_within 3
		check ok 200
		[ "$(grep -c '^HTTP/1' "$RAW")" -eq 1 ]
		! grep -q healthy "$RAW" || false
		n=$((n + 1))
		[ "$(calls)" -eq "$n" ]
	done
}
