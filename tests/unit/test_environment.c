// SPDX-License-Identifier: MIT
/*
 * The environment switches: a value that cannot be used gets one line on
 * stderr naming the variable, what it accepts and what is done instead,
 * and is not silently taken for something else.  Each case runs in a
 * child process (ksync reads the switches at start-up).
 */
#include <ksync/lockdep.h>
#include <ksync/spinlock.h>
#include "ktest.h"

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

/* --- children ---------------------------------------------------------------- */

static DEFINE_SPINLOCK(not_held);

/* A bad unlock: reported when KSYNC_DEBUG is on, silent when off. */
static void child_bad_unlock(void)
{
	spin_unlock(&not_held);
	printf("went on\n");
}

static DEFINE_SPINLOCK(counted);

static void child_lock_once(void)
{
	spin_lock(&counted);
	spin_unlock(&counted);
	printf("went on\n");
}

static const struct ktest_scenario scenarios[] = {
	{ "bad_unlock", child_bad_unlock },
	{ "lock_once", child_lock_once },
	{ NULL, NULL },
};

/* --- the checks -------------------------------------------------------------- */

static struct ktest_child c;

static void spawn(const char *name, const char *e1, const char *e2)
{
	const char *env[] = { e1, e2, NULL };

	ktest_run_child(&c, name, env, 60000);
	if (!ktest_exited(&c, 0))
		KTEST_FAIL("%s %s %s: status %#x:\n%s", name, e1 ? e1 : "",
			   e2 ? e2 : "", c.status, c.out);
	CHECK_OUT(&c, "went on");
}

/* Exactly one line from ksync about the environment. */
static void check_one_line(const char *line)
{
	const char *first = strstr(c.out, line);

	if (!first)
		KTEST_FAIL("child output lacks \"%s\":\n%s", line, c.out);
	CHECK(!strstr(first + 1, line));
}

static void test_switch_values(void)
{
	static const char *const bad[] = { "banana", "2", "yes", "on", "true", " 1" };
	char var[64], want[128];

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		snprintf(var, sizeof(var), "KSYNC_DEBUG=%s", bad[i]);
		snprintf(want, sizeof(want),
			 "ksync: KSYNC_DEBUG=%s: expected 0 or 1; taken as 0 (off)\n", bad[i]);
		spawn("bad_unlock", var, NULL);
		check_one_line(want);
		CHECK_NOT_OUT(&c, "BUG:");	/* off, as it says */
	}
	spawn("bad_unlock", "KSYNC_DEBUG=1", NULL);
	CHECK_OUT(&c, "BUG: spinlock already unlocked");
	CHECK_NOT_OUT(&c, "ksync: KSYNC_DEBUG");
	spawn("bad_unlock", "KSYNC_DEBUG=0", NULL);
	CHECK_NOT_OUT(&c, "BUG:");
	CHECK_NOT_OUT(&c, "ksync:");
	spawn("bad_unlock", "KSYNC_DEBUG=", NULL);
	CHECK_NOT_OUT(&c, "BUG:");
	CHECK_NOT_OUT(&c, "ksync:");
}

static void test_other_switches(void)
{
	spawn("bad_unlock", "KSYNC_LOCKDEP=yes", NULL);
	check_one_line("ksync: KSYNC_LOCKDEP=yes: expected 0 or 1; taken as 0 (off)\n");
	CHECK_NOT_OUT(&c, "BUG:");
	spawn("lock_once", "KSYNC_LOCK_STAT=on", NULL);
	check_one_line("ksync: KSYNC_LOCK_STAT=on: expected 0 or 1; taken as 0 (off)\n");
	CHECK_NOT_OUT(&c, "lock_stat version");
	spawn("lock_once", "KSYNC_KEEP_GOING=true", NULL);
	check_one_line("ksync: KSYNC_KEEP_GOING=true: expected 0 or 1; taken as 0 (off)\n");
	spawn("lock_once", "KSYNC_NO_MEMBARRIER=2", NULL);
	check_one_line("ksync: KSYNC_NO_MEMBARRIER=2: expected 0 or 1; taken as 0 (off)\n");
}

static void test_lockup_ms(void)
{
	static const char *const bad[] = { "abc", "-5", "0", "10abc", "99999999999",
					   "3600001" };
	char var[64], want[160];

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		snprintf(var, sizeof(var), "KSYNC_LOCKUP_MS=%s", bad[i]);
		snprintf(want, sizeof(want),
			 "ksync: KSYNC_LOCKUP_MS=%s: expected a whole number of "
			 "milliseconds from 1 to 3600000; using 1000\n", bad[i]);
		spawn("lock_once", var, "KSYNC_DEBUG=1");
		check_one_line(want);
	}
	spawn("lock_once", "KSYNC_LOCKUP_MS=250", "KSYNC_DEBUG=1");
	CHECK_NOT_OUT(&c, "ksync:");
	spawn("lock_once", "KSYNC_LOCKUP_MS=", "KSYNC_DEBUG=1");	/* as unset */
	CHECK_NOT_OUT(&c, "ksync:");
	spawn("lock_once", "KSYNC_LOCKUP_MS=3600000", "KSYNC_DEBUG=1");
	CHECK_NOT_OUT(&c, "ksync:");
}

#define NO_DIR	"/nonexistent-ksync-test-dir"

static void test_unwritable_log(void)
{
	spawn("bad_unlock", "KSYNC_LOG=" NO_DIR "/log", "KSYNC_DEBUG=1");
	check_one_line("ksync: KSYNC_LOG=" NO_DIR "/log: cannot open it for writing "
		       "(No such file or directory); reports go to stderr\n");
	CHECK_OUT(&c, "BUG: spinlock already unlocked");	/* on stderr */
}

static void test_unwritable_lock_stat_file(void)
{
	spawn("lock_once", "KSYNC_LOCK_STAT=1", "KSYNC_LOCK_STAT_FILE=" NO_DIR "/stat");
	check_one_line("ksync: KSYNC_LOCK_STAT_FILE=" NO_DIR "/stat: cannot open it "
		       "for writing (No such file or directory); the statistics "
		       "follow on stderr\n");
	CHECK_OUT(&c, "lock_stat version 0.4");
	CHECK_OUT(&c, "counted:");
}

static void test_lock_stat_file_without_lock_stat(void)
{
	spawn("lock_once", "KSYNC_LOCK_STAT_FILE=/dev/null", NULL);
	check_one_line("ksync: KSYNC_LOCK_STAT_FILE=/dev/null: no statistics without "
		       "KSYNC_LOCK_STAT=1; nothing will be written\n");
}

static void test_unwritable_dot_file(void)
{
	spawn("lock_once", "KSYNC_LOCKDEP_DOT=" NO_DIR "/g.dot", NULL);
	check_one_line("ksync: KSYNC_LOCKDEP_DOT=" NO_DIR "/g.dot: cannot open it for "
		       "writing (No such file or directory); no graph written\n");
}

static void test_good_settings_are_silent(void)
{
	spawn("lock_once", "KSYNC_LOCKDEP=1", "KSYNC_LOCKDEP_DOT=/dev/null");
	CHECK_NOT_OUT(&c, "ksync:");
	spawn("lock_once", "KSYNC_LOCK_STAT=1", "KSYNC_LOCK_STAT_FILE=/dev/null");
	CHECK_NOT_OUT(&c, "ksync:");
	spawn("lock_once", "KSYNC_LOG=/dev/null", "KSYNC_KEEP_GOING=1");
	CHECK_NOT_OUT(&c, "ksync:");
}

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	RUN(test_switch_values);
	RUN(test_other_switches);
	RUN(test_lockup_ms);
	RUN(test_unwritable_log);
	RUN(test_unwritable_lock_stat_file);
	RUN(test_lock_stat_file_without_lock_stat);
	RUN(test_unwritable_dot_file);
	RUN(test_good_settings_are_silent);
	return 0;
}
