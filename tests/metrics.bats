# GET /metrics: the Prometheus text format for the admin keys, summed over
# every process from the usage ledger, checked by Debian's promtool and
# scraped by a real Prometheus.
load helpers

HI='[{"role":"user","content":"hi"}]'
ADMIN=adm-key-4c1e

setup() {
	common_setup
	start_fake
	export HEXIND_ADMIN_KEYS=$ADMIN
	export HEXIND_API_KEYS_FILE=$BATS_TEST_TMPDIR/keys
	printf '%s name=alice\n' "$KEY" >"$HEXIND_API_KEYS_FILE"
	unset HEXIND_API_KEYS
}

teardown() {
	! grep -rqF "$ADMIN" "$ERR" "$HEXIND_STATE_DIR" || {
		echo "the admin key reached the log or the state" >&3
		return 1
	}
	common_teardown
}

scrape() {
	send "GET /metrics HTTP/1.0"$'\r\n'"Authorization: Bearer $ADMIN"$'\r\n\r\n'
	assert_status 200
	body >"$BATS_TEST_TMPDIR/metrics"
}

# sample NAME{LABELS}: the value of that sample in the last scrape.
sample() {
	awk -v s="$1" '$1 == s { print $2 }' "$BATS_TEST_TMPDIR/metrics"
}

@test "/metrics needs an admin key: 401 without one, with a client key, or when none is set" {
	send $'GET /metrics HTTP/1.0\r\n\r\n'
	assert_error 401 "" HEXIND_ADMIN_KEYS
	[ "$(header www-authenticate)" = 'Bearer realm="hexind"' ]
	send "GET /metrics HTTP/1.0"$'\r\n'"Authorization: Bearer $KEY"$'\r\n\r\n'
	assert_status 401
	unset HEXIND_ADMIN_KEYS
	send "GET /metrics HTTP/1.0"$'\r\n'"x-api-key: $ADMIN"$'\r\n\r\n'
	assert_error 401 "" "no admin keys"
}

@test "/metrics counts every process's requests once, by endpoint, model, status, key and cause, and promtool passes it" {
	post /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}'
	assert_status 200
	in=$(json "j['usage']['prompt_tokens']")
	out=$(json "j['usage']['completion_tokens']")
	post /v1/chat/completions '{"model":"gpt-4o","stream":true,"messages":'"$HI"'}'
	post /v1/messages '{"model":"claude-sonnet-4-5","max_tokens":20,"messages":'"$HI"'}'
	assert_status 200
	post /v1/chat/completions '{"messages":'"$HI"'}'
	assert_status 400
	scrape
	promtool check metrics <"$BATS_TEST_TMPDIR/metrics"
	[ "$(header content-type)" = "text/plain; version=0.0.4; charset=utf-8" ]
	[ "$(sample 'hexind_requests_total{endpoint="chat",model="gpt-4o",status="200"}')" = 2 ]
	[ "$(sample 'hexind_requests_total{endpoint="messages",model="claude-sonnet-4-5",status="200"}')" = 1 ]
	# a request refused before its model routed has none
	[ "$(sample 'hexind_requests_total{endpoint="chat",model="-",status="400"}')" = 1 ]
	[ "$(sample 'hexind_tokens_total{key="alice",model="gpt-4o",kind="input"}')" = $((in * 2)) ]
	[ "$(sample 'hexind_request_duration_seconds_count{endpoint="chat"}')" = 3 ]
	[ "$(sample 'hexind_request_duration_seconds_bucket{endpoint="chat",le="+Inf"}')" = 3 ]
	[ "$(sample 'hexind_time_to_first_byte_seconds_count{endpoint="messages"}')" = 1 ]
	[ -n "$out" ]
	# a second scrape adds only what came since
	export HEXIND_RETRIES=1
	fake_set '{"chat_fail":{"count":1}}'
	post /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}'
	assert_status 200
	fake_set '{"chat_fail":{"count":1}}'
	export HEXIND_RETRIES=0
	post /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}'
	assert_status 502
	curl -sS -f -X POST "$FAKE/_fake/expire-tokens" >/dev/null
	post /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}'
	assert_status 200
	scrape
	promtool check metrics <"$BATS_TEST_TMPDIR/metrics"
	[ "$(sample 'hexind_requests_total{endpoint="chat",model="gpt-4o",status="200"}')" = 4 ]
	[ "$(sample 'hexind_requests_total{endpoint="chat",model="gpt-4o",status="502"}')" = 1 ]
	[ "$(sample 'hexind_upstream_retries_total{endpoint="chat"}')" = 1 ]
	[ "$(sample 'hexind_upstream_relogins_total')" = 1 ]
	[ "$(sample 'hexind_upstream_errors_total{cause="server_error"}')" = 1 ]
	# the scrapes themselves are not requests of the ledger
	! grep -q 'endpoint="metrics"' "$BATS_TEST_TMPDIR/metrics" || false
}

@test "scrapes before any request answer the same each time" {
	scrape
	cp "$BATS_TEST_TMPDIR/metrics" "$BATS_TEST_TMPDIR/first"
	# the totals now say the ledger has no day yet
	grep -qx 'cursor - 0' "$HEXIND_STATE_DIR/metrics/totals"
	scrape
	cmp "$BATS_TEST_TMPDIR/first" "$BATS_TEST_TMPDIR/metrics"
	promtool check metrics <"$BATS_TEST_TMPDIR/metrics"
}

@test "totals kept with a number out of range are counted afresh from the ledger" {
	post /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}'
	assert_status 200
	scrape
	f=$HEXIND_STATE_DIR/metrics/totals
	grep -q '^h	' "$f"
	# a histogram's buckets and a counter past what a sum could hold
	sed -i -e '/^h	/s/ [0-9]*$/ 99999999999999999999/' \
	    -e '/^c	hexind_requests_total	/s/	[0-9]*$/	9223372036854775807/' "$f"
	post /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}'
	assert_status 200
	scrape
	promtool check metrics <"$BATS_TEST_TMPDIR/metrics"
	[ "$(sample 'hexind_requests_total{endpoint="chat",model="gpt-4o",status="200"}')" = 2 ]
	[ "$(sample 'hexind_request_duration_seconds_bucket{endpoint="chat",le="+Inf"}')" = 2 ]
	grep -q 'a number out of range; counting afresh' "$ERR"
}

@test "a real Prometheus scrapes hexind on loopback with an admin key" {
	local dir=$BATS_TEST_TMPDIR/prom port
	mkdir -p "$dir"
	post /v1/chat/completions '{"model":"gpt-4o","messages":'"$HI"'}'
	assert_status 200
	env_file "$dir/env"
	activate "$dir/env"
	printf '%s' "$ADMIN" >"$dir/token"
	cat >"$dir/prometheus.yml" <<-EOF
	global:
	  scrape_interval: 1s
	scrape_configs:
	  - job_name: hexind
	    authorization:
	      credentials_file: $dir/token
	    static_configs:
	      - targets: ['127.0.0.1:$PORT']
	EOF
	promtool check config "$dir/prometheus.yml"
	port=$(free_port)
	prometheus --config.file="$dir/prometheus.yml" \
	    --storage.tsdb.path="$dir/data" \
	    --web.listen-address="127.0.0.1:$port" \
	    2>>"$BATS_TEST_TMPDIR/prometheus.log" &
	PIDS+=($!)
	q="http://127.0.0.1:$port/api/v1/query?query=hexind_requests_total"
	scraped() {
		curl -sS -f "$q" | "$PY" -S -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
sys.exit(0 if any(x["metric"].get("model") == "gpt-4o" and x["value"][1] == "1"
                  for x in r) else 1)'
	}
	wait_for scraped
	curl -sS -f "http://127.0.0.1:$port/api/v1/targets" | "$PY" -S -c '
import json, sys
t = json.load(sys.stdin)["data"]["activeTargets"]
assert t and t[0]["health"] == "up", t'
}
