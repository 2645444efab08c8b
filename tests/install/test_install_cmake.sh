#!/bin/sh
# find_package(ksync) from an installed prefix, as a user's CMake project
# does it: ksync::ksync (shared) and ksync::ksync_static both build and
# run; the version asked for is checked (0.x: the same minor version).
#
#   test_install_cmake.sh --build BUILD_DIR SRC_DIR VERSION
#       install BUILD_DIR into a scratch prefix first
#   test_install_cmake.sh --prefix PREFIX SRC_DIR VERSION
#       ksync VERSION is installed in PREFIX (/usr: found with no hint)
set -eu
mode=$1
where=$2
src_dir=$3
version=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; cat "$tmp/out" 2>/dev/null; exit 1; }

if [ "$mode" = --build ]; then
	prefix="$tmp/prefix"
	cmake --install "$where" --prefix "$prefix" >/dev/null
	hint="-DCMAKE_PREFIX_PATH=$prefix"
else
	prefix=$where
	hint=""
fi
major_minor=$(echo "$version" | cut -d. -f1,2)
[ -n "$major_minor" ] || fail "cannot tell the version built"

# The version asked: the same minor version (and the exact one) is found.
for want in "$major_minor" "$version"; do
	rm -rf "$tmp/b"
	# shellcheck disable=SC2086
	cmake -S "$src_dir/consumer" -B "$tmp/b" $hint -DKSYNC_WANT="$want" >"$tmp/out" 2>&1 ||
		fail "find_package(ksync $want) against ksync $version"
	grep -q "found ksync $version in $prefix" "$tmp/out" ||
		fail "find_package(ksync $want) found another ksync"
done
cmake --build "$tmp/b" >"$tmp/out" 2>&1 || fail "building the consumer"
"$tmp/b/app_shared" >"$tmp/out" 2>&1 || fail "app_shared"
"$tmp/b/app_static" >"$tmp/out" 2>&1 || fail "app_static"
if command -v readelf >/dev/null 2>&1; then
	readelf -d "$tmp/b/app_shared" | grep -q 'NEEDED.*libksync\.so\.0' ||
		fail "app_shared does not load libksync.so.0"
	! readelf -d "$tmp/b/app_static" | grep -q 'NEEDED.*libksync' ||
		fail "app_static loads libksync.so"
fi
echo "find_package(ksync $major_minor): ksync::ksync and ksync::ksync_static build and run"

# Before 1.0 another minor version is another API: neither an older nor a
# newer one is taken for it (from 1.0 on, any older one of the same major).
minor=$(echo "$version" | cut -d. -f2)
major=$(echo "$version" | cut -d. -f1)
refused="$((major + 1)).0"
if [ "$major" -eq 0 ]; then
	refused="$refused 0.$((minor + 1))"
	[ "$minor" -gt 0 ] && refused="$refused 0.$((minor - 1))"
else
	refused="$refused $major.$((minor + 1))"
fi
for want in $refused; do
	rm -rf "$tmp/b"
	# shellcheck disable=SC2086
	if cmake -S "$src_dir/consumer" -B "$tmp/b" $hint -DKSYNC_WANT="$want" >"$tmp/out" 2>&1; then
		fail "find_package(ksync $want) accepted ksync $version"
	fi
	grep -q "requested version \"$want\"" "$tmp/out" ||
		fail "find_package(ksync $want): not the version message"
done
echo "find_package(ksync) refuses $refused"
echo "cmake package test passed"
