/* SPDX-License-Identifier: MIT */
/*
 * The environment switches, read in one place (env.c) once at start-up;
 * every layer reads the settings from here, never getenv() itself.
 */
#ifndef _KSYNC_SRC_ENV_H
#define _KSYNC_SRC_ENV_H

struct ksync_settings {
	int lockup_ms;			/* KSYNC_LOCKUP_MS, default 1000 */
	int no_membarrier;		/* KSYNC_NO_MEMBARRIER=1 */
	int keep_going;			/* KSYNC_KEEP_GOING=1 */
	int prove_raw_lock_nesting;	/* KSYNC_PROVE_RAW_LOCK_NESTING=1 */
	const char *lock_stat_file;	/* KSYNC_LOCK_STAT_FILE, or NULL */
	const char *lockdep_dot;	/* KSYNC_LOCKDEP_DOT, or NULL */
	const char *output_pid;		/* KSYNC_OUTPUT_PID, or NULL */
	int hung_task_secs;		/* KSYNC_HUNG_TASK_SECS, 0 (off) by default */
	int show_locks_signal;		/* KSYNC_SHOW_LOCKS_SIGNAL, 0 if none */
};

/* Written once by ksync_env_read() before the start-up hooks run. */
extern struct ksync_settings ksync_settings;

/*
 * Read every KSYNC_* variable: the debug flags (ksync_debug_flags), the
 * settings, the report log.  A value that cannot be used is said on
 * stderr, with what is done instead.
 */
void ksync_env_read(void);

#endif /* _KSYNC_SRC_ENV_H */
