/*
 * qspinlock.pml - ksync's queued spinlock as src/arch/qspinlock.c,
 * src/arch/qspinlock_pv.c and include/ksync/qspinlock.h implement it:
 * the locked-byte fast path, the newcomer's steal loop, the MCS queue with
 * per-CPU nodes indexed by the nesting count, the head's steal phase and
 * pending phase, the paravirt-style sleep of queued nodes (HALTED) and of
 * the head (HASHED, in the hash table outside the lock), pv_kick_node()'s
 * deferred wake-up, and the unlock that wakes from the table.
 *
 * Checked with models/check.sh (docs/models.md says what and how far):
 *  - mutual exclusion on each lock (assert in critical());
 *  - a queue node is never used by two contexts at once (node_claim());
 *  - no lost wake-up: every process ends; a thread left asleep on a futex
 *    while the others are done or blocked is an invalid end state;
 *  - the steal bound (bounded unfairness, issue 12): once the queue head
 *    is starving (head for PV_HEAD_STARVE_NS, a choice here) it keeps
 *    pending set while it sleeps, and no newcomer takes the lock before
 *    it: asserted in steal_lock() against the ghost starve[L], which the
 *    head sets when it starts starving and clears when it has the lock.
 *
 * The systems are at the end (init).  The interrupt handler may arrive at
 * any step of its CPU's task (Promela's "provided" clauses stop the task
 * while its handler runs).
 *
 * Futexes as the kernel gives them: FUTEX_WAIT returns at once if the word
 * changed; a wake wakes whoever sleeps on the word now (a stale wake is a
 * spurious one); SPURIOUS more spurious wake-ups may happen anywhere.
 * Timed sleeps (no membarrier(2)) are not modelled: untimed sleeps are the
 * ones that would hang.  Busy-wait loops with a budget are a choice
 * between seeing the condition now and giving up (the budget ran out).
 *
 * Mutants (check.sh -D...): MUT_NO_RECHECK (pv_head_sleep() sleeps without
 * re-reading the locked byte), MUT_NO_NODE_RECHECK (pv_wait_node() sleeps
 * without re-reading node->locked), MUT_COUNT_LATE (the nesting count is
 * raised after the node is initialised, NEST), MUT_KICK_NO_HASH
 * (pv_kick_node() marks the next node HASHED but does not register it),
 * MUT_STARVE_CLEARS_PENDING (a starving head clears pending before it
 * sleeps, as before issue 12: newcomers steal past it).
 * -DHASHFULL adds the hash table's "window full" fallbacks (a third run).
 */

#define NCPU	3
/*
 * MCS_MAX_NODES is 4 (task, softirq, hardirq, NMI); the model nests one
 * level (a hardirq in a task), so each CPU has NIDX = 2 of its nodes here.
 * Deeper levels run the same code with a larger count.
 */
#define NIDX	2
#define NNODE	6			/* NCPU * NIDX; node = cpu * NIDX + idx */
#define LA	0
#define LB	1

#define RUNNING	0			/* VCPU_RUNNING */
#define HALTED	1			/* VCPU_HALTED */
#define HASHED	2			/* VCPU_HASHED */

#ifndef SPURIOUS
#define SPURIOUS 1
#endif

/* The lock word, per lock: locked byte, pending byte, tail (node + 1). */
byte locked[2];
bool pending[2];
byte tail[2];
/* Ghost: the queue head of lock L is starving (no steal may pass it). */
bool starve[2];

/* struct ksync_qnode */
bool nlocked[NNODE];
byte nnext[NNODE];			/* node + 1, 0: NULL */
byte nstate[NNODE];			/* futex word */
bool fsleep[NNODE];			/* a thread sleeps on nstate[] */
byte cnt[NCPU];				/* qnodes[0].count */

/* pv_table: the lock (+1) a node is registered for, 0: no entry. */
byte hash[NNODE];
byte sleepers;				/* ksync_qspinlock_sleepers */

/* Ghosts. */
byte incs[2];
bool inuse[NNODE];
byte spurious = SPURIOUS;
bool irq_on[NCPU];
bool irq_done[NCPU];

/* --- futex(2) ---------------------------------------------------------- */

/* ksync_futex_wait(&nstate[n], val, NULL) */
inline futex_wait(n, val)
{
	atomic { if :: nstate[n] == val -> fsleep[n] = 1 :: else -> skip fi }
	if
	:: !fsleep[n]
	:: atomic { fsleep[n] && spurious > 0 -> spurious--; fsleep[n] = 0 }
	fi
}

inline futex_wake(n)
{
	fsleep[n] = 0
}

/* --- the lock word --------------------------------------------------- */

/*
 * THE STEAL RULE.  steal_lock() in qspinlock.c: "if (val &
 * _Q_LOCKED_PENDING_MASK) return false; CAS(locked, 0, 1)", also
 * queued_spin_trylock(): "if (pending) return 0; CAS(locked, 0, 1)".
 * A failed try changes nothing, so a polling loop is modelled as this
 * guard, which may fire at any moment the lock is free, or the choice to
 * stop polling.  C reads val (relaxed) before the CAS, so it may steal
 * with pending set just after its read; the guard reads both at once
 * (this matters to a steal bound only: the CAS on the locked byte decides
 * ownership: a C steal that read val just before a starving head set
 * pending can still win once, which the guard here does not show).
 * The bound: no steal while the head is starving.
 */
inline steal_lock(L)
{
	atomic { locked[L] == 0 && !pending[L] -> locked[L] = 1; assert(!starve[L]) }
}

/* trylock_clear_pending(): CAS(locked_pending, 0/1 -> 1/0). */
inline trylock_clear_pending(L)
{
	atomic { locked[L] == 0 && pending[L] -> locked[L] = 1; pending[L] = 0 }
}

/* --- qspinlock_pv.c -------------------------------------------------- */

/* ksync_pv_wake_node(): "state = RUNNING (release); futex_wake" */
inline pv_wake_node(m)
{
	nstate[m] = RUNNING;
	futex_wake(m)
}

/*
 * ksync_pv_hash(): "fetch_add(sleepers)" then the CAS into a free slot of
 * the window; a full window (HASHFULL) undoes the count and fails.
 */
inline pv_hash(L, m, ok)
{
	sleepers++;
	if
	:: atomic { assert(hash[m] == 0); hash[m] = L + 1; ok = 1 }
#ifdef HASHFULL
	:: sleepers--; ok = 0
#endif
	fi
}

/* ksync_pv_unhash(): CAS our own entry away; "fetch_sub(sleepers)". */
inline pv_unhash(L, m, ok)
{
	atomic {
		if
		:: hash[m] == L + 1 -> hash[m] = 0; ok = 1
		:: else -> ok = 0
		fi
	}
	if :: ok -> sleepers-- :: else fi
}

/*
 * ksync_queued_spin_unlock_wake(): scan the window: CAS each entry of this
 * lock away and "fetch_sub(sleepers)"; then ksync_pv_wake_node() on each
 * ("state = RUNNING", then FUTEX_WAKE, two steps).  The scan that removes
 * entries is one step here (m: the nodes taken).  What that hides: an
 * entry inserted during the scan is one whose sleeper has yet to re-read
 * the locked byte after its membarrier (it sees 0 and does not sleep: the
 * Dekker pair in qspinlock_pv.c), and an entry removed during it is one
 * its owner's CAS took first; both orders of each pair are explored.
 */
inline unlock_wake(L, m, ok)
{
	d_step {
		m = 0; ok = 0;
		do
		:: ok < NNODE ->
			if
			:: hash[ok] == L + 1 -> hash[ok] = 0; sleepers--; m = m | (1 << ok)
			:: else
			fi;
			ok++
		:: else -> break
		od;
		ok = 0
	}
	do
	:: m == 0 -> break
	:: m != 0 ->
		d_step {
			ok = 0;
			do
			:: (m & (1 << ok)) == 0 -> ok++
			:: else -> break
			od
		}
		pv_wake_node(ok);
		d_step { m = m & ~(1 << ok); ok = 0 }
	od
}

/*
 * queued_spin_unlock(): "store(locked, 0, RELEASE); signal fence;
 * if (load(ksync_qspinlock_sleepers)) ksync_queued_spin_unlock_wake()".
 */
inline qspin_unlock(L, m, ok)
{
	locked[L] = 0;
	if :: sleepers > 0 -> unlock_wake(L, m, ok) :: else fi
}

/* --- qspinlock.c: the slow path ---------------------------------------- */

/*
 * queued_spin_lock()'s queued_spin_trylock(), then pv_hybrid_trylock():
 * steal while polling; stop when pending is seen or the budget is spent.
 */
inline hybrid_trylock(L, ok)
{
	if
	:: steal_lock(L); ok = 1
	:: pending[L] -> ok = 0
	:: ok = 0			/* budget spent */
	fi
}

/*
 * pv_wait_node(): spin on node->locked (or give up: budget, or prev not
 * RUNNING), then "[S] state = HALTED; [L] node->locked" (seq_cst) and
 * sleep while HALTED; CAS HALTED -> RUNNING; return if locked.
 */
inline pv_wait_node(n, prev)
{
	do
	:: nlocked[n] -> break			/* load-acquire of node->locked */
	:: !nlocked[n] ->			/* spun out, or prev->state != RUNNING */
		nstate[n] = HALTED;
#ifdef MUT_NO_NODE_RECHECK
		futex_wait(n, HALTED);
#else
		if :: !nlocked[n] -> futex_wait(n, HALTED) :: else fi;
#endif
		atomic { if :: nstate[n] == HALTED -> nstate[n] = RUNNING :: else fi }
		if :: nlocked[n] -> break :: else fi	/* else: spurious */
	od
}

/*
 * pv_kick_node(): "CAS(next->state, HALTED, HASHED)"; if it was halted,
 * register it so that our unlock wakes it ("no room: wake it now").
 */
inline pv_kick_node(L, m, ok)
{
	atomic {
		if
		:: nstate[m] == HALTED -> nstate[m] = HASHED; ok = 1
		:: else -> ok = 0
		fi
	}
	if
	:: ok ->
#ifdef MUT_KICK_NO_HASH
		skip
#else
		pv_hash(L, m, ok);
		if :: !ok -> pv_wake_node(m) :: else fi
#endif
	:: else
	fi
}

/*
 * pv_head_sleep(): if not hashed yet: "state = HASHED; ksync_pv_hash()"
 * (full: RUNNING, a timed poll, return false), membarrier; then "if
 * (lock->locked) ksync_pv_wait(&node->state, HASHED)"; return
 * "state == HASHED".
 */
inline pv_head_sleep(L, n, hashed, ok)
{
	if
	:: !hashed ->
		nstate[n] = HASHED;
		pv_hash(L, n, ok);
		if
		:: !ok -> nstate[n] = RUNNING	/* then the timed poll: returns */
		:: else
		fi
	:: else -> ok = 1
	fi;
	if
	:: ok ->
		/* ksync_pv_membarrier(): a full fence; nothing under SC */
#ifdef MUT_NO_RECHECK
		futex_wait(n, HASHED);
#else
		if :: locked[L] -> futex_wait(n, HASHED) :: else fi;
#endif
		hashed = (nstate[n] == HASHED)
	:: else -> hashed = 0
	fi
}

/* pv_head_unhash(): leave the table, or wait for the unlocker's RUNNING. */
inline pv_head_unhash(L, n, ok)
{
	pv_unhash(L, n, ok);
	if
	:: !ok ->
		do
		:: nstate[n] == HASHED -> futex_wait(n, HASHED)
		:: else -> break
		od
	:: else
	fi;
	nstate[n] = RUNNING
}

/*
 * pv_wait_head_or_lock(): the steal phase (steal_lock() with backoff),
 * set_pending(), the pending phase (trylock_clear_pending()),
 * clear_pending(), pv_head_sleep(); at gotlock, pv_head_unhash().
 */
inline pv_wait_head_or_lock(L, n, hashed, ok)
{
	hashed = (nstate[n] == HASHED);
	do
	:: if
		:: starve[L]			/* starving: no steal phase */
		:: else ->
			if
			:: steal_lock(L); ok = 1	/* steal phase */
			:: ok = 0		/* PV_HEAD_STEAL_NS spent */
			fi;
			if :: ok -> break :: else fi;
			pending[L] = 1		/* set_pending() */
		fi;
		if
		:: trylock_clear_pending(L); ok = 1
		:: ok = 0			/* PV_SPIN_THRESHOLD_NS spent */
		fi;
		if :: ok -> break :: else fi;
		/* head for PV_HEAD_STARVE_NS yet?  Time is a choice here. */
		if
		:: !starve[L] -> starve[L] = 1
		:: true
		fi;
#ifdef MUT_STARVE_CLEARS_PENDING
		pending[L] = 0;
#else
		if :: !starve[L] -> pending[L] = 0 :: else fi;	/* clear_pending() */
#endif
		pv_head_sleep(L, n, hashed, ok)
	od;
	starve[L] = 0;				/* the head has the lock */
	if :: hashed -> pv_head_unhash(L, n, ok) :: else fi
}

inline node_claim(n)
{
	atomic { assert(!inuse[n]); inuse[n] = 1 }
}

/*
 * queued_spin_lock() -> ksync_qspin_lock_slowpath(): pv_hybrid_trylock(),
 * "idx = node->count++", node init, queued_spin_trylock(), xchg_tail(),
 * link to prev and pv_wait_node(), pv_wait_head_or_lock(), clear the tail
 * or hand the MCS lock to next and pv_kick_node(), "count--".
 */
inline qspin_lock(c, L, idx, n, prev, next, hashed, ok)
{
	hybrid_trylock(L, ok);
	if
	:: ok
	:: else ->
		if
		:: else ->
#ifdef MUT_COUNT_LATE
			idx = cnt[c];
			n = c * NIDX + idx;
			node_claim(n);
			nlocked[n] = 0; nnext[n] = 0; nstate[n] = RUNNING;
			cnt[c] = idx + 1;
#else
			idx = cnt[c];		/* idx = node->count++ */
			cnt[c] = idx + 1;
			n = c * NIDX + idx;	/* barrier(); then the node's init */
			node_claim(n);
			nlocked[n] = 0;
			nnext[n] = 0;
			nstate[n] = RUNNING;
#endif
			assert(idx < NIDX);	/* beyond: spin_without_node(), not modelled */
			/* queued_spin_trylock(): "We touched a cold line" */
			if
			:: steal_lock(L); ok = 1
			:: ok = 0
			fi;
			if
			:: ok
			:: else ->
				atomic { prev = tail[L]; tail[L] = n + 1 }	/* xchg_tail() */
				next = 0;
				if
				:: prev ->
					nnext[prev - 1] = n + 1;	/* prev->next = node */
					pv_wait_node(n, prev - 1);
					next = nnext[n]
				:: else
				fi;
				pv_wait_head_or_lock(L, n, hashed, ok);
				/* "(val & _Q_TAIL_MASK) == tail && CAS(val, LOCKED)" */
				atomic {
					if
					:: tail[L] == n + 1 -> tail[L] = 0; ok = 1
					:: else -> ok = 0
					fi
				}
				if
				:: !ok ->
					if
					:: next == 0 -> nnext[n] != 0; next = nnext[n]
					:: else
					fi;
					nlocked[next - 1] = 1;	/* store(next->locked, 1, SEQ_CST) */
					pv_kick_node(L, next - 1, ok)
				:: else
				fi
			fi;
			inuse[n] = 0;
			cnt[c] = cnt[c] - 1	/* release: qnodes[0].count-- */
		fi
	fi;
	/* Dead locals, cleared so that they do not split states. */
	d_step { idx = 0; n = 0; prev = 0; next = 0; hashed = 0; ok = 0 }
}

inline critical(L)
{
	atomic { incs[L]++; assert(incs[L] == 1) };
	incs[L]--
}

/* A task: NOPS lock/unlock pairs of lock L on CPU c. */
proctype task(byte c; byte L; byte nops) provided (!irq_on[c])
{
	byte idx, n, prev, next, m, ok;
	bool hashed;

	do
	:: nops > 0 ->
		qspin_lock(c, L, idx, n, prev, next, hashed, ok);
		critical(L);
		qspin_unlock(L, m, ok);
		nops--
	:: else -> break
	od
}

/* An interrupt on CPU c, at any step of its task: lock and unlock L. */
proctype irq(byte c; byte L) provided (irq_on[c] || !irq_done[c])
{
	byte idx, n, prev, next, m, ok;
	bool hashed;

	atomic { !irq_done[c] -> irq_on[c] = 1; irq_done[c] = 1 };
	qspin_lock(c, L, idx, n, prev, next, hashed, ok);
	critical(L);
	qspin_unlock(L, m, ok);
	irq_on[c] = 0
}

/*
 * Two systems, checked one after the other (check.sh):
 *  - default: three tasks queue on lock A (holder, head, queued node:
 *    the MCS hand-over, pv_kick_node(), the head's sleep, stealing);
 *  - NEST: CPU 0's task takes A, as does CPU 1's; an interrupt on CPU 0
 *    takes B (it may queue on B, with node index 1, when its polling
 *    budget is spent) while CPU 0's node 0 may be in A's queue.  (With a
 *    third task contending for B the search did not end in 5 minutes.)
 */
init {
	atomic {
#ifdef NEST
		run task(0, LA, 1);
		run irq(0, LB);
		run task(1, LA, 1);
#else
		run task(0, LA, 1);
		run task(1, LA, 1);
		run task(2, LA, 1);
#endif
	}
}
