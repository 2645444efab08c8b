/*
 * mutex.pml - ksync's struct mutex as src/locking/mutex.c and
 * include/ksync/mutex.h implement it: the owner word (owner task | WAITERS
 * | HANDOFF | PICKUP), the fast paths, optimistic spinning, the FIFO wait
 * list under wait_lock, sleeping on the futex word cpu->state
 * (src/context/sched.c), the handoff and its pickup.
 *
 * System: NT threads, each mutex_lock(); critical section;
 * mutex_unlock() once.  wait_lock (a raw spinlock, checked in
 * qspinlock.pml) is an atomic test-and-set.  Every compare-and-swap loop
 * on the owner word is one atomic read-modify-write (a CAS loop takes
 * effect at its successful CAS, computed from the value it replaced).
 *
 * Optimistic spinning is abstracted as a choice: mutex_optimistic_spin()
 * either takes the OSQ (one spinner at a time; ksync_osq_lock() may also
 * give up) or not, and while spinning it may take the lock at any moment
 * the owner word lets __mutex_trylock() succeed, or stop (the spin budget
 * ran out, the owner sleeps, the list is not empty on an oversubscribed
 * machine).  A failed try changes nothing, so polling adds no behaviour.
 * The OSQ itself (src/arch/osq_lock.c) is not modelled.  "Waited longer
 * than MUTEX_HANDOFF_NS" is a free choice at each wake-up.
 *
 * Checked (models/check.sh):
 *  - mutual exclusion;
 *  - no lost wake-up: every thread ends (a waiter left asleep is an
 *    invalid end state);
 *  - a handoff is always picked up: the word is 0 once all have ended
 *    (an owner left with PICKUP set would keep it), and only the named
 *    waiter takes a handed-off lock.
 *
 * Mutants (check.sh -D...): MUT_NO_RECHECK (a waiter sleeps without
 * trying the lock again after it queued and set WAITERS),
 * MUT_CLEAR_WAITERS_EARLY (remove_waiter() clears the flags while others
 * still wait), MUT_HANDOFF_DROPS_PICKUP (mutex_handoff() names the waiter
 * without PICKUP).
 */

#ifndef NT
#define NT	3
#endif
#ifndef SPURIOUS
#define SPURIOUS 1
#endif

#define WAITERS	1		/* MUTEX_FLAG_WAITERS */
#define HANDOFF	2		/* MUTEX_FLAG_HANDOFF */
#define PICKUP	4		/* MUTEX_FLAG_PICKUP */

#define RUNNING	 0
#define SLEEPING 1

byte otask;			/* lock->owner & ~MUTEX_FLAGS: thread + 1, 0: none */
byte oflags;			/* lock->owner & MUTEX_FLAGS */
bool wl;			/* lock->wait_lock */
bool osq;			/* lock->osq: one spinner */
bool inlist[NT];		/* lock->wait_list */
byte qseq[NT];
byte seq;
byte state[NT];			/* cpu->state: futex word */
bool fsleep[NT];
bool in_futex[NT];		/* cpu->in_futex */

/* Ghosts. */
byte incs;
byte spurious = SPURIOUS;

inline wait_lock()
{
	atomic { !wl -> wl = 1 }
}

inline wait_unlock()
{
	wl = 0
}

inline futex_wait(t, val)
{
	atomic { if :: state[t] == val -> fsleep[t] = 1 :: else fi }
	if
	:: !fsleep[t]
	:: atomic { fsleep[t] && spurious > 0 -> spurious--; fsleep[t] = 0 }
	fi
}

/*
 * ksync_wake_cpu(): CAS state to RUNNING if it is not; then FUTEX_WAKE
 * if the sleeper says it is in its futex wait (in_futex, read after).
 */
inline wake_cpu(t, ok)
{
	atomic {
		if
		:: state[t] != RUNNING -> state[t] = RUNNING; ok = 1
		:: else -> ok = 0
		fi
	}
	if :: ok && in_futex[t] -> fsleep[t] = 0 :: else fi;
	ok = 0
}

/*
 * ksync_schedule_until(0): "while (load(state) != RUNNING) { in_futex =
 * 1; if (load(state) == state) futex_wait(&state, state); in_futex = 0 }".
 */
inline schedule(t)
{
	do
	:: state[t] == RUNNING -> break
	:: else ->
		in_futex[t] = 1;
		if :: state[t] == SLEEPING -> futex_wait(t, SLEEPING) :: else fi;
		in_futex[t] = 0
	od
}

/*
 * mutex_trylock_common(lock, curr, handoff): free: take it (flags kept);
 * PICKUP for us: take it, clear PICKUP; else with handoff: set HANDOFF.
 * ok: we own it now.
 */
inline trylock_common(me, handoff, ok)
{
	atomic {
		ok = 0;
		if
		:: otask == 0 -> otask = me + 1; ok = 1
		:: otask != 0 && (oflags & PICKUP) ->
			if
			:: otask == me + 1 -> oflags = oflags & ~PICKUP; ok = 1
			:: else
			fi
		:: otask != 0 && !(oflags & PICKUP) && handoff ->
			oflags = oflags | HANDOFF
		:: else
		fi
	}
}

/*
 * mutex_optimistic_spin(): a newcomer (waiter == NULL) first takes the OSQ
 * (or gives up); then tries the lock whenever it can, or stops.
 */
inline optimistic_spin(me, newcomer, ok)
{
	if
	:: newcomer ->				/* ksync_osq_lock(), or not */
		atomic { if :: !osq -> osq = 1; ok = 1 :: true -> ok = 0 fi }
	:: else -> ok = 1
	fi;
	if
	:: ok ->
		ok = 0;
		if
		:: atomic {			/* a __mutex_trylock() that succeeds */
			(otask == 0 || ((oflags & PICKUP) && otask == me + 1)) ->
				trylock_common(me, 0, ok)
		   }
		:: skip				/* spin_on_owner() gave up */
		fi;
		if :: newcomer -> osq = 0 :: else fi	/* ksync_osq_unlock() */
	:: else
	fi
}

/* waiter_is_first() */
#define is_first(t) (inlist[t] && \
	(!inlist[(t + 1) % NT] || qseq[t] < qseq[(t + 1) % NT]) && \
	(!inlist[(t + 2) % NT] || qseq[t] < qseq[(t + 2) % NT]))

/* add_waiter(): list_add_tail; if first, set WAITERS. */
inline add_waiter(me)
{
	d_step { inlist[me] = 1; qseq[me] = seq; seq++ }
	if
	:: is_first(me) -> oflags = oflags | WAITERS	/* atomic_long_or */
	:: else
	fi
}

/* remove_waiter(): list_del; if the list is empty, clear all the flags. */
inline remove_waiter(me)
{
	inlist[me] = 0;
#ifdef MUT_CLEAR_WAITERS_EARLY
	oflags = 0
#else
	if
	:: !inlist[0] && !inlist[1] && !inlist[2] -> oflags = 0	/* atomic_long_andnot */
	:: else
	fi
#endif
}

/* The first waiter's task, NT if none. */
inline first_waiter(next)
{
	d_step {
		next = NT;
		if
		:: is_first(0) -> next = 0
		:: is_first(1) -> next = 1
		:: is_first(2) -> next = 2
		:: else
		fi
	}
}

/* mutex_wait(): see ksync_mutex_lock_slowpath() for where it starts. */
inline mutex_wait(me, ok, first, handoff)
{
	wait_lock();
	trylock_common(me, 0, ok);
	if
	:: ok
	:: else ->
		add_waiter(me);
		state[me] = SLEEPING;		/* ksync_set_current_state() */
#ifdef MUT_NO_RECHECK
		goto sleep;
#endif
		do
		:: trylock_common(me, 0, ok);	/* "Under wait_lock: picks up a handoff" */
			if :: ok -> break :: else fi;
sleep:
			wait_unlock();
			schedule(me);
			wait_lock();
			first = is_first(me);
			if
			:: first -> handoff = 1		/* waited > MUTEX_HANDOFF_NS */
			:: handoff = 0
			fi;
			state[me] = SLEEPING;		/* ksync_set_current_state() */
			trylock_common(me, handoff, ok);	/* mutex_trylock_or_handoff() */
			if :: ok -> break :: else fi;
			if
			:: first ->
				wait_unlock();
				optimistic_spin(me, 0, ok);
				wait_lock();
				if :: ok -> break :: else fi
			:: else
			fi
		od;
		state[me] = RUNNING;		/* __set_current_state(TASK_RUNNING) */
		remove_waiter(me)
	fi;
	wait_unlock();
	d_step { first = 0; handoff = 0; ok = 0 }
}

/*
 * __ksync_mutex_lock(): the fast path "CAS(owner, 0, curr)", then
 * ksync_mutex_lock_slowpath(): "__mutex_trylock(lock, curr) ||
 * mutex_optimistic_spin(lock, curr, NULL)", else mutex_wait().
 */
inline mutex_lock(me, ok, first, handoff)
{
	atomic { if :: otask == 0 && oflags == 0 -> otask = me + 1; ok = 1 :: else -> ok = 0 fi };
	if
	:: ok
	:: else ->
		trylock_common(me, 0, ok);
		if
		:: ok
		:: else ->
			first = 1;
			optimistic_spin(me, first, ok);
			if :: ok :: else -> mutex_wait(me, ok, first, handoff) fi
		fi
	fi;
	d_step { first = 0; handoff = 0; ok = 0 }
}

/*
 * __ksync_mutex_unlock(): the fast path "CAS(owner, curr, 0)", then
 * ksync_mutex_unlock_slowpath(): unless HANDOFF, "CAS(owner, owner,
 * flags)" (release) and return if WAITERS was clear; wait_lock; next =
 * first waiter; with HANDOFF, mutex_handoff(lock, next); wait_unlock;
 * ksync_wake_cpu(next).
 */
inline mutex_unlock(me, ok, next, hand)
{
	assert(otask == me + 1 && !(oflags & PICKUP));	/* unlock_allowed() */
	atomic { if :: oflags == 0 -> otask = 0; ok = 1 :: else -> ok = 0 fi };
	if
	:: ok
	:: else ->
		atomic {
			hand = (oflags & HANDOFF) != 0;
			if :: !hand -> otask = 0 :: else fi;
			ok = !hand && !(oflags & WAITERS)
		}
		if
		:: ok
		:: else ->
			wait_lock();
			first_waiter(next);
			if
			:: hand ->
				/* mutex_handoff(): "(owner & WAITERS) | next | PICKUP" */
				atomic {
					oflags = oflags & WAITERS;
					if
					:: next < NT -> otask = next + 1;
#ifndef MUT_HANDOFF_DROPS_PICKUP
						oflags = oflags | PICKUP
#endif
					:: else -> otask = 0
					fi
				}
			:: else
			fi;
			wait_unlock();
			if :: next < NT -> wake_cpu(next, ok) :: else fi
		fi
	fi;
	d_step { ok = 0; next = 0; hand = 0 }
}

proctype thread(byte me)
{
	byte ok, first, handoff, next;

	mutex_lock(me, ok, first, handoff);
	atomic { incs++; assert(incs == 1) };
	incs--;
	mutex_unlock(me, ok, next, handoff)
}

init {
	atomic {
		run thread(0);
		run thread(1);
		run thread(2)
	}
	_nr_pr == 1;
	assert(otask == 0 && oflags == 0)
}
