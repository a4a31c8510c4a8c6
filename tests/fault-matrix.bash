# The fault matrix's harness, for faults.bats: the kinds of request, one
# fake upstream for the whole file, and the drivers that send requests
# while the fake misbehaves and check what every client got.

ALL="chat chat-stream claude claude-stream messages messages-stream messages-tr messages-tr-stream responses responses-stream tr-chat tr-chat-stream tr-claude tr-claude-stream embeddings"
STREAMS="chat-stream claude-stream messages-stream messages-tr-stream responses-stream tr-chat-stream tr-claude-stream"
PLAIN="chat claude messages messages-tr responses tr-chat tr-claude embeddings"
# how many of each, for the tests that count Hexin's calls
NALL=$(set -- $ALL && echo $#)
NSTREAMS=$(set -- $STREAMS && echo $#)
NPLAIN=$(set -- $PLAIN && echo $#)

# One fake for the whole file, reset before each test: its start is a good
# part of a short test's time. (start_fake in helpers.bash, but shared.)
setup_file() {
	local dir=$BATS_FILE_TMPDIR/fake
	mkdir -p "$dir"
	# fd 3 closed, or bats would wait for the fake at the end
	"$PY" "$ROOT/tests/fake-hexin" --port 0 --port-file "$dir/port" \
	    --pid-file "$dir/pid" --quiet 2>>"$dir/err" 3>&- &
	export FAKE_PID=$!
	wait_for test -s "$dir/port"
	export FAKE_PORT=$(cat "$dir/port")
	export FAKE=http://127.0.0.1:$FAKE_PORT
}

teardown_file() {
	kill "$FAKE_PID" 2>/dev/null || true
	wait_gone "$FAKE_PID"
}

setup() {
	common_setup
	curl -sS -f -X POST "$FAKE/_fake/reset" >/dev/null
	export HITHINK_APP_ID=demo-app HITHINK_APP_SECRET=demo-secret
	export HITHINK_APP_URL=$FAKE/vtuber/auth/api/oauth/v1/login
	export HITHINK_BASE_URL=$FAKE/vtuber/ai_access
	export HEXIND_CACHE_DIR=$BATS_TEST_TMPDIR/cache
	# retries cost backoff time; the tests about them set their own
	export HEXIND_RETRIES=0
}

# kind KIND: the path, body and an extra header of a small request of that
# kind, in P, B and H.
kind() {
	local hi='"messages":[{"role":"user","content":"hi"}]' s=
	case $1 in *-stream) s=',"stream":true' ;; esac
	H='X-Fault-Test: 1'
	case $1 in
	chat | chat-stream) P=/v1/chat/completions B='{"model":"gpt-4o",'"$hi$s"'}' ;;
	claude | claude-stream) P=/v1/chat/completions B='{"model":"claude",'"$hi$s"'}' ;;
	messages | messages-stream)
		P=/v1/messages B='{"model":"claude","max_tokens":64,'"$hi$s"'}'
		H='anthropic-version: 2023-06-01' ;;
	# the Messages API translated to a chat route
	messages-tr | messages-tr-stream)
		P=/v1/messages B='{"model":"gpt-4o","max_tokens":64,'"$hi$s"'}'
		H='anthropic-version: 2023-06-01' ;;
	responses | responses-stream) P=/v1/responses B='{"model":"o3","input":"hi"'"$s"'}' ;;
	# the Responses API translated, to a chat route and to Bedrock
	tr-chat | tr-chat-stream)
		P=/v1/responses B='{"model":"deepseek-chat","input":"hi"'"$s"'}' ;;
	tr-claude | tr-claude-stream)
		P=/v1/responses B='{"model":"claude","input":"hi"'"$s"'}' ;;
	embeddings) P=/v1/embeddings B='{"model":"text-embedding-3-small","input":"hi"}' ;;
	*) echo "no kind $1" >&2; return 1 ;;
	esac
}

# usec: now, in microseconds. us SECONDS: a decimal number of seconds in
# microseconds.
usec() {
	echo "${EPOCHREALTIME/./}"
}
us() {
	local s=${1%.*} f=${1#*.}
	[ "$f" = "$1" ] && f=
	f=${f}000000
	echo $((10#$s * 1000000 + 10#${f:0:6}))
}

# ask KIND...: a request of each KIND piped into its own hexind, all at
# once; the response of each in $BATS_TEST_TMPDIR/raw.KIND (the last one's
# in $RAW too, and in $output), its exit status and wall time in
# microseconds in done.KIND there.
ask() {
	local k pids=() d=$BATS_TEST_TMPDIR
	ASKED=("$@")
	DRIVEN=
	for k in "$@"; do
		kind "$k"
		write_request "$P" "$B" "$H"
		mv "$REQ" "$d/req.$k"
		(
			t0=$(usec)
			timeout 20 "$HEXIND" <"$d/req.$k" >"$d/raw.$k" 2>>"$ERR"
			echo "$? $(($(usec) - t0))" >"$d/done.$k"
		) &
		pids+=($!)
	done
	wait "${pids[@]}"
	cp "$d/raw.$k" "$RAW"
	output=$(cat "$RAW")
}

# within SECONDS: each hexind of the last ask ended by itself with status
# 0 (not at the 20 s of timeout(1)), in less than SECONDS.
within() {
	local k rc t limit
	limit=$(us "$1")
	for k in "${ASKED[@]}"; do
		read -r rc t <"$BATS_TEST_TMPDIR/done.$k"
		[ "$rc" -eq 0 ] || { echo "$k: hexind exited $rc (124: still ran after 20 s)" >&2; return 1; }
		[ "$t" -lt "$limit" ] || { echo "$k: hexind took $t us, not under $1 s" >&2; return 1; }
	done
}

# check MODE STATUS [WORDS...]: each response of the last ask (or, after a
# drive, the one in $RAW for $DRIVEN) is in the shape of its kind's API,
# all UTF-8, and holds no secret (token, app secret, client key).
#   error   an HTTP error: STATUS, a JSON error object whose message holds
#           each of WORDS (case-insensitive); a word NAME=VALUE is a
#           header the response must carry with that value instead
#   broken  a stream that began (200) and ends with exactly one in-band
#           error event whose message holds WORDS, and no normal end
#   ok      a complete answer (STATUS 200) that carries the fake's echo
#   utf8    an error or a broken stream as above, or a complete answer
#           with U+FFFD in it
CHECK='
import json, re, sys
key, mode, want = sys.argv[1:4]
want, words = int(want), [w.lower() for w in sys.argv[4:] if "=" not in w]
headers = dict(w.lower().split("=", 1) for w in sys.argv[4:] if "=" in w)

def load(k, path):
    global kind, raw, status, hdr, body, text, anthropic, stream
    kind, raw = k, open(path, "rb").read()
    assert raw, "no response at all"
    raw.decode("utf-8")  # strict: hexind must never write invalid UTF-8
    for secret in (b"eyJ", b"demo-secret", key.encode()):
        assert secret not in raw, "a secret in the response: %r" % secret
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    hdr = {a.strip().lower(): v.strip() for a, _, v in (l.partition(":") for l in lines[1:])}
    assert hdr.get("connection") == "close", hdr
    assert hdr.get("x-request-id"), hdr
    anthropic, stream = kind.startswith("messages"), kind.endswith("-stream")
    kind = re.sub(r"^tr-(chat|claude)", r"tr-responses", kind)
    text = body.decode()

def has_words(m):
    assert isinstance(m, str) and m, m
    assert all(w in m.lower() for w in words), "want %s in %r" % (words, m)

def openai_error(e):
    assert isinstance(e, dict) and set(e) == {"message", "type", "param", "code"}, e
    assert isinstance(e["type"], str) and isinstance(e["code"], (str, type(None))), e
    has_words(e["message"])
    return e

def error():
    assert status == want, "status %d, want %d: %s" % (status, want, text[:2000])
    assert hdr.get("content-type") == "application/json", hdr
    assert int(hdr["content-length"]) == len(body), hdr
    for h, v in headers.items():
        assert hdr.get(h, "").lower() == v, (h, hdr)
    j = json.loads(text)
    if anthropic:
        assert set(j) == {"type", "error"} and j["type"] == "error", j
        e = j["error"]
        assert set(e) == {"type", "message"}, e
        types = {400: ["invalid_request_error"],
                 408: ["invalid_request_error"], 413: ["request_too_large"],
                 429: ["rate_limit_error"], 431: ["invalid_request_error"],
                 502: ["api_error"], 504: ["api_error", "timeout_error"]}
        assert e["type"] in types[want], e
        has_words(e["message"])
    else:
        assert set(j) == {"error"}, j
        e = openai_error(j["error"])
        assert e["type"] == ("server_error" if want >= 500 else "rate_limit_error"
                             if want == 429 else "invalid_request_error"), e
    return "error"

def sse_events():
    ev = re.findall(r"event: ([^\n]*)\ndata: ([^\n]*)\n\n", text)
    assert "".join("event: %s\ndata: %s\n\n" % e for e in ev) == text, text[-2000:]
    return [(n, json.loads(d)) for n, d in ev]

def chat_chunks():
    assert re.fullmatch(r"(data: [^\n]+\n\n)+", text), text[-2000:]
    data = [l[6:] for l in text.split("\n") if l.startswith("data: ")]
    return data, [json.loads(d) for d in data if d != "[DONE]"]

def broken():
    assert status == 200 and hdr.get("content-type") == "text/event-stream", (status, hdr, text[:2000])
    assert stream
    if kind in ("chat-stream", "claude-stream"):
        data, chunks = chat_chunks()
        assert "[DONE]" not in data, data[-3:]
        assert chunks[0]["choices"][0]["delta"].get("role") == "assistant", chunks[0]
        errs = [k for k in chunks if "error" in k]
        assert len(errs) == 1 and errs[0] is chunks[-1] and set(errs[0]) == {"error"}, data[-3:]
        openai_error(errs[0]["error"])
        return "broken"
    ev = sse_events()
    names = [n for n, _ in ev]
    assert all(d["type"] == n for n, d in ev), ev
    d = ev[-1][1]
    if kind.startswith("tr-"):
        # translated: response.failed, the error in it and at its top
        assert names.count("response.failed") == 1 and names[-1] == "response.failed", names
        assert names[0] == "response.created" and "response.completed" not in names, names
        assert d["response"]["status"] == "failed", d
        has_words(d["response"]["error"]["message"])
        openai_error(d["error"])
        return "broken"
    assert names.count("error") == 1 and names[-1] == "error", names
    if anthropic:
        assert names[0] == "message_start" and "message_stop" not in names, names
        assert set(d) == {"type", "error"} and set(d["error"]) == {"type", "message"}, d
        has_words(d["error"]["message"])
    else:
        assert names[0] == "response.created", names
        assert not {"response.completed", "response.failed", "response.incomplete"} & set(names)
        assert isinstance(d.get("error"), dict), d
        has_words(d["error"]["message"])
    return "broken"

def answer_text():
    assert status == 200, "status %d: %s" % (status, text[:2000])
    if kind in ("chat-stream", "claude-stream"):
        data, chunks = chat_chunks()
        assert data[-1] == "[DONE]" and data.count("[DONE]") == 1, data[-3:]
        return "".join(c["delta"].get("content") or "" for k in chunks
                       for c in k["choices"])
    if stream:
        ev = sse_events()
        if anthropic:
            assert ev[-1][0] == "message_stop", ev[-1]
            return "".join(d["delta"].get("text", "") for n, d in ev
                           if n == "content_block_delta")
        assert ev[-1][0] == "response.completed", ev[-1]
        return "".join(d["delta"] for n, d in ev if n == "response.output_text.delta")
    j = json.loads(text)
    if kind == "embeddings":
        assert isinstance(j["data"][0]["embedding"], list), j
        return "echo: " + j["model"]
    if anthropic:
        return j["content"][0]["text"]
    if kind in ("responses", "tr-responses"):
        return j["output"][-1]["content"][0]["text"]
    return j["choices"][0]["message"]["content"]

def ok():
    t = answer_text()
    assert t.startswith("echo: "), t[:200]
    return "ok"

def utf8():
    if status != 200:
        return error()
    try:
        t = answer_text()
    except (AssertionError, ValueError, KeyError, IndexError):
        return broken()
    assert "\ufffd" in t, "neither an error nor U+FFFD: %r" % t[:200]
    return "ok with U+FFFD"

for pair in sys.stdin.read().split():
    k, _, path = pair.partition("=")
    try:
        load(k, path)
        print(k, {"error": error, "broken": broken, "ok": ok, "utf8": utf8}[mode]())
    except Exception:
        import traceback
        traceback.print_exc()
        sys.stderr.write("--- %s: response:\n%s\n" % (k, raw[:3000].decode("utf-8", "replace")))
        sys.exit(1)
'
check() {
	local k
	if [ -n "${DRIVEN:-}" ]; then
		echo "$DRIVEN=$RAW"
	else
		for k in "${ASKED[@]}"; do
			echo "$k=$BATS_TEST_TMPDIR/raw.$k"
		done
	fi | "$PY" -S -c "$CHECK" "$KEY" "$@"
}

# calls: how many upstream calls (chat, Claude, responses, embeddings) the
# fake has answered or is answering; logins not counted.
calls() {
	curl -sS -f "$FAKE/_fake/streams" | grep -o '"seq":' | wc -l
}

# A client on a real TCP connection whose other end is hexind's stdin and
# stdout, as inetd hands it over: this shell knows hexind's pid and when it
# ended. drive KIND PLAN...: runs the steps of PLAN over $REQ, writes what
# came back to $RAW, sets DRIVEN (for check) to KIND and sets:
#   D_RC      hexind's exit status, or "hung" if it ran 10 s past the plan
#   D_START, D_SENT, D_FIRST, D_CLOSED, D_EXITED
#             when (epoch microseconds) hexind started, the client sent its
#             last byte, the first byte of the response came, the client
#             closed (0 when it did not) and hexind ended
#   D_EXIT    microseconds from the close (else from the start) to the end
# Steps:
#   send[:N]     sends the next N bytes of the request (all when no N;
#                negative: all but the last -N)
#   trickle:S    sends the rest one byte every S seconds, reading what
#                comes, until hexind closes or is gone; then closes too
#   flood        sends the rest and then 4 MiB more, reading all along,
#                until hexind closes
#   upstream:N   waits until the fake has N more calls than at the start
#   answered:N   waits until the fake has finished answering N more calls
#   login        waits until the fake has one more login attempt
#   event        reads until the first event of a stream is complete
#   read         reads to the end
#   close        closes; reset: closes with a TCP reset (SO_LINGER 0)
#   shut         half-closes: shutdown(SHUT_WR), still reading
# With DRV_SMALLBUF=1 the socket buffers on both sides are a few KiB, so a
# client that stops reading soon blocks hexind's writes.
DRIVER='
import json, os, select, socket, struct, subprocess, sys, threading, time
import urllib.request
req = open(sys.argv[1], "rb").read()
rawf, plan = sys.argv[2], sys.argv[3:]
fake = os.environ["FAKE"]

def ncalls(finished=False):
    with urllib.request.urlopen(fake + "/_fake/streams", timeout=5) as r:
        return len([x for x in json.load(r)["streams"] if x["finished"] or not finished])

def nlogins():
    with urllib.request.urlopen(fake + "/_fake/logins", timeout=5) as r:
        return json.load(r)["attempts"]

base, base_finished, base_logins = ncalls(), ncalls(True), nlogins()
small = os.environ.get("DRV_SMALLBUF") == "1"
ls = socket.create_server(("127.0.0.1", 0))
cl = socket.socket()
if small:
    cl.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
cl.settimeout(20)
cl.connect(ls.getsockname())
sv, _ = ls.accept()
ls.close()
if small:
    sv.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
with open(os.environ["DRV_ERR"], "ab") as err:
    p = subprocess.Popen([os.environ["DRV_BIN"]], stdin=sv, stdout=sv, stderr=err)
sv.close()
t0, closed, got, off, eof = time.time(), None, b"", 0, False
sent = first = None

def pull(timeout):
    global got, eof, first
    if eof:
        return
    r, _, _ = select.select([cl], [], [], timeout)
    if r:
        try:
            d = cl.recv(65536)
        except OSError:
            d = b""
        if d and not got:
            first = time.time()
        got += d
        eof = not d

for step in plan:
    name, _, arg = step.partition(":")
    if name == "send":
        n = len(req) - off if not arg else int(arg) if int(arg) >= 0 else len(req) - off + int(arg)
        cl.sendall(req[off:off + n])
        off += n
        sent = time.time()
    elif name == "trickle":
        while not eof and p.poll() is None:
            if off < len(req):
                try:
                    cl.send(req[off:off + 1])
                except OSError:
                    break
                off += 1
                sent = time.time()
            pull(float(arg))
        cl.close()
        closed = time.time()
    elif name == "flood":
        def pour():
            try:
                cl.sendall(req[off:] + b"x" * (4 << 20))
            except OSError:
                pass
        threading.Thread(target=pour, daemon=True).start()
        while not eof and time.time() - t0 < 15:
            pull(0.2)
    elif name == "upstream":
        end = time.time() + 10
        while ncalls() < base + int(arg) and time.time() < end:
            time.sleep(0.02)
    elif name == "answered":
        end = time.time() + 10
        while ncalls(True) < base_finished + int(arg) and time.time() < end:
            time.sleep(0.02)
    elif name == "login":
        end = time.time() + 10
        while nlogins() <= base_logins and time.time() < end:
            time.sleep(0.02)
    elif name == "event":
        while not eof and b"\n\n" not in got.partition(b"\r\n\r\n")[2]:
            pull(0.5)
    elif name == "read":
        while not eof:
            pull(0.5)
    elif name == "shut":
        cl.shutdown(socket.SHUT_WR)
        closed = time.time()
    elif name in ("close", "reset"):
        if name == "reset":
            cl.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        cl.close()
        closed = time.time()
    else:
        sys.exit("no step " + step)

end = time.time() + 10
while p.poll() is None and time.time() < end:
    time.sleep(0.005)
exited = time.time()
rc = p.poll()
if rc is None:
    p.kill()
    p.wait()
    rc = "hung"
if closed is None:
    cl.close()
open(rawf, "wb").write(got)
us = lambda t: int((t or 0) * 1e6)
print("D_RC=%s D_START=%d D_SENT=%d D_FIRST=%d D_CLOSED=%d D_EXITED=%d D_EXIT=%d" % (
    rc, us(t0), us(sent), us(first), us(closed), us(exited), us(exited) - us(closed or t0)))
'
drive() {
	local out
	DRIVEN=$1
	shift
	out=$(DRV_BIN=$HEXIND DRV_ERR=$ERR FAKE=$FAKE "$PY" -S -c "$DRIVER" "$REQ" "$RAW" "$@") || return 1
	eval "$out"
	echo "drive $DRIVEN $*: $out" >&2
}

# exited_within SECONDS: the driven hexind ended, with status 0, less than
# SECONDS after the client closed (or after it started).
exited_within() {
	[ "$D_RC" = 0 ] || { echo "hexind: exit $D_RC" >&2; return 1; }
	[ "$D_EXIT" -lt "$(us "$1")" ] ||
	    { echo "hexind ended $D_EXIT us after, not under $1 s" >&2; return 1; }
}

# upstream_stopped N: the fake has N calls, and saw hexind hang up on each
# within a second of the client's close.
upstream_stopped() {
	wait_for fake_streams 'len(s) == '"$1"' and all(x["disconnected"] for x in s)' || {
		fake_streams 's' >&2
		return 1
	}
	fake_streams 'all(x["disconnected"] * 1e6 - '"$D_CLOSED"' < 1e6 for x in s)'
}
