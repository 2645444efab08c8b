#!/bin/sh
# pkg-config's door: a program built with `pkg-config --cflags --libs
# ksync` runs without LD_LIBRARY_PATH; `pkg-config --static` lists what
# libksync.a needs, and a fully static program built with it runs; a
# scratch prefix is relocatable (moved, it still works).
#
#   test_install_pkgconfig.sh --build BUILD_DIR SRC_DIR VERSION
#   test_install_pkgconfig.sh --prefix PREFIX SRC_DIR VERSION   (installed there already)
set -eu
mode=$1
where=$2
src_dir=$3
version=$4
if ! command -v pkg-config >/dev/null 2>&1; then
	echo "skipped: pkg-config not installed (apt-get install -y pkg-config)"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; cat "$tmp/out" 2>/dev/null; exit 1; }

if [ "$mode" = --build ]; then
	cmake --install "$where" --prefix "$tmp/prefix" >/dev/null
	pc=$(find "$tmp/prefix" -name ksync.pc)
	export PKG_CONFIG_PATH="$(dirname "$pc")"
fi
unset LD_LIBRARY_PATH

[ "$(pkg-config --modversion ksync)" = "$version" ] ||
	fail "pkg-config --modversion ksync: $(pkg-config --modversion ksync), not $version"
pkg-config --atleast-version "$version" ksync || fail "pkg-config --atleast-version $version"

# shellcheck disable=SC2046
cc -o "$tmp/hello" "$src_dir/hello.c" $(pkg-config --cflags --libs ksync) >"$tmp/out" 2>&1 ||
	fail "cc hello.c \$(pkg-config --cflags --libs ksync)"
"$tmp/hello" >"$tmp/out" 2>&1 || fail "the pkg-config program"
echo "pkg-config --cflags --libs ksync: $(pkg-config --cflags --libs ksync)"

# What the static library needs besides itself.
static_libs=$(pkg-config --static --libs ksync)
for l in -lpthread -ldl; do
	echo " $static_libs " | grep -q -- " $l " || fail "pkg-config --static --libs lacks $l: $static_libs"
done
echo "pkg-config --static --libs ksync: $static_libs"
# A static program: -static makes -lksync take libksync.a, with its needs
# from Libs.private.  (glibc warns that dlopen() in a static program needs
# the shared libraries at run time: that is libdw, for backtraces.)
if echo 'int main(void) { return 0; }' >"$tmp/t.c" && cc -static -o "$tmp/t" "$tmp/t.c" 2>/dev/null; then
	# shellcheck disable=SC2046
	cc -static -o "$tmp/hello-static" "$src_dir/hello.c" \
		$(pkg-config --static --cflags --libs ksync) >"$tmp/out" 2>&1 ||
		fail "cc -static hello.c \$(pkg-config --static --cflags --libs ksync)"
	"$tmp/hello-static" >"$tmp/out" 2>&1 || fail "the static program"
	! readelf -d "$tmp/hello-static" 2>/dev/null | grep -q NEEDED ||
		fail "the static program loads shared libraries"
	echo "cc -static ... \$(pkg-config --static --cflags --libs ksync): runs"
else
	echo "FAIL: cc cannot link a static program here (libc6-dev brings libc.a)"
	exit 1
fi

# A relocatable prefix: moved elsewhere, its ksync.pc still points into it.
if [ "$mode" = --build ]; then
	mv "$tmp/prefix" "$tmp/moved"
	PKG_CONFIG_PATH=$(echo "$PKG_CONFIG_PATH" | sed "s|$tmp/prefix|$tmp/moved|")
	# shellcheck disable=SC2046
	cc -o "$tmp/hello-moved" "$src_dir/hello.c" $(pkg-config --cflags --libs ksync) \
		>"$tmp/out" 2>&1 || fail "building against the moved prefix"
	"$tmp/hello-moved" >"$tmp/out" 2>&1 || fail "the program built against the moved prefix"
	echo "the moved prefix works"
fi
echo "pkg-config test passed"
