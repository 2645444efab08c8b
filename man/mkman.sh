#!/bin/sh
# mkman.sh OUT SOURCE.md VERSION [TOOL]: one manual page, from its one
# source.  With TOOL, the page's SYNOPSIS, DESCRIPTION, OPTIONS (and EXIT
# STATUS where the help has one) come from `TOOL --help`, put where the
# source has its "<!-- generated: ... -->" line: the options are written
# once, in the tool.
set -eu
out=$1
src=$2
version=$3
tool=${4:-}
here=$(dirname "$0")
tmp="$out.tmp"
trap 'rm -f "$tmp" "$tmp.help" "$tmp.help.md" "$tmp.md"' EXIT

# Reproducible: the date of the release being built (Debian sets
# SOURCE_DATE_EPOCH from debian/changelog), else none.
date=""
if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
	date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)
fi

if [ -n "$tool" ]; then
	# Nothing of the caller's KSYNC_* settings may change the text.
	env -u KSYNC_DEBUG -u KSYNC_LOCKDEP -u KSYNC_LOCK_STAT "$tool" --help >"$tmp.help"
	grep -q '^<!-- generated:' "$src" || {
		echo "mkman.sh: $src has no '<!-- generated: ... -->' line for $tool --help" >&2
		exit 1
	}
	awk -f "$here/help2md.awk" "$tmp.help" >"$tmp.help.md"
	awk -v help="$tmp.help.md" '
		/^<!-- generated:/ { while ((getline l < help) > 0) print l; next }
		{ print }' "$src" >"$tmp.md"
	rm -f "$tmp.help.md"
	src_used="$tmp.md"
else
	src_used=$src
fi
awk -v version="$version" -v date="$date" -f "$here/md2man.awk" "$src_used" >"$tmp"
rm -f "$tmp.md"
mv "$tmp" "$out"
