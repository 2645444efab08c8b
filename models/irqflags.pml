/*
 * irqflags.pml - ksync's soft interrupt mask as include/ksync/irqflags.h,
 * src/context/irqflags.c and src/context/irq.c implement it: the per-thread
 * flag ksync_tls.irqs_off, local_irq_save()/restore() and
 * local_irq_disable()/enable() nesting, the counted
 * local_interrupt_disable()/enable(), the signal dispatcher that holds
 * back an interrupt arriving while masked (irq_held[] counts, irq_pending
 * bits), and the replay in ksync_irq_replay() when the mask is cleared.
 *
 * One CPU (thread).  An interrupt is a signal: the dispatcher runs between
 * any two steps of the task (each step is one load or store of the C
 * code), and runs to its end before the task goes on; the dispatcher
 * blocks every requested signal while it runs (the sigaction mask), so an
 * interrupt raised meanwhile is delivered when it returns.  Interrupts
 * also arrive during the task's replay loop, which runs with signals
 * unblocked.  Two interrupt numbers (signals), NIRQ deliveries in all.
 *
 * Checked (models/check.sh):
 *  - no handler runs while masked: a handler never runs inside one of the
 *    task's masked regions, and always runs with the mask set;
 *  - every interrupt delivered is handled exactly once: never more
 *    handled than delivered, and when the task has finished (mask clear)
 *    each number was handled as often as it was delivered;
 *  - the counted disable: only the outermost local_interrupt_disable()
 *    masks, only the last local_interrupt_enable() unmasks.
 * (The kernel merges a standard signal raised twice while it is blocked
 * or pending: "delivered" counts deliveries, as a level-triggered line.)
 *
 * Mutants (check.sh -D...): MUT_NO_REPLAY (arch_local_irq_enable() does
 * not look at irq_pending), MUT_CHECK_THEN_CLEAR (it reads irq_pending
 * before clearing the mask), MUT_TAKE_COUNT_FIRST (take_held_irq() takes
 * the count before clearing the pending bit), MUT_COUNT_NO_SAVE
 * (local_interrupt_disable() saves the flags at every level, so the
 * outermost enable restores "disabled").
 */

#ifndef NIRQ
#define NIRQ	3
#endif

bool irqs_off;			/* ksync_tls.irqs_off */
byte irq_pending;		/* ksync_tls.irq_pending: bit (irq - 1) */
byte irq_held[3];		/* ksync_tls.irq_held[irq] */
byte count;			/* ksync_tls.irq_disable_count */
bool saved;			/* ksync_tls.irq_disable_saved */

/* Ghosts. */
bool in_sig;			/* the dispatcher runs */
bool task_cs;			/* the task is inside a masked region */
bool done;			/* the task has finished */
byte delivered[3];
byte handled[3];
byte left = NIRQ;

/* run_actions(irq): the handlers, with the mask set. */
inline run_actions(irq)
{
	assert(irqs_off && !task_cs);
	handled[irq]++;
	assert(handled[irq] <= delivered[irq])
}

/*
 * take_held_irq(): "pending = load(irq_pending); irq = ctz + 1;
 * fetch_and(irq_pending, ~bit); count = exchange(irq_held[irq], 0)".
 */
inline take_held_irq(irq, n)
{
	if
	:: irq_pending == 0 -> irq = 0
	:: else ->
		irq = ((irq_pending & 1) -> 1 : 2);
#ifdef MUT_TAKE_COUNT_FIRST
		atomic { n = irq_held[irq]; irq_held[irq] = 0 };
		irq_pending = irq_pending & ~(1 << (irq - 1));
#else
		irq_pending = irq_pending & ~(1 << (irq - 1));
		atomic { n = irq_held[irq]; irq_held[irq] = 0 }	/* exchange */
#endif
	fi
}

/* ksync_irq_run_held(): "while ((irq = take_held_irq(&count))) while (count--) run_actions(irq)" */
inline run_held(irq, n)
{
	do
	:: take_held_irq(irq, n);
		if
		:: irq == 0 -> break
		:: else ->
			do
			:: n > 0 -> run_actions(irq); n--
			:: else -> break
			od
		fi
	od
}

/*
 * ksync_irq_replay(): "while (irq_pending && !irqs_off) { irqs_off = 1;
 * irq_enter; ksync_irq_run_held(); irq_exit; irqs_off = 0 }".
 */
inline irq_replay(irq, n)
{
	do
	:: irq_pending != 0 && !irqs_off ->
		irqs_off = 1;
		run_held(irq, n);
		irqs_off = 0
	:: else -> break
	od
}

/*
 * arch_local_irq_enable(): "store(irqs_off, 0); barrier();
 * if (load(irq_pending)) ksync_irq_replay()".
 */
inline irq_enable(irq, n)
{
#if defined(MUT_NO_REPLAY)
	irqs_off = 0
#elif defined(MUT_CHECK_THEN_CLEAR)
	if
	:: irq_pending != 0 -> irqs_off = 0; irq_replay(irq, n)
	:: else -> irqs_off = 0
	fi
#else
	irqs_off = 0;
	if :: irq_pending != 0 -> irq_replay(irq, n) :: else fi
#endif
}

/* arch_local_irq_save(): "flags = arch_local_save_flags(); arch_local_irq_disable()" */
inline irq_save(f)
{
	f = irqs_off;
	irqs_off = 1
}

/* arch_local_irq_restore(flags): "if (!disabled(flags)) arch_local_irq_enable()" */
inline irq_restore(f, irq, n)
{
	if :: !f -> irq_enable(irq, n) :: else fi
}

/*
 * __ksync_local_interrupt_disable(): "flags = local_irq_save(); n =
 * count; count = n + 1; if (n == 0) saved = flags".
 */
inline interrupt_disable(f, k)
{
	irq_save(f);
	k = count;
	count = k + 1;
#ifdef MUT_COUNT_NO_SAVE
	saved = f;
#else
	if :: k == 0 -> saved = f :: else fi;
#endif
	f = 0; k = 0
}

/* __ksync_local_interrupt_enable(): "n = count; count = n - 1; if (n == 1) local_irq_restore(saved)" */
inline interrupt_enable(f, k, irq, n)
{
	k = count;
	count = k - 1;
	if :: k == 1 -> f = saved; irq_restore(f, irq, n) :: else fi;
	f = 0; k = 0
}

/*
 * irq_dispatcher(sig): "if (irqs_off) { irq_held[sig]++; irq_pending |=
 * bit } else handle_irq(sig)"; handle_irq(): "arch_local_irq_disable();
 * irq_enter(); run_actions(irq); ksync_irq_run_held(); irq_exit();
 * arch_local_irq_enable()".
 */
proctype dispatcher()
{
	byte sig, irq, n;

	do
	:: atomic { !done && left > 0 && !in_sig -> in_sig = 1; left-- };
		if :: sig = 1 :: sig = 2 fi;
		delivered[sig]++;
		if
		:: irqs_off ->
			irq_held[sig]++;
			irq_pending = irq_pending | (1 << (sig - 1))
		:: else ->
			irqs_off = 1;
			run_actions(sig);
			run_held(irq, n);
			irq_enable(irq, n)
		fi;
		atomic { sig = 0; irq = 0; n = 0; in_sig = 0 }
	:: left == 0 || done -> break
	od
}

/* A masked region of the task, in which no handler may run. */
inline masked_section()
{
	assert(irqs_off);
	task_cs = 1;
	task_cs = 0
}

proctype task() provided (!in_sig)
{
	bool f1, f2, f;
	byte k, irq, n;

	/* local_irq_save() nested in local_irq_save() */
	irq_save(f1);
	masked_section();
	irq_save(f2);
	masked_section();
	irq_restore(f2, irq, n);
	masked_section();
	irq_restore(f1, irq, n);
	assert(!irqs_off);

	/* local_interrupt_disable() nested twice, inner enable first */
	interrupt_disable(f, k);
	masked_section();
	interrupt_disable(f, k);
	masked_section();
	interrupt_enable(f, k, irq, n);
	masked_section();
	interrupt_enable(f, k, irq, n);
	assert(!irqs_off && count == 0);

	/* local_irq_disable(), local_irq_enable() */
	irqs_off = 1;
	masked_section();
	irq_enable(irq, n);

	atomic {
		done = 1;
		assert(!irqs_off && irq_pending == 0);
		assert(handled[1] == delivered[1] && handled[2] == delivered[2])
	}
}

init {
	atomic {
		run task();
		run dispatcher()
	}
}
