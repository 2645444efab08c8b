#!/bin/sh
# The layering rule of docs/design.md, checked on the built objects and
# on the sources: a layer of libksync may include and call only its own
# folder and the layers below it.
#
#   check_layers.sh SOURCE_DIR OBJECT_DIR LAYER...
#
# SOURCE_DIR is src/, OBJECT_DIR the directory under which CMake put each
# layer's objects (OBJECT_DIR/ksync_LAYER.dir/LAYER/*.o), LAYER... the
# layers from the bottom up.  Every upward include and every call (an
# undefined symbol of a layer's object that a higher layer's object
# defines) is printed; the exit status is 1 if there is one.
set -u
src=$1
obj=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bad=0

# The rank of each layer, and of each source file by its folder.
rank=0
for layer in "$@"; do
	echo "$layer $rank" >>"$tmp/ranks"
	for f in "$src/$layer"/*.[ch]; do
		[ -e "$f" ] && echo "$(basename "$f") $layer $rank" >>"$tmp/files"
	done
	rank=$((rank + 1))
done

# Includes: a quoted include naming a file of a higher layer's folder.
while read -r layer lrank; do
	for f in "$src/$layer"/*.[ch]; do
		[ -e "$f" ] || continue
		sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" |
		while read -r inc; do
			awk -v n="$(basename "$inc")" -v r="$lrank" -v who="$layer/$(basename "$f")" \
				'$1 == n && $3 > r { print who " includes " $2 "/" $1; found = 1 }
				 END { exit found ? 1 : 0 }' "$tmp/files" || echo x >>"$tmp/bad"
		done
	done
done <"$tmp/ranks"

# Calls: defined global symbols per layer, then each layer's undefined ones.
while read -r layer lrank; do
	for o in "$obj/ksync_$layer.dir/$layer"/*.o; do
		[ -e "$o" ] || { echo "no objects for layer $layer under $obj"; exit 2; }
		nm -g --defined-only "$o" | awk -v l="$layer" -v r="$lrank" \
			'NF == 3 { print $3, l, r }' >>"$tmp/defs"
	done
done <"$tmp/ranks"
while read -r layer lrank; do
	for o in "$obj/ksync_$layer.dir/$layer"/*.o; do
		nm -u "$o" | awk '{ print $NF }' | while read -r sym; do
			awk -v s="$sym" -v r="$lrank" -v who="$layer/$(basename "$o" .o)" \
				'$1 == s && $3 > r { print who " uses " s " of " $2; found = 1 }
				 END { exit found ? 1 : 0 }' "$tmp/defs" || echo x >>"$tmp/bad"
		done
	done
done <"$tmp/ranks"

if [ -s "$tmp/bad" ]; then
	echo "FAIL: $(wc -l <"$tmp/bad") upward include(s) or call(s) (docs/design.md: a layer sees only itself and the layers below)"
	exit 1
fi
echo "layering: $# layers, no upward include or call"
