#!/bin/sh
# ksync-lockdep on programs nobody here wrote, from Debian: python3 with
# its sqlite3 module (libsqlite3's mutexes), and Kyoto Cabinet's test tools
# (many threads on rwlocks and mutexes).  Under validation and under
# --replace each gives the right result and no report.  One program a
# test; skipped (exit 77, with the package to install) where it is not
# installed.
#
#   test_lockdep_programs.sh TOOLS_DIR SOURCE_DIR python3|kyotocabinet
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
*)
	echo "usage: test_lockdep_programs.sh TOOLS_DIR SOURCE_DIR python3|kyotocabinet" >&2
	exit 2
	;;
esac
[ $failed -eq 0 ] && echo "ksync-lockdep on $which: passed"
exit $failed
