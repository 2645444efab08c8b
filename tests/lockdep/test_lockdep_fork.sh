#!/bin/sh
# ksync-lockdep on a pthread program that forks while other threads hold
# mutexes (and while one waits for one), then takes locks in new threads
# of the child: no report, validating or replacing.
#
#   test_lockdep_fork.sh TOOLS_DIR PROGRAMS_DIR
set -u
lockdep="$1/ksync-lockdep"
prog="$2/pt_fork"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
failed=0

# check NAME ksync-lockdep-args...: exit 0, the child ran, no report
check() {
	name=$1
	shift
	timeout 120 "$lockdep" "$@" >"$out" 2>&1
	status=$?
	if [ "$status" -ne 0 ] || ! grep -qx "child ok" "$out" ||
	   ! grep -qx "child exit 0" "$out" || ! grep -qx "done" "$out" ||
	   grep -qE '^(WARNING|BUG|DEBUG_LOCKS_WARN_ON)|------------\[ cut here' "$out"; then
		echo "FAIL: $name (exit status $status)"
		sed 's/^/    /' "$out" | head -60
		failed=1
	else
		echo "ok - $name"
	fi
}

check "hold" "$prog" hold
check "hold --replace" --replace "$prog" hold
check "wait" "$prog" wait
# A replaced mutex keeps a wait list; a waiter that did not survive the
# fork stays in it (see docs/ksync-lockdep.md), so "wait" is validated only.
exit $failed
