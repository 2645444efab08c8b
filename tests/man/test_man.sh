#!/bin/sh
# The manual pages: every page is there, groff formats each without a
# warning (groff -ww, and man --warnings where man-db is installed), each
# tool's page documents every option its --help lists, every name a
# section 3 page gives in its NAME line exists in the headers, and every
# KSYNC_* environment variable the library or the tools read is documented.
#
#   test_man.sh MAN_BUILD_DIR SOURCE_DIR TOOLS_DIR
set -u
man_dir=$1
src=$2
tools=$3
failed=0
fail() { echo "FAIL: $*"; failed=1; }

if ! command -v groff >/dev/null 2>&1; then
	echo "skipped: groff not installed (apt-get install -y groff-base): the manual pages are built and installed but not checked"
	exit 77
fi

families="spinlock rwlock mutex rwsem semaphore completion wait condvar seqlock lockdep irq atomic cleanup refcount bitops bug"
want="man7/ksync.7 man1/ksync-bench.1 man1/ksync-torture.1"
[ -x "$tools/ksync-lockdep" ] && want="$want man1/ksync-lockdep.1"
for f in $families; do
	want="$want man3/ksync_$f.3"
done
for p in $want; do
	[ -f "$man_dir/$p" ] || fail "$p was not built"
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
for page in "$man_dir"/man?/*.[0-9]; do
	n=$((n + 1))
	name=$(basename "$page")
	LC_ALL=C.UTF-8 groff -ww -man -Tutf8 -z "$page" 2>"$tmp/err"
	[ -s "$tmp/err" ] && fail "$name: groff -ww: $(cat "$tmp/err")"
	if command -v man >/dev/null 2>&1; then
		LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" >/dev/null 2>"$tmp/err"
		[ -s "$tmp/err" ] && fail "$name: man --warnings: $(cat "$tmp/err")"
	fi
	# mandb indexes a page by its NAME line: it must parse.
	if command -v lexgrog >/dev/null 2>&1; then
		lexgrog "$page" >/dev/null 2>&1 || fail "$name: lexgrog cannot parse its NAME section"
	fi
	for s in NAME SYNOPSIS DESCRIPTION "SEE ALSO"; do
		case $name in ksync.7) [ "$s" = SYNOPSIS ] && continue ;; esac
		grep -q "^\.SH \"$s\"" "$page" || fail "$name: no $s section"
	done
done
[ "$n" -gt 0 ] || fail "no pages in $man_dir"

# A tool's page: every option of its --help, the environment, the exit
# statuses and an example.
for tool in ksync-bench ksync-torture ksync-lockdep; do
	[ -x "$tools/$tool" ] || continue
	page="$man_dir/man1/$tool.1"
	for s in OPTIONS ENVIRONMENT "EXIT STATUS" EXAMPLES; do
		grep -q "^\.SH \"$s\"" "$page" || fail "$tool.1: no $s section"
	done
	"$tools/$tool" --help | grep -oE '^  +-[-a-zA-Z]+' | sed 's/^ *//' | sort -u >"$tmp/opts"
	[ -s "$tmp/opts" ] || fail "$tool --help lists no options"
	while read -r opt; do
		troff="\\fB$(printf '%s' "$opt" | sed 's/-/\\-/g')\\fR"
		grep -qF -- "$troff" "$page" || fail "$tool.1 does not document $opt"
	done <"$tmp/opts"
done

# Section 3: the header in #include exists, and so does every name given
# (in <ksync/ksync.h> as the compiler sees it: some names are made by the
# preprocessor, atomic_inc from atomic##_inc).
cc -E -dD -I"$src/include" "$src/include/ksync/ksync.h" >"$tmp/api.i" 2>"$tmp/err" ||
	fail "cc -E <ksync/ksync.h>: $(cat "$tmp/err")"
for f in $families; do
	page="$man_dir/man3/ksync_$f.3"
	[ -f "$page" ] || continue
	grep -o '#include <ksync/[a-z_]*\.h>' "$page" | sed 's/.*<\(.*\)>/\1/' >"$tmp/inc"
	[ -s "$tmp/inc" ] || fail "ksync_$f.3: no #include <ksync/...> in its synopsis"
	while read -r h; do
		[ -f "$src/include/$h" ] || fail "ksync_$f.3: includes <$h>, which does not exist"
	done <"$tmp/inc"
	sed -n '/^\.SH "NAME"/{n;p;}' "$page" | sed 's/ \\- .*//; s/,//g; s/\\-/-/g' | tr ' ' '\n' |
		grep -v '^$' >"$tmp/names"
	while read -r w; do
		grep -qw -- "$w" "$tmp/api.i" ||
			fail "ksync_$f.3: NAME gives '$w', which no header defines"
	done <"$tmp/names"
done

# Every KSYNC_* variable read (a string literal in the library or a tool)
# is documented: the library's in ksync(7), the tools' in their pages.
for dir in src tools; do
	grep -rhoE '"KSYNC_[A-Z_]+"' "$src/$dir" --include='*.c' | tr -d '"' | sort -u >"$tmp/env"
	while read -r v; do
		if [ "$dir" = src ]; then
			grep -qF "\\fB$v\\fR" "$man_dir/man7/ksync.7" ||
				fail "ksync.7 does not document $v"
		else
			grep -qF "\\fB$v\\fR" "$man_dir"/man1/*.1 || fail "no tool page documents $v"
		fi
	done <"$tmp/env"
done

[ $failed -eq 0 ] && echo "man test passed: $n pages"
exit $failed
