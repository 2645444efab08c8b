#!/bin/sh
# Install ksync into a scratch prefix, build a program against it the way a
# user would (cc prog.c $(pkg-config --cflags --libs ksync)) and run it;
# then the same with the static library; then run every installed tool,
# with the loader told nothing about the prefix.
set -eu
build_dir=$1
src_dir=$2
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT

cmake --install "$build_dir" --prefix "$prefix" >/dev/null
pcdir=$(dirname "$(find "$prefix" -name ksync.pc | head -n 1)")
export PKG_CONFIG_PATH="$pcdir"

cc -o "$prefix/hello" "$src_dir/hello.c" $(pkg-config --cflags --libs ksync)
"$prefix/hello"

libdir=$(pkg-config --variable=libdir ksync)
cc -o "$prefix/hello-static" "$src_dir/hello.c" $(pkg-config --cflags ksync) \
	"$libdir/libksync.a" -lpthread -ldl
"$prefix/hello-static"

ls "$libdir"/libksync.so.* >/dev/null

# The installed tools start and work from a prefix that is not on the
# loader's path, with nothing telling the loader where the library is:
# each finds it through its RPATH, relative to the binary.
unset LD_LIBRARY_PATH LD_PRELOAD
fail() { echo "FAIL: $*"; echo "$out"; exit 1; }
out=$("$prefix/bin/ksync-bench" --help 2>&1) || fail "installed ksync-bench --help"
echo "$out" | grep -q "usage: ksync-bench" || fail "installed ksync-bench: no usage"
out=$("$prefix/bin/ksync-bench" --section spinlock --repeats 1 --duration 10 \
	--threads 1 2>&1) || fail "installed ksync-bench, a short run"
out=$("$prefix/bin/ksync-torture" --type spin_lock --duration 1 --stutter 0 2>&1) ||
	fail "installed ksync-torture"
echo "$out" | grep -q "End of test: SUCCESS" || fail "installed ksync-torture: no SUCCESS"

# The installed ksync-lockdep finds its installed preload library (no
# build tree beside it) and validates a plain pthread program.
if [ -x "$prefix/bin/ksync-lockdep" ]; then
	test -f "$libdir/libksync-preload.so"
	cc -o "$prefix/abba" "$src_dir/abba.c" -lpthread
	out=$("$prefix/bin/ksync-lockdep" "$prefix/abba" 2>&1) || fail "installed ksync-lockdep"
	echo "$out" | grep -q "WARNING: possible circular locking dependency detected" ||
		fail "installed ksync-lockdep: no report"
	echo "$out" | grep -q "abba done" || fail "installed ksync-lockdep: abba did not finish"
fi
echo "install test passed"
