/*
 * completion.pml - ksync's completion as src/locking/completion.c
 * implements it, sleeping as src/context/sched.c does
 * (ksync_set_current_state(), ksync_schedule_until() on the futex word
 * cpu->state, ksync_wake_cpu()).
 *
 * System: W0 waits (wait_for_completion()); W1 waits with a timeout
 * (wait_for_completion_timeout()); C calls complete() once.  With -DTWO,
 * W1 then waits again without a timeout (a stale wake-up of the first
 * wait may hit that sleep) and C calls complete() twice.  wait.lock (a raw spinlock, checked in
 * qspinlock.pml) is an atomic test-and-set here.  The timeout may expire
 * at any check of it; FUTEX_WAIT returns at once if the word changed; a
 * stale FUTEX_WAKE (from a complete() whose waiter already left) wakes
 * whatever the thread sleeps in next; SPURIOUS more spurious wake-ups.
 *
 * Checked (models/check.sh):
 *  - no lost wake-up: when nothing can move any more, no waiter is asleep
 *    while done > 0 (a waiter may sleep for ever when every event went
 *    to another: init's timeout check, with invalid end states off);
 *  - done counted exactly: at the end done + the successful waits equals
 *    the complete() calls, and no wait succeeds without an event;
 *  - a waiter's entry is off the list when its wait returns.
 *
 * Mutants (check.sh -D...): MUT_TIMEOUT_IGNORES_DONE (a timed-out waiter
 * leaves without taking the event that arrived), MUT_STATE_LATE (the
 * waiter sets its sleeping state after dropping wait.lock),
 * MUT_WAKE_NO_DEQUEUE (complete() wakes the first waiter but leaves it
 * on the list), MUT_KICK_EARLY (the waker reads in_futex before it sets
 * the state, so it may skip the FUTEX_WAKE of a sleeper that just went
 * in).
 */

#ifdef TWO
#define NCOMPLETE 2
#else
#define NCOMPLETE 1
#endif
#ifndef SPURIOUS
#define SPURIOUS 1
#endif

#define RUNNING		0		/* TASK_RUNNING */
#define SLEEPING	1		/* TASK_UNINTERRUPTIBLE */
#define NW		2

bool lk;				/* x->wait.lock */
byte done;				/* x->done */
bool inlist[NW];			/* waiter w is on x->wait.task_list */
byte qseq[NW];				/* its place in the FIFO */
byte seq;
byte state[NW];				/* cpu->state: futex word */
bool fsleep[NW];
bool in_futex[NW];			/* cpu->in_futex */

/* Ghosts. */
byte successes;
byte spurious = SPURIOUS;

inline spin_lock()
{
	atomic { !lk -> lk = 1 }
}

inline spin_unlock()
{
	lk = 0
}

/* ksync_futex_wait(&cpu->state, val, ...) */
inline futex_wait(w, val)
{
	atomic { if :: state[w] == val -> fsleep[w] = 1 :: else fi }
	if
	:: !fsleep[w]
	:: atomic { fsleep[w] && spurious > 0 -> spurious--; fsleep[w] = 0 }
	fi
}

/*
 * ksync_wake_cpu(): "state = load(SEQ_CST); while (state != RUNNING)
 * if (CAS(state, RUNNING)) { ksync_task_kick(); return true }", and
 * ksync_task_kick(): "if (load(in_futex, SEQ_CST)) futex_wake".  Every
 * step here is sequentially consistent, as the seq_cst operations are.
 * MUT_KICK_EARLY: the waker reads in_futex before it sets the state.
 */
inline wake_cpu(w, ok)
{
#ifdef MUT_KICK_EARLY
	bool kick = in_futex[w];
#endif
	atomic {
		if
		:: state[w] != RUNNING -> state[w] = RUNNING; ok = 1
		:: else -> ok = 0
		fi
	}
#ifdef MUT_KICK_EARLY
	if :: ok && kick -> fsleep[w] = 0 :: else fi;
#else
	if :: ok && in_futex[w] -> fsleep[w] = 0 :: else fi;
#endif
	ok = 0
}

/*
 * ksync_schedule_until(deadline): "while (load(state) != RUNNING) { if
 * (deadline && now >= deadline) { state = RUNNING; return false }
 * in_futex = 1; if (load(state) == state) futex_wait(&state, state);
 * in_futex = 0 }".  The wake-up spin before it
 * (ksync_schedule_spin_until()) only reads the state: the loop's own
 * first test stands for it.
 */
inline schedule_until(w, timed, woken)
{
	woken = 1;
	do
	:: state[w] == RUNNING -> break
	:: state[w] != RUNNING ->
		if
		:: timed -> state[w] = RUNNING; woken = 0; break	/* deadline passed */
		:: in_futex[w] = 1;
		   if :: state[w] == SLEEPING -> futex_wait(w, SLEEPING) :: else fi;
		   in_futex[w] = 0
		fi
	od
}

/* dequeue_first(): the waiter with the lowest place, taken off; NW if none. */
inline dequeue_first(wake)
{
	d_step {
		wake = NW;
		if
		:: inlist[0] && (!inlist[1] || qseq[0] < qseq[1]) -> wake = 0
		:: inlist[1] && (!inlist[0] || qseq[1] < qseq[0]) -> wake = 1
		:: else
		fi;
#ifndef MUT_WAKE_NO_DEQUEUE
		if :: wake < NW -> inlist[wake] = 0 :: else fi
#endif
	}
}

/*
 * ksync_complete(): "lock; done = done + 1; wake = dequeue_first(x);
 * unlock; if (wake) ksync_wake_cpu(wake)".
 */
inline complete(wake, ok)
{
	spin_lock();
	done++;
	dequeue_first(wake);
	spin_unlock();
	if :: wake < NW -> wake_cpu(wake, ok) :: else fi;
	wake = 0
}

/*
 * ksync_wait_for_completion() -> do_wait_for_common() under wait.lock:
 * "if (!done) { do { if (list_empty(&w.list)) list_add_tail;
 * ksync_set_current_state(state); timeout = sleep_once() } while (!done
 * && timeout); __set_current_state(RUNNING); if (!list_empty) list_del;
 * if (!done) return timeout } done--".  sleep_once(): "unlock;
 * woken = ksync_schedule_until(deadline); lock; return woken ? left : 0"
 * (left may be 0 too once woken: the deadline passed meanwhile).
 */
inline wait_for_completion(w, timed, tmo, woken)
{
	spin_lock();
	tmo = 1;
	if
	:: done == 0 ->
		do
		:: if
			:: !inlist[w] -> d_step { inlist[w] = 1; qseq[w] = seq; seq++ }
			:: else
			fi;
#ifndef MUT_STATE_LATE
			state[w] = SLEEPING;		/* ksync_set_current_state() */
#endif
			spin_unlock();
#ifdef MUT_STATE_LATE
			state[w] = SLEEPING;
#endif
			schedule_until(w, timed, woken);
			spin_lock();
			if
			:: !woken -> tmo = 0
			:: woken && timed -> tmo = 0	/* woken right at the deadline */
			:: woken -> skip
			fi;
			if
			:: done == 0 && tmo -> skip
			:: else -> break
			fi
		od;
		state[w] = RUNNING;			/* __set_current_state(RUNNING) */
		inlist[w] = 0				/* list_del if still queued */
	:: else
	fi;
	/* "if (!done) return timeout"; else take one: "done--" */
#ifdef MUT_TIMEOUT_IGNORES_DONE
	if :: done > 0 && tmo -> done--; successes++ :: else fi;
#else
	if :: done > 0 -> done--; successes++ :: else fi;
#endif
	spin_unlock();
	d_step { tmo = 0; woken = 0 }
}

proctype W0()
{
	bool tmo, woken;

	wait_for_completion(0, 0, tmo, woken);
	assert(!inlist[0])
}

proctype W1()
{
	bool tmo, woken;

	wait_for_completion(1, 1, tmo, woken);
#ifdef TWO
	wait_for_completion(1, 0, tmo, woken);
#endif
	assert(!inlist[1])
}

proctype C()
{
	byte i, wake, ok;

	do
	:: i < NCOMPLETE -> complete(wake, ok); i++
	:: else -> break
	od
}

init {
	atomic {
		run W0();
		run W1();
		run C()
	}
	/* Nothing else can move: all ended, or some wait for ever. */
	timeout;
	assert(done == 0 || (!fsleep[0] && !fsleep[1]));
	assert(done + successes == NCOMPLETE)
}
