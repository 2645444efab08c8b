/*
 * rwsem.pml - ksync's rw_semaphore as src/locking/rwsem.c and
 * include/ksync/rwsem.h implement it: the count word (reader count,
 * WRITER_LOCKED, WAITERS, HANDOFF and ksync's own WOKEN), the fast paths,
 * the reader's steal and queueing, the writer's queueing and retry loop,
 * rwsem_mark_wake() (a writer alone, or every queued reader granted by
 * clearing waiter->task after all biases are added), the handoff, and
 * WOKEN: while the first waiter is an awake writer, unlocks do not wake
 * it and stealing readers do not look at the queue.
 *
 * Why this lock and not the qrwlock: the qrwlock's waiters queue on its
 * wait_lock, a qspinlock, so its wake-up path is qspinlock.pml's; the
 * rwsem has its own wake-up logic, and WOKEN (with the re-check in
 * rwsem_writer_may_sleep()) is ksync's, not the kernel's.
 *
 * Systems: default: two writers and a reader; -DTWO_READERS: two readers and
 * a writer.  Each thread takes the lock once.  wait_lock is an atomic
 * test-and-set; each CAS loop on count is one atomic read-modify-write.
 * The writer's optimistic spin (rwsem_spin.c) is a choice: take the lock
 * unqueued at a moment rwsem_try_write_lock_unqueued() would succeed, or
 * queue.  "Waited longer than RWSEM_WAIT_TIMEOUT" is a free choice; so
 * is the reader's "readers own it and someone waits: queue" hint (it
 * reads the owner field, a hint).  A writer that asked for a handoff may
 * skip a sleep (rwsem_spin_on_owner() saw the owner leave).  Signals are
 * not modelled.
 *
 * Checked (models/check.sh): exclusion (a writer alone; readers only
 * without a writer); every reader inside has its bias in count; no lost
 * wake-up (every thread ends); count is 0, every flag clear, once all
 * have ended.
 *
 * Mutants: MUT_NO_WOKEN_RECHECK (rwsem_writer_may_sleep() clears WOKEN
 * but does not look at whether the lock became free), MUT_UP_READ_WAKE_WOKEN
 * (up_read() wakes only when WOKEN is set: the test inverted),
 * MUT_GRANT_BEFORE_BIAS (rwsem_mark_wake() clears waiter->task before it
 * adds the readers' biases).
 */

#define NT	3
#ifndef SPURIOUS
#define SPURIOUS 1
#endif

#define RUNNING	 0
#define SLEEPING 1

#define WRITE	0
#define READ	1

#define ANY		0	/* RWSEM_WAKE_ANY */
#define READERS		1	/* RWSEM_WAKE_READERS */
#define READ_OWNED	2	/* RWSEM_WAKE_READ_OWNED */

/* sem->count */
bool cwriter;			/* RWSEM_WRITER_LOCKED */
bool cwaiters;			/* RWSEM_FLAG_WAITERS */
bool choff;			/* RWSEM_FLAG_HANDOFF */
bool cwoken;			/* RWSEM_FLAG_WOKEN */
byte creaders;			/* count >> RWSEM_READER_SHIFT */

bool wl;			/* sem->wait_lock */
bool inlist[NT];		/* sem->wait_list */
byte qseq[NT];
byte seq;
byte wtype[NT];			/* waiter->type */
bool wtask[NT];			/* waiter->task != NULL */
bool hoset[NT];			/* waiter->handoff_set */
byte state[NT];			/* cpu->state: futex word */
bool fsleep[NT];

/* Ghosts. */
byte nwriters, nreaders;
byte spurious = SPURIOUS;

#define LOCKED		(cwriter || creaders > 0)
#define is_first(t) (inlist[t] && \
	(!inlist[(t + 1) % NT] || qseq[t] < qseq[(t + 1) % NT]) && \
	(!inlist[(t + 2) % NT] || qseq[t] < qseq[(t + 2) % NT]))
#define list_empty	(!inlist[0] && !inlist[1] && !inlist[2])

inline wait_lock()
{
	atomic { !wl -> wl = 1 }
}

inline wait_unlock()
{
	wl = 0
}

inline futex_wait(t)
{
	atomic { if :: state[t] == SLEEPING -> fsleep[t] = 1 :: else fi }
	if
	:: !fsleep[t]
	:: atomic { fsleep[t] && spurious > 0 -> spurious--; fsleep[t] = 0 }
	fi
}

inline schedule(t)
{
	do
	:: state[t] == RUNNING -> break
	:: else -> futex_wait(t)
	od
}

/* wake_up_q(): ksync_wake_cpu() on each thread collected in wq. */
inline wake_up_q(wq, t)
{
	t = 0;
	do
	:: t < NT ->
		if
		:: wq & (1 << t) ->
			atomic { if :: state[t] != RUNNING -> state[t] = RUNNING; fsleep[t] = 0 :: else fi }
		:: else
		fi;
		t++
	:: else -> break
	od;
	wq = 0; t = 0
}

inline first_waiter(f)
{
	d_step {
		f = NT;
		if
		:: is_first(0) -> f = 0
		:: is_first(1) -> f = 1
		:: is_first(2) -> f = 2
		:: else
		fi
	}
}

/*
 * rwsem_mark_wake(sem, type, wake_q), wait_lock held, list not empty.
 * A writer first: with ANY, rwsem_mark_writer_woken() ("fetch_or(WOKEN)")
 * and wake it if WOKEN was clear.  Readers: rwsem_grant_first_reader()
 * (unless READ_OWNED): "fetch_add(BIAS)"; a writer there: back out (and,
 * waited too long, set HANDOFF); then collect every queued reader, add
 * their biases (clearing WAITERS, HANDOFF as the C does), and only then
 * rwsem_grant_readers(): "store(waiter->task, NULL)", wake_q_add.
 */
inline mark_wake(type, wq, f, t, n)
{
	first_waiter(f);
	if
	:: wtype[f] == WRITE ->
		if
		:: type == ANY ->
			atomic { if :: !cwoken -> cwoken = 1; wq = wq | (1 << f) :: else -> cwoken = 1 fi }
		:: else
		fi
	:: else ->
		n = 0;				/* adjustment, in readers */
		if
		:: type != READ_OWNED ->
			atomic { creaders++; n = cwriter }	/* fetch_add_acquire(BIAS) */
			if
			:: n ->				/* a writer holds it: back out */
				if
				:: hoset[f] = 1;		/* waited too long: ask for a handoff */
					atomic { creaders--; choff = 1 }
				:: atomic { creaders-- }
				fi;
				n = 255
			:: else -> n = 1
			fi
		:: else
		fi;
		if
		:: n == 255 -> n = 0
		:: else ->
			/* rwsem_collect_readers(): off the list, into wlist (t: bits) */
			d_step {
				t = 0;
				if :: inlist[0] && wtype[0] == READ -> inlist[0] = 0; t = t | 1 :: else fi;
				if :: inlist[1] && wtype[1] == READ -> inlist[1] = 0; t = t | 2 :: else fi;
				if :: inlist[2] && wtype[2] == READ -> inlist[2] = 0; t = t | 4 :: else fi
			}
#ifdef MUT_GRANT_BEFORE_BIAS
			grant_readers(t, wq);
#endif
			atomic {
				creaders = creaders + ((t & 1) != 0) + ((t & 2) != 0) + ((t & 4) != 0) - n;
				if
				:: list_empty -> cwaiters = 0; choff = 0
				:: !list_empty && t != 0 -> choff = 0
				:: else
				fi
			}
#ifndef MUT_GRANT_BEFORE_BIAS
			grant_readers(t, wq);
#endif
			t = 0; n = 0
		fi
	fi;
	f = 0
}

/* rwsem_grant_readers(): "store(waiter->task, NULL, SEQ_CST); wake_q_add". */
inline grant_readers(t, wq)
{
	if :: t & 1 -> wtask[0] = 0; wq = wq | 1 :: else fi;
	if :: t & 2 -> wtask[1] = 0; wq = wq | 2 :: else fi;
	if :: t & 4 -> wtask[2] = 0; wq = wq | 4 :: else fi
}

/* rwsem_cond_wake_waiter(sem, count): no writer: READERS if readers hold it, else ANY. */
inline cond_wake(cw, cr, wq, f, t, n)
{
	if
	:: cw -> skip
	:: !cw && cr > 0 -> mark_wake(READERS, wq, f, t, n)
	:: !cw && cr == 0 -> mark_wake(ANY, wq, f, t, n)
	fi
}

/* rwsem_wake(sem, type): wait_lock; mark_wake if queued; unlock; wake_up_q. */
inline rwsem_wake(type, wq, f, t, n)
{
	wait_lock();
	if :: !list_empty -> mark_wake(type, wq, f, t, n) :: else fi;
	wait_unlock();
	wake_up_q(wq, t)
}

/* rwsem_del_waiter() for a writer leaving with the lock: see try_write_lock. */

/*
 * down_read(): "count = add_return_acquire(BIAS)"; failed if WRITER,
 * WAITERS or HANDOFF: ksync_down_read_slowpath().  Also taken in the
 * fast path: WAITERS with WOKEN, no WRITER or HANDOFF, and the only
 * reader (__ksync_rwsem_read_passes_woken(): what the steal below does).
 */
inline down_read(me, wq, f, t, n, cw, cr, ok)
{
	atomic { creaders++; cw = cwriter; cr = creaders;
		 ok = !(cwriter || cwaiters || choff) ||
		      (!cwriter && !choff && cwaiters && cwoken && creaders == 1);
		 n = cwaiters; t = cwoken; f = choff }
	if
	:: ok
	:: else ->
		/* "readers own it and someone waits: queue behind the waiter" (a hint) */
		if
		:: cr > 1 && !cw -> ok = 0
		:: !cw && !f -> ok = 1
		:: else -> ok = 0
		fi;
		if
		:: ok ->
			/* rwsem_read_steal(): the first reader in lets the queued readers in */
			if
			:: cr == 1 && n && !t ->
				wait_lock();
				if :: !list_empty -> mark_wake(READ_OWNED, wq, f, t, n) :: else fi;
				wait_unlock();
				wake_up_q(wq, t)
			:: else
			fi
		:: else ->
			d_step { wtype[me] = READ; wtask[me] = 1; hoset[me] = 0; n = 0; t = 0; f = 0 }
			wait_lock();
			if
			:: list_empty && !cwriter ->	/* our bias is in: ours */
				wait_unlock(); ok = 1
			:: else ->
				ok = list_empty;	/* adjustment += WAITERS */
				d_step { inlist[me] = 1; qseq[me] = seq; seq++ }
				atomic {
					creaders--;
					if :: ok -> cwaiters = 1 :: else fi;
					cw = cwriter; cr = creaders
				}
				cond_wake(cw, cr, wq, f, t, n);
				wait_unlock();
				wake_up_q(wq, t);
				/* rwsem_read_wait() */
				do
				:: state[me] = SLEEPING;		/* set_current_state() */
					if
					:: !wtask[me] -> break		/* load(waiter->task, SEQ_CST) */
					:: else -> schedule(me)
					fi
				od;
				state[me] = RUNNING
			fi
		fi
	fi;
	d_step { cw = 0; cr = 0; ok = 0; f = 0; t = 0; n = 0 }
}

/* up_read(): "count = add_return_release(-BIAS)"; wake if WAITERS alone. */
inline up_read(wq, f, t, n, ok)
{
	atomic {
		creaders--;
#ifdef MUT_UP_READ_WAKE_WOKEN
		ok = creaders == 0 && !cwriter && cwaiters && cwoken
#else
		ok = creaders == 0 && !cwriter && cwaiters && !cwoken
#endif
	}
	if :: ok -> rwsem_wake(ANY, wq, f, t, n) :: else fi;
	ok = 0
}

/*
 * rwsem_try_write_lock(sem, waiter), wait_lock held: the CAS loop as one
 * step.  ok: we own it (off the list).
 */
inline try_write_lock(me, f, ok)
{
	first_waiter(f);
	atomic {
		ok = 0;
		if
		:: choff && hoset[f] && me != f -> skip
		:: else ->
			if
			:: LOCKED ->
				if
				:: !choff -> choff = 1; hoset[f] = 1	/* waited too long */
				:: skip
				fi
			:: else ->
				cwriter = 1; choff = 0;
				if :: me == f -> cwoken = 0 :: else fi;
				if
				:: (inlist[0] + inlist[1] + inlist[2]) == 1 -> cwaiters = 0
				:: else
				fi;
				inlist[me] = 0; ok = 1
			fi
		fi
	}
	f = 0
}

/* rwsem_writer_may_sleep(): first: "count = fetch_andnot(WOKEN)"; sleep if still held. */
inline writer_may_sleep(me, ok)
{
	if
	:: is_first(me) ->
		atomic {
			cwoken = 0;
#ifdef MUT_NO_WOKEN_RECHECK
			ok = 1
#else
			ok = LOCKED
#endif
		}
	:: else -> ok = 1
	fi
}

/*
 * down_write(): "CAS(count, 0, WRITER_LOCKED)", else
 * ksync_down_write_slowpath(): optimistic spin (a choice), else
 * rwsem_queue_writer(), set_current_state(), and the loop: try, may
 * sleep?, unlock, sleep, set state, lock.
 */
inline down_write(me, wq, f, t, n, cw, cr, ok)
{
	atomic {
		if
		:: !LOCKED && !cwaiters && !choff && !cwoken -> cwriter = 1; ok = 1
		:: else -> ok = 0
		fi
	}
	if
	:: ok
	:: else ->
		if
		:: atomic { !LOCKED && !choff -> cwriter = 1; ok = 1 }	/* spun and took it */
		:: ok = 0
		fi;
		if
		:: ok
		:: else ->
			d_step { wtype[me] = WRITE; wtask[me] = 1; hoset[me] = 0 }
			/* rwsem_queue_writer() */
			wait_lock();
			d_step { inlist[me] = 1; qseq[me] = seq; seq++ }
			if
			:: !is_first(me) ->
				atomic { cw = cwriter; cr = creaders }
				cond_wake(cw, cr, wq, f, t, n);
				if
				:: wq != 0 -> wait_unlock(); wake_up_q(wq, t); wait_lock()
				:: else
				fi
			:: else -> atomic { cwaiters = 1; cwoken = 1 }
			fi;
			state[me] = SLEEPING;
			do
			:: try_write_lock(me, f, ok);
				if
				:: ok -> break
				:: else
				fi;
				writer_may_sleep(me, ok);
				if
				:: !ok -> skip		/* try again */
				:: ok ->
					wait_unlock();
					if
					:: hoset[me] -> skip	/* spun on the owner: it left */
					:: schedule(me); state[me] = SLEEPING
					fi;
					wait_lock()
				fi
			od;
			state[me] = RUNNING;
			wait_unlock()
		fi
	fi;
	d_step { cw = 0; cr = 0; ok = 0; f = 0; t = 0; n = 0 }
}

/* up_write(): "count = fetch_add_release(-WRITER_LOCKED)"; wake if WAITERS without WOKEN. */
inline up_write(wq, f, t, n, ok)
{
	atomic { cwriter = 0; ok = cwaiters && !cwoken }
	if :: ok -> rwsem_wake(ANY, wq, f, t, n) :: else fi;
	ok = 0
}

proctype reader(byte me)
{
	byte wq, f, t, n, cr;
	bool cw, ok;

	down_read(me, wq, f, t, n, cw, cr, ok);
	/* exclusion, and every reader inside has its bias in count */
	atomic { nreaders++; assert(nwriters == 0 && creaders >= nreaders) };
	nreaders--;
	up_read(wq, f, t, n, ok)
}

proctype writer(byte me)
{
	byte wq, f, t, n, cr;
	bool cw, ok;

	down_write(me, wq, f, t, n, cw, cr, ok);
	atomic { nwriters++; assert(nwriters == 1 && nreaders == 0) };
	nwriters--;
	up_write(wq, f, t, n, ok)
}

init {
	atomic {
#ifdef TWO_READERS
		run reader(0);
		run reader(1);
		run writer(2)
#else
		run writer(0);
		run writer(1);
		run reader(2)
#endif
	}
	_nr_pr == 1;
	assert(!cwriter && creaders == 0 && !cwaiters && !choff && !cwoken && list_empty)
}
