#!/bin/sh
# ksync-lockdep on plain pthread programs (ours: tests/lockdep/pt_*.c;
# Debian's are in test_lockdep_programs.sh): each bug
# gets its report, correct programs none, results stay right under
# validation and under --replace, bad input gets a clear refusal.
#
#   test_ksync_lockdep.sh TOOLS_DIR PROGRAMS_DIR SOURCE_DIR
set -u
tools=$1
progs=$2
src=$3
lockdep="$tools/ksync-lockdep"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

fail() {
	echo "FAIL: $*"
	sed 's/^/    /' "$tmp/out" | head -60
	failed=1
}

# run NAME EXPECTED_STATUS -- command...: output in $tmp/out
run() {
	name=$1
	want=$2
	shift 3
	timeout "${TMO:-120}" "$@" >"$tmp/out" 2>&1
	got=$?
	[ "$got" -eq "$want" ] || { fail "$name: exit status $got, want $want"; return 1; }
	return 0
}

has() { grep -qF -- "$2" "$tmp/out" || fail "$1: output lacks '$2'"; }
hasnt() { ! grep -qF -- "$2" "$tmp/out" || fail "$1: output has '$2'"; }
reports() { grep -cE '^(WARNING: (possible|inconsistent|bad unlock|held lock|.* still has)|BUG: )' "$tmp/out"; }

# --- our own buggy programs: each its report, in both modes ---------------------------
for mode in "" "--replace"; do
	p="$progs/pt_scenarios"
	run "aa $mode" 0 -- $lockdep $mode "$p" aa_errorcheck &&
		{ has "aa $mode" "WARNING: possible recursive locking detected"
		  has "aa $mode" "second lock: EDEADLK"; }
	run "abba $mode" 0 -- $lockdep $mode "$p" abba_one_thread &&
		{ has "abba $mode" "WARNING: possible circular locking dependency detected"
		  has "abba $mode" "(a @0x"
		  has "abba $mode" "pt_scenarios.c:"
		  has "abba $mode" "Possible unsafe locking scenario"
		  has "abba $mode" "done"; }
	run "abba threads $mode" 0 -- $lockdep $mode "$p" abba_two_threads &&
		has "abba threads $mode" "WARNING: possible circular locking dependency detected"
	run "cycle4 $mode" 0 -- $lockdep $mode "$p" cycle4 &&
		{ has "cycle4 $mode" "WARNING: possible circular locking dependency detected"
		  has "cycle4 $mode" "-> #3 ("
		  has "cycle4 $mode" "Chain exists of:"; }
	run "unlock $mode" 0 -- $lockdep $mode "$p" unlock_balance &&
		{ has "unlock $mode" "WARNING: bad unlock balance detected!"
		  has "unlock $mode" "unlock: EPERM"; }
	run "rwlock cycle $mode" 0 -- $lockdep $mode "$p" rwlock_cycle &&
		has "rwlock cycle $mode" "WARNING: possible circular locking dependency detected"
	run "rwlock twice $mode" 0 -- $lockdep $mode "$p" rwlock_write_twice &&
		{ has "rwlock twice $mode" "WARNING: possible recursive locking detected"
		  has "rwlock twice $mode" "second wrlock: EDEADLK"; }
	run "exit held $mode" 0 -- $lockdep $mode "$p" exit_held &&
		has "exit held $mode" "still has locks held!"
	run "spin $mode" 0 -- $lockdep $mode "$p" spin_then_mutex_cycle &&
		has "spin $mode" "WARNING: possible circular locking dependency detected"
	run "fork $mode" 0 -- $lockdep $mode "$p" fork_child_abba &&
		{ has "fork $mode" "child ok"
		  has "fork $mode" "child exit 0"
		  has "fork $mode" "WARNING: possible circular locking dependency detected"; }
	# Correct programs: hand-over-hand, bucket arrays, recursion, condvars.
	run "correct $mode" 0 -- $lockdep $mode "$p" correct &&
		{ has "correct $mode" "consumed 10000, walked 64000"
		  [ "$(reports)" -eq 0 ] || fail "correct $mode: a report on a correct program"; }
	run "correct instance $mode" 0 -- $lockdep $mode --class instance "$p" correct &&
		[ "$(reports)" -eq 0 ] || fail "correct instance $mode: a report"
done

# --- what a pthread program may count on, in every mode -----------------------------------
for mode in "" "--replace" "--replace --no-validate" "--replace=mutex" \
	    "--replace=rwlock,spin" "--replace=cond --no-validate"; do
	run "semantics $mode" 0 -- $lockdep $mode "$progs/pt_semantics" &&
		has "semantics $mode" "semantics ok"
	run "stress $mode" 0 -- $lockdep $mode "$progs/pt_stress" 16 &&
		{ has "stress $mode" "stress ok"
		  [ "$(reports)" -eq 0 ] || fail "stress $mode: a report"; }
done

# --- many locks destroyed (pt_destroy.c): right in every mode; replacing
# without validation, destroying touches nothing but the locks' objects
# (no lookups in the validator's empty table, a page fault per lock).
run "destroy plain" 0 -- "$progs/pt_destroy" && has "destroy plain" "destroy ok"
for mode in "" "--replace"; do
	run "destroy $mode" 0 -- $lockdep $mode "$progs/pt_destroy" &&
		has "destroy $mode" "destroy ok"
done
run "destroy faults" 0 -- $lockdep --replace --no-validate "$progs/pt_destroy" faults &&
	has "destroy faults" "destroy ok"

# --- POSIX conformance (pt_posix.c): what the C library passes, ksync passes ---------------
# Validating and replacing, whole or in part; the misuse checked in the
# sweep (EPERM, EDEADLK) is reported and goes on (--keep-going).
run "posix plain" 0 -- "$progs/pt_posix" && has "posix plain" "posix ok"
for mode in "--keep-going" "--replace --keep-going" "--replace --no-validate" \
	    "--replace=mutex --keep-going" "--replace=rwlock,spin --keep-going" \
	    "--replace=cond --keep-going"; do
	run "posix $mode" 0 -- $lockdep $mode "$progs/pt_posix" && has "posix $mode" "posix ok"
done
# The groups without misuse: no report at all.
for mode in "" "--replace" "--replace=cond"; do
	run "posix correct $mode" 0 -- $lockdep $mode "$progs/pt_posix" pshared rec_cond cancel \
		destroy rt_reader &&
		{ has "posix correct $mode" "posix ok"
		  [ "$(reports)" -eq 0 ] || fail "posix correct $mode: a report on a correct program"; }
done

# --- a program whose allocator takes pthread locks, in every mode ---------------------------
# pt_alloc's malloc() holds its heap lock while it first uses its size-class
# mutexes; choosing their classes must not allocate (it would come back into
# malloc(): pt_alloc says so and aborts) nor load a library (dlopen()
# allocates).  Its fork handlers, registered before ksync's, lock its mutexes
# while ksync's and the preload's hold their own locks.  A hang is the other
# way this fails: hence the short timeout.
for mode in "" "--replace" "--class instance" "--replace --class instance" "--class-depth 4" \
	    "--replace --no-validate" "--stat" "--replace --stat" "--keep-going"; do
	TMO=30 run "alloc $mode" 0 -- $lockdep $mode "$progs/pt_alloc" 4 fork &&
		{ has "alloc $mode" "alloc ok 4000"
		  hasnt "alloc $mode" "re-entered"
		  [ "$(reports)" -eq 0 ] || fail "alloc $mode: a report"; }
done
TMO=30 run "alloc graph" 0 -- $lockdep --graph "$tmp/alloc.dot" "$progs/pt_alloc" 2 &&
	{ has "alloc graph" "alloc ok 2000"
	  grep -q '"list_lock' "$tmp/alloc.dot" || fail "alloc graph: list_lock not named"; }

# --- the exit status, the log, lock_stat, the graph ----------------------------------------
run "status" 7 -- $lockdep sh -c 'exit 7'
run "log" 0 -- $lockdep --log "$tmp/log" --stat --graph "$tmp/g.dot" "$progs/pt_scenarios" abba_one_thread &&
	{ hasnt "log" "WARNING"
	  grep -q "WARNING: possible circular locking dependency detected" "$tmp/log" ||
		fail "log: no report in the log file"
	  grep -q "lock_stat version 0.4" "$tmp/log" || fail "log: no lock_stat table"
	  grep -q "digraph lockdep" "$tmp/g.dot" || fail "graph: no DOT file"; }

# --- one lock_stat table and one graph per process ------------------------------------------
# The program writes FILE, any other process FILE.PID (pt_fork_files prints the
# child's pid); leaving through _exit() writes them too; a vfork() child
# writes nothing.
names() { grep -oE '(parent|child|exec)_lock' "$1" 2>/dev/null | sort -u | tr '\n' ' '; }
for how in fork fork_exit exec vfork _exit; do
	rm -f "$tmp"/st* "$tmp"/g.dot*
	run "files $how" 0 -- $lockdep --stat-file "$tmp/st" --graph "$tmp/g.dot" \
		"$progs/pt_fork_files" $how || continue
	has "files $how" "parent done"
	[ "$(names "$tmp/st")" = "parent_lock " ] || fail "files $how: st has '$(names "$tmp/st")'"
	[ "$(names "$tmp/g.dot")" = "parent_lock " ] ||
		fail "files $how: g.dot has '$(names "$tmp/g.dot")'"
	child=$(sed -n 's/^child //p' "$tmp/out")
	case $how in
	fork|fork_exit) want="child_lock " ;;
	exec) want="exec_lock " ;;
	*) want= ;;
	esac
	if [ -n "$want" ]; then
		[ "$(names "$tmp/st.$child")" = "$want" ] ||
			fail "files $how: st.$child has '$(names "$tmp/st.$child")', want '$want'"
		grep -q "${want% }" "$tmp/g.dot.$child" ||
			fail "files $how: g.dot.$child lacks ${want% }"
	fi
	extra=$(cd "$tmp" && ls st.* g.dot.* 2>/dev/null | grep -v "\.$child\$")
	[ -z "$extra" ] || fail "files $how: files of other processes: $extra"
done
# No siblings for what is not a regular file: every process writes it.
run "files /dev/null" 0 -- $lockdep --stat-file /dev/null "$progs/pt_fork_files" fork &&
	{ child=$(sed -n 's/^child //p' "$tmp/out")
	  [ ! -e "/dev/null.$child" ] || { rm -f "/dev/null.$child"; fail "files: /dev/null.$child made"; }; }

# --- bad input ------------------------------------------------------------------------------
run "not found" 127 -- $lockdep "$tmp/no-such-program" && has "not found" "command not found"
touch "$tmp/plain-file"
run "not executable" 126 -- $lockdep "$tmp/plain-file" && has "not executable" "Permission denied"
if [ -x "$progs/pt_static" ]; then
	run "static" 126 -- $lockdep "$progs/pt_static" && has "static" "is statically linked"
fi
run "bad option" 2 -- $lockdep --no-such-option true && has "bad option" "unknown option"
run "no program" 2 -- $lockdep && has "no program" "no program to run"
run "bad class" 2 -- $lockdep --class nonsense true
run "bad kinds" 2 -- $lockdep --replace=mutex,semaphore true && has "bad kinds" "not 'mutex,semaphore'"
run "bad hung secs" 2 -- $lockdep --hung-task-secs=2m true &&
	has "bad hung secs" "--hung-task-secs takes whole seconds from 0 (off) to 86400, not '2m'"

# --- a real deadlock: the hung-task detector names both threads and their locks -------
for mode in "" "--replace"; do
	rm -f "$tmp/hung.log"
	run "deadlock $mode" 0 -- $lockdep $mode --keep-going --hung-task-secs=1 \
		--log "$tmp/hung.log" "$progs/pt_hung" && {
		cat "$tmp/hung.log" >>"$tmp/out"
		has "deadlock $mode" "reported"
		[ "$(grep -c '^INFO: task pt_hung:[0-9]* blocked for more than [0-9]* seconds.$' "$tmp/out")" -eq 2 ] ||
			fail "deadlock $mode: not two INFO lines"
		grep -q '^2 locks held by pt_hung/' "$tmp/out" ||
			fail "deadlock $mode: the threads' locks are not shown"
		has "deadlock $mode" "deadlock_ab+"
		has "deadlock $mode" "deadlock_ba+"; }
done

# Programs nobody here wrote (python3 with sqlite3, Kyoto Cabinet's test
# tools, redis-server, memcached, stress-ng): test_lockdep_programs.sh, a
# test each, skipped where not installed.

[ $failed -eq 0 ] && echo "ksync-lockdep test passed"
exit $failed
