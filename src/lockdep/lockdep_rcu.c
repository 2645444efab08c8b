// SPDX-License-Identifier: MIT
/*
 * Lockdep's RCU checks (the kernel's CONFIG_PROVE_RCU): the report that
 * RCU_LOCKDEP_WARN() prints, "WARNING: suspicious RCU usage", and the
 * switch that says whether those checks run.  RCU itself (liburcu) is in
 * src/locking/rcu.c; this part needs no liburcu, so the checks exist, and
 * are exported, in every build.
 */
#define _GNU_SOURCE
#include <ksync/debug_locks.h>
#include <ksync/lockdep.h>
#include "cpu.h"
#include "debug_checks.h"
#include "site.h"
#include "lockdep_internal.h"
#include "report.h"

/*
 * The kernel's debug_lockdep_rcu_enabled(): the validator is on
 * (KSYNC_LOCKDEP), has not stopped after a report, and this thread is not
 * inside lockdep or lockdep_off().
 */
KSYNC_API int ksync_debug_lockdep_rcu_enabled(void)
{
	return (__atomic_load_n(&ksync_debug_flags, __ATOMIC_RELAXED) & KSYNC_DEBUG_LOCKDEP) &&
	       ksync_lockdep_tracking();
}

/*
 * The kernel's lockdep_rcu_suspicious(), in its layout.  As there, the
 * report leaves lockdep on (RCU_LOCKDEP_WARN() prints once per site), and
 * says when an earlier report had turned it off.
 */
KSYNC_API void ksync_lockdep_rcu_suspicious(const char *file, int line, const char *s)
{
	int dl = __atomic_load_n(&ksync_debug_locks, __ATOMIC_RELAXED);
	const char *slash = __builtin_strrchr(file, '/');

	ksync_report_lock();
	ksync_report_header("WARNING: suspicious RCU usage");
	ksync_printk("%s:%d %s!\n", slash ? slash + 1 : file, line, s);
	ksync_printk("\nother info that might help us debug this:\n\n");
	ksync_printk("\nrcu_scheduler_active = %d, debug_locks = %d\n%s", 2, dl,
		     dl ? "" : "Possible false positive due to lockdep disabling via debug_locks = 0\n");
	lockdep_print_held_locks(ksync_this_cpu_or_null());
	ksync_printk("\nstack backtrace:\n");
	ksync_dump_stack();
	ksync_report_unlock();
}
