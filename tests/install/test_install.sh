#!/bin/sh
# `cmake --install` into a scratch prefix: the files a user expects are
# where they belong, a program built against the prefix by hand runs, and
# every installed tool works with the loader told nothing about the
# prefix.  (pkg-config and find_package() have tests of their own:
# test_install_pkgconfig.sh, test_install_cmake.sh.)
#
#   test_install.sh BUILD_DIR SRC_DIR
set -eu
build_dir=$1
src_dir=$2
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
fail() { echo "FAIL: $*"; echo "${out:-}"; exit 1; }

cmake --install "$build_dir" --prefix "$prefix" >/dev/null
libdir=$(dirname "$(find "$prefix" -name 'libksync.so.0' | head -n 1)")
[ -d "$libdir" ] || fail "no libksync.so.0 installed"

# The layout: the soname link and the versioned library, the development
# link, the static library, headers, pkg-config, the CMake package, the
# manual pages, the docs.
for f in "$libdir/libksync.so" "$libdir/libksync.a" "$libdir/pkgconfig/ksync.pc" \
	"$libdir/cmake/ksync/ksyncConfig.cmake" "$libdir/cmake/ksync/ksyncConfigVersion.cmake" \
	"$libdir/cmake/ksync/ksyncTargets.cmake" "$prefix/include/ksync/ksync.h" \
	"$prefix/share/doc/ksync/README.md"; do
	[ -e "$f" ] || fail "not installed: ${f#"$prefix"/}"
done
ls "$libdir"/libksync.so.0.* >/dev/null 2>&1 || fail "no versioned libksync.so.0.x"
[ "$(readlink "$libdir/libksync.so.0")" != "" ] || fail "libksync.so.0 is not the soname link"
if [ -d "$build_dir/man" ]; then
	for p in man1/ksync-bench.1 man1/ksync-torture.1 man3/ksync_spinlock.3 man3/ksync_mutex.3 \
		man7/ksync.7; do
		[ -f "$prefix/share/man/$p" ] || fail "manual page not installed: share/man/$p"
	done
fi

# A program built against the prefix by hand.
cc -o "$prefix/hello" "$src_dir/hello.c" -I"$prefix/include" -pthread \
	-L"$libdir" -Wl,-rpath,"$libdir" -lksync || fail "cc hello.c -lksync"
out=$("$prefix/hello" 2>&1) || fail "hello"

# The installed tools start and work from a prefix that is not on the
# loader's path, with nothing telling the loader where the library is:
# each finds it through its RPATH, relative to the binary.
unset LD_LIBRARY_PATH LD_PRELOAD
out=$("$prefix/bin/ksync-bench" --help 2>&1) || fail "installed ksync-bench --help"
echo "$out" | grep -q "usage: ksync-bench" || fail "installed ksync-bench: no usage"
out=$("$prefix/bin/ksync-bench" --section spinlock --repeats 1 --duration 10 \
	--threads 1 2>&1) || fail "installed ksync-bench, a short run"
out=$("$prefix/bin/ksync-torture" --type spin_lock --duration 1 --stutter 0 2>&1) ||
	fail "installed ksync-torture"
echo "$out" | grep -q "End of test: SUCCESS" || fail "installed ksync-torture: no SUCCESS"

# The installed ksync-lockdep finds its preload library in ksync's own
# directory (lib/ksync, not among the libraries programs link against)
# and validates a plain pthread program.
if [ -x "$prefix/bin/ksync-lockdep" ]; then
	[ -f "$libdir/ksync/libksync-preload.so" ] || fail "no lib/ksync/libksync-preload.so"
	[ ! -e "$libdir/libksync-preload.so" ] || fail "libksync-preload.so among the public libraries"
	cc -o "$prefix/abba" "$src_dir/abba.c" -lpthread
	out=$("$prefix/bin/ksync-lockdep" "$prefix/abba" 2>&1) || fail "installed ksync-lockdep"
	echo "$out" | grep -q "WARNING: possible circular locking dependency detected" ||
		fail "installed ksync-lockdep: no report"
	echo "$out" | grep -q "abba done" || fail "installed ksync-lockdep: abba did not finish"
fi
echo "install test passed"
