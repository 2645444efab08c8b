#!/bin/sh
# The Debian packages: built from this tree with `dpkg-buildpackage -us -uc
# -b`, checked by lintian (no error), installed with `apt-get install
# ./*.deb`, then used from /usr as a user would: a pkg-config program
# (shared and static), a find_package() project, ksync-lockdep on a plain
# pthread program, the tools, the manual pages.  Then removed again.
#
# It installs and removes packages system-wide, so it runs only when asked,
# as root: KSYNC_TEST_DEB=1 (.ci/run does, after the other tests);
# otherwise it is skipped (exit 77).
#
#   test_deb.sh SOURCE_DIR VERSION
set -eu
src=$1
version=$2
if [ "${KSYNC_TEST_DEB:-0}" != 1 ]; then
	echo "skipped: builds and installs the Debian packages; run with KSYNC_TEST_DEB=1 as root (.ci/run does)"
	exit 77
fi
[ "$(id -u)" -eq 0 ] || { echo "FAIL: KSYNC_TEST_DEB=1 needs root (apt-get install)"; exit 1; }
for tool in dpkg-buildpackage dh lintian apt-get pkg-config; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "FAIL: $tool not installed (apt-get install -y dpkg-dev debhelper lintian pkg-config)"
		exit 1
	}
done
tmp=$(mktemp -d)
pkgs="ksync-tools libksync-dev libksync0"
installed_before=$(dpkg-query -W -f '${Package} ${Status}\n' $pkgs 2>/dev/null |
	grep -c ' installed$' || true)
cleanup() {
	# Leave the machine as it was: remove what this test installed.
	if [ "$installed_before" -eq 0 ]; then
		apt-get purge -y $pkgs >/dev/null 2>&1 || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$tmp/out" ] && tail -40 "$tmp/out"; exit 1; }
now() { date +%s; }

# The source, without build trees (dpkg-buildpackage writes beside it).
mkdir "$tmp/ksync-$version"
tar -C "$src" --exclude=./build --exclude=./.git --exclude=./rust/target \
	--exclude='./obj-*' -cf - . | tar -C "$tmp/ksync-$version" -xf -
cd "$tmp/ksync-$version"
[ "$(dpkg-parsechangelog -S Version)" = "$version" ] ||
	fail "debian/changelog is at $(dpkg-parsechangelog -S Version), the project at $version"

t0=$(now)
DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -us -uc -b >"$tmp/out" 2>&1 ||
	fail "dpkg-buildpackage -us -uc -b"
t1=$(now)
cd "$tmp"
ls ./*.deb
for p in libksync0 libksync-dev ksync-tools; do
	ls ./"${p}"_"$version"_*.deb >/dev/null 2>&1 || fail "no $p package built"
done
echo "dpkg-buildpackage: $((t1 - t0)) s"

lintian --fail-on error --no-tag-display-limit ./*.changes >"$tmp/out" 2>&1 || {
	cat "$tmp/out"
	fail "lintian reports errors"
}
echo "lintian: no error ($(grep -c '^W:' "$tmp/out" || true) warnings, $(grep -c '^I:' "$tmp/out" || true) info)"
grep '^W:' "$tmp/out" || true
t2=$(now)

apt-get install -y ./libksync0_*.deb ./libksync-dev_*.deb ./ksync-tools_*.deb >"$tmp/out" 2>&1 ||
	fail "apt-get install ./*.deb"
t3=$(now)
echo "apt-get install ./*.deb: $((t3 - t2)) s"

# Where Debian puts things; nothing in the public library directory that
# is not for linking.
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
for f in /usr/lib/$multiarch/libksync.so.0 /usr/lib/$multiarch/libksync.a \
	/usr/lib/$multiarch/pkgconfig/ksync.pc /usr/lib/$multiarch/cmake/ksync/ksyncConfig.cmake \
	/usr/lib/$multiarch/ksync/libksync-preload.so /usr/include/ksync/ksync.h \
	/usr/share/man/man7/ksync.7.gz /usr/share/man/man3/ksync_mutex.3.gz \
	/usr/share/man/man1/ksync-lockdep.1.gz /usr/bin/ksync-lockdep; do
	[ -e "$f" ] || fail "not installed: $f"
done

# pkg-config from /usr: the system's directories are not in the flags.
unset PKG_CONFIG_PATH LD_LIBRARY_PATH
# (pkgconf ends its output with a space; the words are what count.)
cflags=$(echo $(pkg-config --cflags ksync))
[ "$cflags" = "-pthread" ] ||
	fail "pkg-config --cflags ksync: '$cflags', not just -pthread"
sh "$src/tests/install/test_install_pkgconfig.sh" --prefix /usr "$src/tests/install" "$version" ||
	fail "the pkg-config program against /usr"
sh "$src/tests/install/test_install_cmake.sh" --prefix /usr "$src/tests/install" "$version" ||
	fail "the find_package() project against /usr"

# ksync-lockdep from /usr/bin on a plain pthread program.
cc -o "$tmp/abba" "$src/tests/install/abba.c" -lpthread
ksync-lockdep "$tmp/abba" >"$tmp/out" 2>&1 || fail "ksync-lockdep ./abba"
grep -q "WARNING: possible circular locking dependency detected" "$tmp/out" ||
	fail "ksync-lockdep ./abba: no report"
grep -q "abba done" "$tmp/out" || fail "ksync-lockdep ./abba: did not finish"
echo "ksync-lockdep (/usr/bin) reports abba's AB-BA order"
ksync-torture --type mutex_lock --duration 1 --stutter 0 >"$tmp/out" 2>&1 || fail "ksync-torture"
ksync-bench --section spinlock --locks spinlock_t --repeats 1 --duration 10 --threads 1 \
	>"$tmp/out" 2>&1 || fail "ksync-bench"

# The manual pages, as man finds them.
if command -v man >/dev/null 2>&1; then
	for p in ksync ksync_spinlock ksync-lockdep; do
		man -w "$p" >/dev/null 2>&1 || fail "man -w $p finds nothing"
	done
	echo "man finds ksync(7), ksync_spinlock(3), ksync-lockdep(1)"
else
	echo "note: man-db not installed: the pages are installed, man not tried (apt-get install -y man-db)"
fi
echo "deb test passed: build $((t1 - t0)) s, lintian $((t2 - t1)) s, all $(($(now) - t0)) s"
