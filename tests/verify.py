"""verify.py: the Python half of the suites' `verify`: parses the raw
response hexind wrote and what the fake upstream received, then runs the
test's assertions over them.

    verify.py KIND RAW REQUESTS CODE [ARG...]

KIND picks the upstream calls that count (chat, claude, responses,
embeddings); RAW is the response as bytes, REQUESTS the fake's
/_fake/requests, CODE the assertions, ARGS values for them (ARG the
first). $SENT may
name the request hexind got. The names CODE can use are the module's
globals below.
"""

import glob
import json
import os
import re
import sys
import traceback
import urllib.request
from urllib.parse import parse_qs, urlencode, urlsplit

B = "/vtuber/ai_access/claude/model/"     # the Bedrock routes
KINDS = {
    "chat": lambda p: p.endswith("/chat/completions"),
    "claude": lambda p: p.startswith(B),
    "responses": lambda p: urlsplit(p).path.endswith("/responses"),
    "embeddings": lambda p: p.endswith("/embeddings"),
}
UUID4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"

kind, raw_path, reqs_path, code = sys.argv[1:5]
ARGS = sys.argv[5:]
ARG = ARGS[0] if ARGS else None
raw = open(raw_path, "rb").read().decode("utf-8", "replace")
sent = ""
if os.environ.get("SENT"):
    sent = open(os.environ["SENT"], "rb").read().partition(b"\r\n\r\n")[2].decode("utf-8")

# the response
head, _, body = raw.partition("\r\n\r\n")
hl = head.split("\r\n")
status = int(hl[0].split()[1]) if len(hl[0].split()) > 1 else 0
hdr = {}
for l in hl[1:]:
    k, _, v = l.partition(":")
    hdr[k.strip().lower()] = v.strip()
try:
    js = json.loads(body)
except ValueError:
    js = None
err = js.get("error") if isinstance(js, dict) else None

# chat streams: "data: " lines and their chunks
data = [l[6:] for l in body.split("\n") if l.startswith("data: ")]
chunks = []
for d in data:
    try:
        chunks.append(json.loads(d))
    except ValueError:
        pass


def deltas(i=0):
    return [c["delta"] for k in chunks for c in k.get("choices") or []
            if c.get("index") == i and "delta" in c]


def tcs(i=0):
    return [t for d in deltas(i) for t in d.get("tool_calls") or []]


fins = [(c["index"], c["finish_reason"]) for k in chunks
        for c in k.get("choices") or [] if c.get("finish_reason")]

# event streams: "event:" and "data:" pairs
events = [(e, json.loads(d)) for e, d in
          re.findall(r"event: ([^\n]*)\ndata: ([^\n]*)\n\n", body)]
types = [e for e, _ in events]


def text(i=0):
    """The streamed text: a chat choice's, or a response's."""
    if kind == "responses":
        return "".join(d["delta"] for e, d in events
                       if e == "response.output_text.delta")
    return "".join(d.get("content") or "" for d in deltas(i))


UPATH, MODEL = os.environ.get("UPATH"), os.environ.get("MODEL")


def raw_vectors(t):
    return re.findall(r"\"embedding\":(\[[^\]]*\])", t)


vectors = raw_vectors(body)

# what the fake received
allreqs = json.load(open(reqs_path))["requests"]
reqs = [r for r in allreqs if KINDS[kind](r["path"])]
for r in reqs:
    if kind == "embeddings":
        r["form"] = parse_qs(r["body"], keep_blank_values=True, strict_parsing=True)
    else:
        try:
            r["json"] = json.loads(r["body"])
        except ValueError:
            r["json"] = None
req = reqs[-1] if reqs else None
up = req.get("json") if req else None
form = req.get("form") if req else None


def cache_token():
    f = [p for p in glob.glob(os.environ["HEXIND_CACHE_DIR"] + "/token-*")
         if not re.search(r"\.(lock|tmp\..*)$", p)]
    return json.load(open(f[0]))["token"]


def direct(text, **fields):
    """An embeddings call straight to the fake, as hexind would make it."""
    data = urlencode(dict(input=text, model=MODEL, **fields)).encode()
    r = urllib.request.Request(os.environ["FAKE"] + UPATH, data=data, headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "token": cache_token(), "userId": "u-demo-app"})
    return urllib.request.urlopen(r, timeout=20).read().decode()


try:
    exec(compile(code, "verify", "exec"))
except Exception:
    line = traceback.extract_tb(sys.exc_info()[2])[-1].lineno
    lines = code.splitlines()
    where = lines[line - 1].strip() if line <= len(lines) else "?"
    traceback.print_exc()
    sys.stderr.write("failed: %s\n--- response:\n%s\n--- upstream calls:\n%s\n" % (
        where, raw[:4000], json.dumps([(r["path"], r["headers"], r["body"][:1000])
                                       for r in reqs], indent=1)))
    sys.exit(1)
