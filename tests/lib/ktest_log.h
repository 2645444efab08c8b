/* SPDX-License-Identifier: MIT */
/*
 * For child scenarios that end while a thread stays blocked after a
 * report (a deadlock, a lock whose owner is gone): the report goes to a
 * file (KSYNC_LOG), the child waits until the report's last line is
 * there before it exits, and the test reads the file.  Exiting as soon as
 * debug_locks drops would cut the report short: it drops first.
 */
#ifndef KSYNC_TEST_KTEST_LOG_H
#define KSYNC_TEST_KTEST_LOG_H

#include <fcntl.h>
#include "ktest.h"

/* The end of a spinlock report (its stack dump), of a DEBUG_LOCKS_WARN. */
#define KTEST_END_OF_DUMP	" </TASK>\n"
#define KTEST_END_OF_WARN	"---[ end trace "

/* A fresh empty file for KSYNC_LOG; env_entry gets "KSYNC_LOG=path". */
static inline void ktest_log_create(char env_entry[64])
{
	int fd;

	strcpy(env_entry, "KSYNC_LOG=/tmp/ktest-log-XXXXXX");
	fd = mkstemp(env_entry + strlen("KSYNC_LOG="));
	CHECK(fd >= 0);
	close(fd);
}

/* Append the file's contents to c->out, then remove the file. */
static inline void ktest_log_collect(struct ktest_child *c, const char *env_entry)
{
	const char *path = env_entry + strlen("KSYNC_LOG=");
	size_t len = strlen(c->out);
	int fd = open(path, O_RDONLY);
	ssize_t r;

	CHECK(fd >= 0);
	while (len < sizeof(c->out) - 1 &&
	       (r = read(fd, c->out + len, sizeof(c->out) - 1 - len)) > 0)
		len += (size_t)r;
	c->out[len] = '\0';
	close(fd);
	unlink(path);
}

/* In the child: wait until the KSYNC_LOG file holds marker. */
static inline void ktest_log_wait_for(const char *marker)
{
	const char *path = getenv("KSYNC_LOG");
	static char buf[65536];

	CHECK(path != NULL);
	for (;;) {
		int fd = open(path, O_RDONLY);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

		if (fd >= 0)
			close(fd);
		buf[n > 0 ? n : 0] = '\0';
		if (strstr(buf, marker))
			return;
		ktest_sleep_ms(1);
	}
}

#endif /* KSYNC_TEST_KTEST_LOG_H */
