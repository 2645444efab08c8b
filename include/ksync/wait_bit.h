/* SPDX-License-Identifier: MIT */
/*
 * <ksync/wait_bit.h> - waiting for a bit of a word, or for any variable,
 * on wait queues that the waited-for object does not have to contain.
 *
 *   wait_on_bit(word, bit, mode)		sleep until the bit is 0
 *   wait_on_bit_io(word, bit, mode)		the same (no I/O accounting)
 *   wait_on_bit_timeout(word, bit, mode, timeout)	-EAGAIN after timeout
 *   wait_on_bit_action(word, bit, action, mode)
 *   wait_on_bit_lock(word, bit, mode)	sleep until we set the bit
 *   wait_on_bit_lock_io(), wait_on_bit_lock_action(word, bit, action, mode)
 *   wake_up_bit(word, bit)			after clearing it
 *   clear_and_wake_up_bit(bit, word)	clear_bit_unlock(), a barrier, wake
 *   wait_var_event(var, cond)		sleep until cond, woken by
 *   wake_up_var(var)			(var: any address, the key)
 *   wait_var_event_timeout(var, cond, timeout)	0, or jiffies left (>= 1)
 *   wait_var_event_interruptible(var, cond)	0, or what
 *			wait_event_interruptible() returns on an interrupt
 *   wait_var_event_killable(var, cond)
 *
 * word is an unsigned long *, mode TASK_UNINTERRUPTIBLE, TASK_INTERRUPTIBLE
 * or TASK_KILLABLE; the wait_on_bit*() forms return 0, or -EINTR when
 * interrupted (the kernel's bit_wait() returns -EINTR too, not
 * -ERESTARTSYS), or -EAGAIN on timeout.
 *
 * As the kernel's kernel/sched/wait_bit.c: the queues are a table of 256
 * wait queue heads hashed by (word, bit) or by var, shared by everything
 * that waits this way; a wakeup goes only to the waiters whose key
 * matches (and, for bits, only if the bit is clear by then).  The rule
 * that keeps a wakeup from being lost is wait.h's: the waker clears the
 * bit (or makes cond true), then wakes; the waiter queues itself and sets
 * its state before it tests.  The kernel asks the waker for a barrier
 * between the two (smp_mb__after_atomic()); ksync's wake_up_bit() and
 * wake_up_var() test for waiters with wq_has_sleeper(), which orders
 * itself, so a missing barrier cannot lose a wakeup here.
 */
#ifndef _KSYNC_WAIT_BIT_H
#define _KSYNC_WAIT_BIT_H

#include <errno.h>
#include <ksync/compiler.h>
#include <ksync/bitops.h>
#include <ksync/jiffies.h>
#include <ksync/sched.h>
#include <ksync/wait.h>

struct wait_bit_key {
	void *flags;		/* the word, or the variable */
	int bit_nr;		/* -1: a variable */
	unsigned long timeout;	/* absolute, in jiffies (the _timeout forms) */
};

struct wait_bit_queue_entry {
	struct wait_bit_key key;
	struct wait_queue_entry wq_entry;
};

#define __WAIT_BIT_KEY_INITIALIZER(word, bit)				\
	{ .flags = (word), .bit_nr = (bit), }

typedef int wait_bit_action_f(struct wait_bit_key *key, int mode);

KSYNC_API struct wait_queue_head *ksync_bit_waitqueue(void *word, int bit);
KSYNC_API struct wait_queue_head *ksync___var_waitqueue(void *p);
KSYNC_API int ksync_wake_bit_function(struct wait_queue_entry *wq_entry,
				      unsigned int mode, int sync, void *key);
KSYNC_API int ksync___wait_on_bit(struct wait_queue_head *wq_head,
				  struct wait_bit_queue_entry *wbq_entry,
				  wait_bit_action_f *action, unsigned int mode);
KSYNC_API int ksync___wait_on_bit_lock(struct wait_queue_head *wq_head,
				       struct wait_bit_queue_entry *wbq_entry,
				       wait_bit_action_f *action,
				       unsigned int mode);
KSYNC_API int ksync_out_of_line_wait_on_bit(void *word, int bit,
					    wait_bit_action_f *action,
					    unsigned int mode);
KSYNC_API int ksync_out_of_line_wait_on_bit_timeout(void *word, int bit,
						    wait_bit_action_f *action,
						    unsigned int mode,
						    unsigned long timeout);
KSYNC_API int ksync_out_of_line_wait_on_bit_lock(void *word, int bit,
						 wait_bit_action_f *action,
						 unsigned int mode);
KSYNC_API void ksync___wake_up_bit(struct wait_queue_head *wq_head, void *word,
				   int bit);
KSYNC_API void ksync_wake_up_bit(void *word, int bit);
KSYNC_API void ksync_init_wait_var_entry(struct wait_bit_queue_entry *wbq_entry,
					 void *var, int flags);
KSYNC_API void ksync_wake_up_var(void *var);
KSYNC_API int ksync_bit_wait(struct wait_bit_key *key, int mode);
KSYNC_API int ksync_bit_wait_timeout(struct wait_bit_key *key, int mode);

#define bit_waitqueue(word, bit)	ksync_bit_waitqueue((word), (bit))
#define __var_waitqueue(p)		ksync___var_waitqueue(p)
#define wake_bit_function		ksync_wake_bit_function
#define __wait_on_bit			ksync___wait_on_bit
#define __wait_on_bit_lock		ksync___wait_on_bit_lock
#define out_of_line_wait_on_bit		ksync_out_of_line_wait_on_bit
#define out_of_line_wait_on_bit_timeout	ksync_out_of_line_wait_on_bit_timeout
#define out_of_line_wait_on_bit_lock	ksync_out_of_line_wait_on_bit_lock
#define __wake_up_bit(wq_head, word, bit) ksync___wake_up_bit((wq_head), (word), (bit))
#define wake_up_bit(word, bit)		ksync_wake_up_bit((word), (bit))
#define init_wait_var_entry(wbq_entry, var, flags)			\
	ksync_init_wait_var_entry((wbq_entry), (var), (flags))
#define wake_up_var(var)		ksync_wake_up_var(var)
#define bit_wait			ksync_bit_wait
#define bit_wait_io			ksync_bit_wait
#define bit_wait_timeout		ksync_bit_wait_timeout
#define bit_wait_io_timeout		ksync_bit_wait_timeout

/* For the current thread; begins its wait (see wait.h). */
#define DEFINE_WAIT_BIT(name, word, bit)				\
	struct wait_bit_queue_entry name = {				\
		.key = __WAIT_BIT_KEY_INITIALIZER(word, bit),		\
		.wq_entry = {						\
			.flags = 0,					\
			.private = ksync_wait_entry_task(ksync_current()), \
			.func = wake_bit_function,			\
			.entry = KSYNC_LIST_HEAD_INIT((name).wq_entry.entry), \
		},							\
	}

/* --- waiting for a bit ---------------------------------------------------- */

#define __KSYNC_WB_MIGHT_SLEEP(what)	__ksync_might_sleep(KSYNC_SITE(what), 0)

/* Acquire: a 0 seen here sees what the clearer did before clearing. */
#define wait_on_bit_action(word, bit, action, mode)			\
	({								\
		unsigned long *__ksync_wb_word = (word);		\
		int __ksync_wb_bit = (bit);				\
		__KSYNC_WB_MIGHT_SLEEP("wait_on_bit");			\
		!test_bit_acquire((unsigned long)__ksync_wb_bit, __ksync_wb_word) ? 0 : \
		out_of_line_wait_on_bit(__ksync_wb_word, __ksync_wb_bit, \
					(action), (mode));		\
	})
#define wait_on_bit(word, bit, mode)					\
	wait_on_bit_action(word, bit, bit_wait, mode)
#define wait_on_bit_io(word, bit, mode)					\
	wait_on_bit_action(word, bit, bit_wait_io, mode)

#define wait_on_bit_timeout(word, bit, mode, timeout)			\
	({								\
		unsigned long *__ksync_wb_word = (word);		\
		int __ksync_wb_bit = (bit);				\
		__KSYNC_WB_MIGHT_SLEEP("wait_on_bit_timeout");		\
		!test_bit_acquire((unsigned long)__ksync_wb_bit, __ksync_wb_word) ? 0 : \
		out_of_line_wait_on_bit_timeout(__ksync_wb_word,	\
				__ksync_wb_bit, bit_wait_timeout,	\
				(mode), (timeout));			\
	})

/* test_and_set_bit() is fully ordered: taking the bit acquires. */
#define wait_on_bit_lock_action(word, bit, action, mode)		\
	({								\
		unsigned long *__ksync_wb_word = (word);		\
		int __ksync_wb_bit = (bit);				\
		__KSYNC_WB_MIGHT_SLEEP("wait_on_bit_lock");		\
		!test_and_set_bit((unsigned long)__ksync_wb_bit, __ksync_wb_word) ? 0 : \
		out_of_line_wait_on_bit_lock(__ksync_wb_word,		\
					     __ksync_wb_bit, (action), (mode)); \
	})
#define wait_on_bit_lock(word, bit, mode)				\
	wait_on_bit_lock_action(word, bit, bit_wait, mode)
#define wait_on_bit_lock_io(word, bit, mode)				\
	wait_on_bit_lock_action(word, bit, bit_wait_io, mode)

/*
 * Release the bit and wake its waiters.  clear_bit_unlock() is a release;
 * the kernel's smp_mb__after_atomic() orders it before the test for
 * waiters, which wake_up_bit() does itself here (see the top).
 */
static __always_inline void clear_and_wake_up_bit(int bit, void *word)
{
	clear_bit_unlock((unsigned long)bit, (unsigned long *)word);
	smp_mb__after_atomic();
	wake_up_bit(word, bit);
}

/* --- waiting for a variable ----------------------------------------------- */

/*
 * The kernel's ___wait_var_event(): wait.h's loop, on var's hashed queue,
 * with an entry that only wake_up_var(var) wakes.  The value an
 * interrupted interruptible or killable wait returns is whatever
 * prepare_to_wait_event() returns (wait.h), the same as the
 * wait_event_interruptible() family's.
 */
#define ___ksync_wait_var_event(var, condition, state, exclusive, ret, cmd) \
	({								\
		__label__ __out;					\
		static const struct ksync_site __ksync_wv_site_rec = {	\
			__FILE__, __func__, "__var_waitqueue(" #var ")", __LINE__ \
		};							\
		const struct ksync_site *__wq_site = &__ksync_wv_site_rec; \
		struct wait_queue_head *__wq_head = __var_waitqueue(var); \
		struct wait_bit_queue_entry __wbq_entry;		\
		uint64_t __wq_deadline __maybe_unused = 0;		\
		long __ret = (ret);					\
									\
		init_wait_var_entry(&__wbq_entry, (var),		\
				    (exclusive) ? WQ_FLAG_EXCLUSIVE : 0); \
		for (;;) {						\
			long __int = ksync_prepare_to_wait_event(__wq_head, \
						&__wbq_entry.wq_entry,	\
						(state), __wq_site);	\
									\
			if (condition)					\
				break;					\
			if (___wait_is_interruptible(state) && __int) {	\
				__ret = __int;				\
				goto __out;				\
			}						\
			cmd;						\
		}							\
		ksync_finish_wait(__wq_head, &__wbq_entry.wq_entry, __wq_site); \
__out:		__ret;							\
	})

#define __KSYNC_WV_MIGHT_SLEEP()	__KSYNC_WB_MIGHT_SLEEP("wait_var_event")

#define wait_var_event(var, condition)					\
	do {								\
		__KSYNC_WV_MIGHT_SLEEP();				\
		if (condition)						\
			break;						\
		(void)___ksync_wait_var_event(var, condition,		\
					      TASK_UNINTERRUPTIBLE, 0, 0, \
					      ksync_schedule());	\
	} while (0)

#define __ksync_wait_var_event_status(var, condition, state)		\
	({								\
		int __ksync_wv_r = 0;					\
									\
		__KSYNC_WV_MIGHT_SLEEP();				\
		if (!(condition))					\
			__ksync_wv_r = (int)___ksync_wait_var_event(var, \
					condition, state, 0, 0,		\
					ksync_schedule());		\
		__ksync_wv_r;						\
	})

#define wait_var_event_interruptible(var, condition)			\
	__ksync_wait_var_event_status(var, condition, TASK_INTERRUPTIBLE)
#define wait_var_event_killable(var, condition)				\
	__ksync_wait_var_event_status(var, condition, TASK_KILLABLE)

/* 0 if it timed out with condition false, else the jiffies left (>= 1). */
#define wait_var_event_timeout(var, condition, timeout)			\
	({								\
		long __ret = (timeout);					\
									\
		__KSYNC_WV_MIGHT_SLEEP();				\
		if (!___wait_cond_timeout(condition)) {			\
			long __ksync_wv_t = __ret;			\
									\
			__ret = ___ksync_wait_var_event(var,		\
					___wait_cond_timeout(condition), \
					TASK_UNINTERRUPTIBLE, 0, __ksync_wv_t, \
					__ksync_wait_sleep_timeout());	\
		}							\
		__ret;							\
	})

#endif /* _KSYNC_WAIT_BIT_H */
