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
	open_log();
	__atomic_store_n(&ksync_debug_flags, flags, __ATOMIC_RELAXED);
}
