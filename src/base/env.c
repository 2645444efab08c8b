// SPDX-License-Identifier: MIT
/*
 * The switches, read once at start-up (init.c calls ksync_env_read()).
 * Each value that cannot be used gets one line on stderr naming the
 * variable, what it accepts and what is done instead: a typo must not
 * silently turn a check on or off.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ksync/debug_locks.h>
#include "env.h"
#include "report.h"

struct ksync_settings ksync_settings = { .lockup_ms = 1000 };

/* An on/off switch: "1" on; "0", empty or unset off; anything else off, said. */
static int env_switch(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v || !strcmp(v, "0"))
		return 0;
	if (!strcmp(v, "1"))
		return 1;
	ksync_env_warn("%s=%s: expected 0 or 1; taken as 0 (off)\n", name, v);
	return 0;
}

/* A variable's value if set and not empty, else NULL. */
static const char *env_string(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

#define LOCKUP_MS_MAX	3600000		/* an hour */

/* A whole number of milliseconds, 1 to an hour; else the default, said. */
static void read_lockup_ms(void)
{
	const char *v = env_string("KSYNC_LOCKUP_MS");
	char *end;
	long ms;

	if (!v)
		return;
	errno = 0;
	ms = strtol(v, &end, 10);
	if (!*end && !errno && ms >= 1 && ms <= LOCKUP_MS_MAX) {
		ksync_settings.lockup_ms = (int)ms;
		return;
	}
	ksync_env_warn("KSYNC_LOCKUP_MS=%s: expected a whole number of milliseconds "
		       "from 1 to %d; using %d\n", v, LOCKUP_MS_MAX,
		       ksync_settings.lockup_ms);
}

#define HUNG_TASK_SECS_MAX	86400		/* a day */

/* Whole seconds, 0 (off) to a day; else off, said. */
static void read_hung_task_secs(void)
{
	const char *v = env_string("KSYNC_HUNG_TASK_SECS");
	char *end;
	long secs;

	if (!v)
		return;
	errno = 0;
	secs = strtol(v, &end, 10);
	if (!*end && !errno && secs >= 0 && secs <= HUNG_TASK_SECS_MAX) {
		ksync_settings.hung_task_secs = (int)secs;
		return;
	}
	ksync_env_warn("KSYNC_HUNG_TASK_SECS=%s: expected a whole number of seconds "
		       "from 0 (off) to %d; taken as 0 (off)\n", v, HUNG_TASK_SECS_MAX);
}

static const struct { const char *name; int sig; } show_signals[] = {
	{ "SIGUSR1", SIGUSR1 }, { "SIGUSR2", SIGUSR2 },
	{ "SIGQUIT", SIGQUIT }, { "SIGHUP", SIGHUP },
};

/*
 * The signal that prints every thread's held locks: only one the user
 * names (a program may use any signal for itself), by name, or a real-time
 * one by number.
 */
static void read_show_locks_signal(void)
{
	const char *v = env_string("KSYNC_SHOW_LOCKS_SIGNAL");
	char *end;
	long n;

	if (!v)
		return;
	for (size_t i = 0; i < sizeof(show_signals) / sizeof(show_signals[0]); i++) {
		if (!strcmp(v, show_signals[i].name) || !strcmp(v, show_signals[i].name + 3)) {
			ksync_settings.show_locks_signal = show_signals[i].sig;
			return;
		}
	}
	errno = 0;
	n = strtol(v, &end, 10);
	if (!*end && !errno && n >= SIGRTMIN && n <= SIGRTMAX) {
		ksync_settings.show_locks_signal = (int)n;
		return;
	}
	ksync_env_warn("KSYNC_SHOW_LOCKS_SIGNAL=%s: expected SIGUSR1, SIGUSR2, SIGQUIT, "
		       "SIGHUP or a real-time signal's number (%d-%d); no signal is taken\n",
		       v, SIGRTMIN, SIGRTMAX);
}

/* Reports to a file, appended; if it cannot be opened, say so: stderr. */
static void open_log(void)
{
	const char *v = env_string("KSYNC_LOG");
	int fd;

	if (!v)
		return;
	fd = open(v, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		ksync_env_warn("KSYNC_LOG=%s: cannot open it for writing (%s); "
			       "reports go to stderr\n", v, strerror(errno));
		return;
	}
	ksync_report_fd = fd;
}

void ksync_env_read(void)
{
	struct ksync_settings *s = &ksync_settings;
	unsigned int flags = 0;

	if (env_switch("KSYNC_DEBUG"))
		flags |= KSYNC_DEBUG_CHECKS;
	if (env_switch("KSYNC_LOCKDEP"))
		flags |= KSYNC_DEBUG_LOCKDEP | KSYNC_DEBUG_CHECKS;
	if (env_switch("KSYNC_LOCK_STAT"))
		flags |= KSYNC_DEBUG_STAT;
	s->lock_stat_file = env_string("KSYNC_LOCK_STAT_FILE");
	if (s->lock_stat_file && !(flags & KSYNC_DEBUG_STAT))
		ksync_env_warn("KSYNC_LOCK_STAT_FILE=%s: no statistics without "
			       "KSYNC_LOCK_STAT=1; nothing will be written\n",
			       s->lock_stat_file);
	/* The graph exists only while lockdep builds it. */
	s->lockdep_dot = env_string("KSYNC_LOCKDEP_DOT");
	if (s->lockdep_dot)
		flags |= KSYNC_DEBUG_LOCKDEP | KSYNC_DEBUG_CHECKS;
	s->output_pid = env_string("KSYNC_OUTPUT_PID");
	s->keep_going = env_switch("KSYNC_KEEP_GOING");
	s->no_membarrier = env_switch("KSYNC_NO_MEMBARRIER");
	s->prove_raw_lock_nesting = env_switch("KSYNC_PROVE_RAW_LOCK_NESTING");
	if (s->prove_raw_lock_nesting && !(flags & KSYNC_DEBUG_LOCKDEP))
		ksync_env_warn("KSYNC_PROVE_RAW_LOCK_NESTING=1: no wait-context "
			       "check without KSYNC_LOCKDEP=1; it does nothing\n");
	read_lockup_ms();
	read_hung_task_secs();
	read_show_locks_signal();
	open_log();
	__atomic_store_n(&ksync_debug_flags, flags, __ATOMIC_RELAXED);
}
