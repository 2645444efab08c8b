// SPDX-License-Identifier: MIT
/*
 * The files lockdep writes at exit: the lock_stat table and the DOT
 * graph, one per process.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>

#include <ksync/lockdep.h>
#include "env.h"
#include "lockdep_internal.h"
#include "report.h"

static pid_t loaded_by;		/* the process that loaded libksync */

__attribute__((constructor)) static void note_loader(void)
{
	loaded_by = getpid();
}

/*
 * A program that forks, or runs others (git running pack-objects), has
 * one file per process: the program itself - the process whose pid is
 * KSYNC_OUTPUT_PID (ksync-lockdep sets it to the program's), or else the
 * one that loaded libksync - writes FILE, every other process FILE.PID,
 * and only if it took a lock (so do their tables on the report stream,
 * file NULL; and to FILE itself if it is no regular file, /dev/null say).
 * False: nothing to write.
 */
bool lockdep_output_path(const char *file, char *buf, size_t len)
{
	const char *owner = ksync_settings.output_pid;
	pid_t me = getpid();
	bool mine = owner ? atol(owner) == (long)me : me == loaded_by;

	struct stat st;

	if (!mine && !__atomic_load_n(&took_a_lock, __ATOMIC_RELAXED))
		return false;
	/* Not a file to have siblings of (/dev/null, a pipe): that one. */
	if (file && (mine || (stat(file, &st) == 0 && !S_ISREG(st.st_mode))))
		ksync_snprintf(buf, len, "%s", file);
	else if (file)
		ksync_snprintf(buf, len, "%s.%d", file, (int)me);
	return true;
}

/* At exit: the lock_stat table and the graph, if asked for; once. */
KSYNC_API void ksync_lockdep_exit_files(void)
{
	static int written;

	if (__atomic_exchange_n(&written, 1, __ATOMIC_RELAXED))
		return;
	lock_stat_at_exit();
	lockdep_dot_at_exit();
}

__attribute__((destructor)) static void lockdep_at_exit(void)
{
	ksync_lockdep_exit_files();
}

