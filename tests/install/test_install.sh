#!/bin/sh
# Install ksync into a scratch prefix, build a program against it the way a
# user would (cc prog.c $(pkg-config --cflags --libs ksync)) and run it;
# then the same with the static library and with the installed tools.
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

test -x "$prefix/bin/ksync-bench"
test -x "$prefix/bin/ksync-torture"
ls "$libdir"/libksync.so.* >/dev/null

# The installed ksync-lockdep finds its installed preload library (no
# build tree beside it) and validates a plain pthread program.
if [ -x "$prefix/bin/ksync-lockdep" ]; then
	test -f "$libdir/libksync-preload.so"
	cc -o "$prefix/abba" "$src_dir/abba.c" -lpthread
	out=$("$prefix/bin/ksync-lockdep" "$prefix/abba" 2>&1)
	echo "$out" | grep -q "WARNING: possible circular locking dependency detected"
	echo "$out" | grep -q "abba done"
fi
echo "install test passed"
