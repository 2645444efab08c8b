#!/bin/sh
# A user's program built with a sanitizer against the installed, plain
# (uninstrumented) ksync, as a user would build it: nothing of ksync is
# rebuilt.
#
#  - ThreadSanitizer (cc; or clang, where installed: a test of its own):
#    tsan_user.c guards all its data with ksync's locks and must get no
#    report, plainly and with the debug paths (KSYNC_DEBUG=1,
#    KSYNC_LOCKDEP=1), which are all out of line; its racy twin
#    (-DKSYNC_TEST_RACY) leaves one access unguarded and must get exactly
#    that one report.
#  - AddressSanitizer+UndefinedBehaviorSanitizer: the same program, clean.
#  - sanitizer_report.c, under each: a lockdep report is printed and the
#    program goes on; an interrupt ends an interruptible sleep.
#
#   test_sanitizers.sh BUILD_DIR SRC_DIR [cc|clang]
set -eu
build_dir=$1
src_dir=$2
compiler=${3:-cc}
if [ "$compiler" = clang ] && ! command -v clang >/dev/null 2>&1; then
	echo "skipped: clang not installed (apt-get install -y clang libclang-rt-14-dev)"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; cat "$tmp/out" 2>/dev/null; exit 1; }

prefix="$tmp/prefix"
cmake --install "$build_dir" --prefix "$prefix" >/dev/null
# The flags ksync.pc gives (written out: pkg-config has its own test).
libdir=$(dirname "$(find "$prefix" -name libksync.so | head -n 1)")
cflags="-I$prefix/include -pthread"
libs="-L$libdir -Wl,-rpath,$libdir -lksync"
prog="$src_dir/tsan_user.c"

# Our options, not the caller's: every report counted, the usual exit code.
export TSAN_OPTIONS="halt_on_error=0 exitcode=66"
export ASAN_OPTIONS="detect_leaks=1 halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1 halt_on_error=1"
unset KSYNC_DEBUG KSYNC_LOCKDEP KSYNC_LOCK_STAT 2>/dev/null || true

# Backtraces name file:line where libdw is installed.
have_libdw=$(ldconfig -p 2>/dev/null | grep -F libdw.so.1 || true)
[ -n "$have_libdw" ] ||
	echo "note: libdw1 not installed (apt-get install -y libdw1): backtraces not checked for file:line"

tsan_reports() { grep -c "WARNING: ThreadSanitizer" "$tmp/out" || true; }

# Can cc build and run a TSan program at all here?
tsan_works() {
	echo 'int main(void) { return 0; }' >"$tmp/t.c"
	"$1" -fsanitize=thread -o "$tmp/t" "$tmp/t.c" >/dev/null 2>&1 && "$tmp/t"
}

check_tsan() {
	cc=$1
	# shellcheck disable=SC2086
	"$cc" -fsanitize=thread -g -O1 -o "$tmp/clean" "$prog" $cflags $libs ||
		fail "$cc: building the TSan program"
	# shellcheck disable=SC2086
	"$cc" -fsanitize=thread -g -O1 -DKSYNC_TEST_RACY -o "$tmp/racy" "$prog" \
		$cflags $libs || fail "$cc: building the racy TSan program"
	for env in "" KSYNC_DEBUG=1 KSYNC_LOCKDEP=1; do
		# shellcheck disable=SC2086
		env $env "$tmp/clean" >"$tmp/out" 2>&1 ||
			fail "$cc $env: the correct program exited $?"
		n=$(tsan_reports)
		[ "$n" -eq 0 ] || fail "$cc $env: $n ThreadSanitizer reports on correct code"
		! grep -q "WARNING\|BUG" "$tmp/out" || fail "$cc $env: a report"
		grep -q "sanitizer user program done" "$tmp/out" ||
			fail "$cc $env: did not finish"
	done
	status=0
	"$tmp/racy" >"$tmp/out" 2>&1 || status=$?
	[ "$status" -eq 66 ] || fail "$cc: the racy program exited $status, not 66"
	n=$(tsan_reports)
	[ "$n" -eq 1 ] || fail "$cc: $n ThreadSanitizer reports on the racy program, not 1"
	grep -q "WARNING: ThreadSanitizer: data race" "$tmp/out" ||
		fail "$cc: the report is not a data race"
	grep -q "Location is global 'sl_racy'" "$tmp/out" ||
		fail "$cc: the report is not about sl_racy"
	echo "$cc: ThreadSanitizer: 0 reports on correct code, 1 on the racy twin"
	check_report "$cc" thread 66
	grep -q "WARNING: ThreadSanitizer: lock-order-inversion" "$tmp/out" ||
		fail "$cc: TSan did not see the AB-BA order of ksync's mutexes"
}

# A ksync report (lockdep's) in a sanitized program: printed and
# symbolised, the program goes on (the sanitizer runtimes end a process
# that dlopens with RTLD_DEEPBIND); an interrupt ends a sleep in the library.
check_report() {
	cc=$1 san=$2 want=$3
	# shellcheck disable=SC2086
	"$cc" -fsanitize="$san" -g -O1 -o "$tmp/report" "$src_dir/sanitizer_report.c" \
		$cflags $libs || fail "$cc: building the $san report program"
	status=0
	KSYNC_LOCKDEP=1 "$tmp/report" >"$tmp/out" 2>&1 || status=$?
	[ "$status" -eq "$want" ] || fail "$cc $san: the report program exited $status, not $want"
	grep -q "WARNING: possible circular locking dependency detected" "$tmp/out" ||
		fail "$cc $san: no lockdep report"
	grep -q "(a){+.+.}-{4:4}, at: sanitizer_report.c:" "$tmp/out" ||
		fail "$cc $san: the lockdep report does not name the call site"
	if [ -n "$have_libdw" ]; then
		sed -n '/Call Trace:/,/<\/TASK>/p' "$tmp/out" |
			grep -q '+0x[0-9a-f]*/0x[0-9a-f]* ([^)]*:[0-9]*)' ||
			fail "$cc $san: the backtrace is not symbolised"
	fi
	grep -q "interrupted: -ERESTARTSYS" "$tmp/out" || fail "$cc $san: the interrupt did not end the sleep"
	grep -q "abba done" "$tmp/out" || fail "$cc $san: did not finish"
	echo "$cc: $san: lockdep's report printed, the interrupted sleep returned -ERESTARTSYS"
}

if [ "$compiler" = clang ]; then
	tsan_works clang || {
		echo "skipped: clang cannot build a -fsanitize=thread program here (apt-get install -y libclang-rt-14-dev)"
		exit 77
	}
	check_tsan clang
	echo "sanitizer test (clang) passed"
	exit 0
fi

tsan_works cc || fail "cc cannot build a -fsanitize=thread program"
check_tsan cc

# shellcheck disable=SC2086
cc -fsanitize=address,undefined -fno-sanitize-recover=undefined -g -O1 \
	-o "$tmp/asan" "$prog" $cflags $libs || fail "building the ASan+UBSan program"
for env in "" KSYNC_LOCKDEP=1; do
	# shellcheck disable=SC2086
	env $env "$tmp/asan" >"$tmp/out" 2>&1 || fail "ASan+UBSan $env: exited $?"
	! grep -q "ERROR: AddressSanitizer\|runtime error\|WARNING\|BUG" "$tmp/out" ||
		fail "ASan+UBSan $env: a report"
done
echo "cc: AddressSanitizer+UndefinedBehaviorSanitizer: clean"
check_report cc address,undefined 0
echo "sanitizer test passed"
