#!/bin/bash
# Serve DATABASE on PORT, log in, and measure the overview page with wrk (1 and 8 connections).
# usage: bench/overview.sh DATABASE PORT   (after: gongkai import BENCH_DIR --database DATABASE)
# usage: bench-overview.sh DATABASE PORT
DB=$1; PORT=$2
GONGKAI_PASSWORD=benchpass123 $(dirname "$0")/../target/release/gongkai user add bench --role admin --database "$DB" >/dev/null 2>&1
$(dirname "$0")/../target/release/gongkai serve --database "$DB" --bind 127.0.0.1:$PORT > /tmp/serve-$PORT.log 2>&1 &
PID=$!
sleep 2
rm -f /tmp/cj-$PORT
curl -s -c /tmp/cj-$PORT -b /tmp/cj-$PORT http://127.0.0.1:$PORT/login > /tmp/login-$PORT.html
CSRF=$(grep -o 'name="csrf" value="[0-9a-f]*"' /tmp/login-$PORT.html | head -1 | sed 's/.*value="//;s/"//')
curl -s -o /dev/null -c /tmp/cj-$PORT -b /tmp/cj-$PORT -d "username=bench&password=benchpass123&csrf=$CSRF&next=/" http://127.0.0.1:$PORT/login
SESSION=$(grep gk_session /tmp/cj-$PORT | awk '{print $7}')
curl -s -o /tmp/ov-$PORT.html -w "overview: %{http_code} %{size_download} bytes %{time_total}s\n" -H "Cookie: gk_session=$SESSION" http://127.0.0.1:$PORT/
python3 -c "
import re
s=open('/tmp/ov-$PORT.html').read()
print(re.findall(r'<div>([^<]*)<b>(\d+)</b>',s))"
wrk -t1 -c1 -d10s --latency -H "Cookie: gk_session=$SESSION" -H "Accept-Encoding: gzip" http://127.0.0.1:$PORT/ | grep -E "50%|99%|Requests/sec"
wrk -t2 -c8 -d15s --latency -H "Cookie: gk_session=$SESSION" -H "Accept-Encoding: gzip" http://127.0.0.1:$PORT/ 
kill $PID
