#!/bin/sh
# ksync-lockdep on programs nobody here wrote, from Debian: python3 with
# its sqlite3 module (libsqlite3's mutexes), and Kyoto Cabinet's test tools
# (many threads on rwlocks and mutexes).  Under validation and under
# --replace each gives the right result and no report.  One program a
# test; skipped (exit 77, with the package to install) where it is not
# installed.
#
#   test_lockdep_programs.sh TOOLS_DIR SOURCE_DIR python3|kyotocabinet|redis|memcached|stress-ng
set -u
lockdep="$1/ksync-lockdep"
src=$2
which=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

fail() {
	echo "FAIL: $*"
	sed 's/^/    /' "$tmp/out" | head -60
	failed=1
}

# run NAME EXPECTED_STATUS -- command...: output in $tmp/out
run() {
	name=$1
	want=$2
	shift 3
	timeout 120 "$@" >"$tmp/out" 2>&1
	got=$?
	[ "$got" -eq "$want" ] || { fail "$name: exit status $got, want $want"; return 1; }
	return 0
}

has() { grep -qF -- "$2" "$tmp/out" || fail "$1: output lacks '$2'"; }
reports() { grep -cE '^(WARNING: (possible|inconsistent|bad unlock|held lock|.* still has)|BUG: )' "$tmp/out"; }

case $which in
python3)
	if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import sqlite3' 2>/dev/null; then
		echo "skipped: python3 with its sqlite3 module not installed (apt-get install -y python3)"
		exit 77
	fi
	py=$(command -v python3)
	for mode in "" "--replace"; do
		run "sqlite $mode" 0 -- $lockdep $mode "$py" "$src/sqlite_threads.py" "$tmp/t.db" 4 1000 &&
			{ has "sqlite $mode" "sqlite ok 4000"
			  [ "$(reports)" -eq 0 ] || fail "sqlite $mode: a report"; }
	done
	;;
kyotocabinet)
	if ! command -v kccachetest >/dev/null 2>&1; then
		echo "skipped: Kyoto Cabinet's test tools not installed (apt-get install -y kyotocabinet-utils)"
		exit 77
	fi
	for mode in "" "--replace"; do
		run "kccachetest $mode" 0 -- $lockdep $mode kccachetest wicked -th 4 -it 1 5000 &&
			{ has "kccachetest $mode" "ok"
			  [ "$(reports)" -eq 0 ] || fail "kccachetest $mode: a report"; }
		rm -f "$tmp/kt.kct"
		run "kctreetest $mode" 0 -- $lockdep $mode kctreetest wicked -th 4 -it 1 "$tmp/kt.kct" 3000 &&
			{ has "kctreetest $mode" "ok"
			  [ "$(reports)" -eq 0 ] || fail "kctreetest $mode: a report"; }
	done
	;;
redis)
	# redis-server links jemalloc, whose start-up takes pthread mutexes inside
	# malloc() and whose fork handlers lock every arena (see pt_alloc); it must
	# start, answer and save in the background (fork) in every mode.
	if ! { command -v redis-server >/dev/null && command -v redis-cli >/dev/null; }; then
		echo "skipped: redis-server and redis-cli not installed (apt-get install -y redis-server redis-tools)"
		exit 77
	fi
	for mode in "" "--replace" "--class instance" "--replace --class instance" \
		    "--no-validate" "--replace --no-validate" "--stat"; do
		sock="$tmp/redis.sock"
		rm -f "$sock" "$tmp/redis.log" "$tmp/dump.rdb"
		timeout 60 $lockdep $mode --log "$tmp/redis.log" redis-server --port 0 \
			--unixsocket "$sock" --save '' --appendonly no --dir "$tmp" \
			>"$tmp/out" 2>&1 &
		pid=$!
		answer=
		for i in $(seq 100); do
			answer=$(timeout 5 redis-cli -s "$sock" ping 2>/dev/null) && [ "$answer" = PONG ] && break
			sleep 0.2
		done
		[ "$answer" = PONG ] || fail "redis $mode: no PONG (got '$answer')"
		timeout 5 redis-cli -s "$sock" set k v >/dev/null 2>&1
		timeout 5 redis-cli -s "$sock" bgsave >/dev/null 2>&1
		for i in $(seq 100); do
			[ -s "$tmp/dump.rdb" ] && break
			sleep 0.2
		done
		[ -s "$tmp/dump.rdb" ] || fail "redis $mode: BGSAVE wrote no dump.rdb"
		timeout 5 redis-cli -s "$sock" shutdown nosave >/dev/null 2>&1
		wait $pid
		got=$?
		[ "$got" -eq 0 ] || fail "redis $mode: exit status $got"
		cat "$tmp/redis.log" >>"$tmp/out"
		[ "$(reports)" -eq 0 ] || fail "redis $mode: a report"
	done
	;;
memcached)
	# memcached with a class per lock has more locks than lockdep has classes
	# (8192 item locks at -t 8): lockdep says so once and stops, --keep-going
	# or not; it must not go on to judge the locks it no longer tracks.
	if ! { command -v memcached >/dev/null && command -v python3 >/dev/null; }; then
		echo "skipped: memcached (with python3 for the client) not installed (apt-get install -y memcached python3)"
		exit 77
	fi
	for mode in "" "--keep-going"; do
		mcdir="$tmp/mc"
		rm -rf "$mcdir" && mkdir "$mcdir"
		# -u: as root memcached wants a user to run as; it stays ours.
		$lockdep --class instance $mode --log "$tmp/mc.log" memcached -u "$(id -un)" \
			-s "$mcdir/mc.sock" -t 8 -U 0 >"$tmp/out" 2>&1 &
		pid=$!
		timeout 60 python3 "$src/memcached_client.py" "$mcdir/mc.sock" 2000 >>"$tmp/out" 2>&1 ||
			fail "memcached $mode: the client failed"
		kill $pid
		wait $pid
		cat "$tmp/mc.log" >>"$tmp/out"
		has "memcached $mode" "VALUE k7 0 3"
		[ "$(grep -c 'BUG: MAX_LOCKDEP_KEYS too low!' "$tmp/out")" -eq 1 ] ||
			fail "memcached $mode: not one MAX_LOCKDEP_KEYS report"
		[ "$(reports)" -eq 1 ] || fail "memcached $mode: other reports"
	done
	;;
stress-ng)
	# stress-ng's pthread stressor: process-shared spinlocks, timed condition
	# waits, thousands of short-lived threads; slower validated (see
	# docs/ksync-lockdep.md, Figures) but right, and without a report.
	if ! { command -v stress-ng >/dev/null; }; then
		echo "skipped: stress-ng not installed (apt-get install -y stress-ng)"
		exit 77
	fi
	for mode in "" "--replace" "--no-validate"; do
		run "stress-ng $mode" 0 -- $lockdep $mode stress-ng --pthread 1 --pthread-max 4 \
			--pthread-ops 400 --temp-path "$tmp" &&
			{ has "stress-ng $mode" "successful run completed"
			  [ "$(reports)" -eq 0 ] || fail "stress-ng $mode: a report"; }
	done
	;;
*)
	echo "usage: test_lockdep_programs.sh TOOLS_DIR SOURCE_DIR python3|kyotocabinet|redis|memcached|stress-ng" >&2
	exit 2
	;;
esac
[ $failed -eq 0 ] && echo "ksync-lockdep on $which: passed"
exit $failed
