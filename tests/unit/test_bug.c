// SPDX-License-Identifier: MIT
/*
 * WARN_ON, WARN_ON_ONCE, WARN, WARN_ONCE, BUG and BUG_ON: the kernel's
 * report layouts (matched on a child process's output), their return
 * values, once-per-site, and BUG's abort.
 */
#include <ksync/ksync.h>
#include "ktest.h"

static int zero, one = 1;

static void child_warn_on(void)
{
	int r = WARN_ON(one == 1);

	printf("returned %d\n", r);
	printf("false returned %d\n", WARN_ON(zero));
	if (WARN_ON(one + 1))
		printf("taken\n");
	printf("went on\n");
}

static void child_warn_on_once(void)
{
	int n = 0;

	for (int i = 0; i < 5; i++)
		n += WARN_ON_ONCE(one);		/* true each time, printed once */
	printf("returned %d times\n", n);
	for (int i = 0; i < 3; i++)
		WARN_ONCE(i >= 0, "once with %s %d\n", "value", i);
	printf("went on\n");
}

static void child_warn_fmt(void)
{
	long v = -42;

	printf("returned %d\n", WARN(v < 0, "bad value %ld (%s)\n", v, "negative"));
	printf("went on\n");
}

static void *warn_once_thread(void *arg)
{
	(void)arg;
	for (int i = 0; i < 100; i++)
		WARN_ON_ONCE(one);
	return NULL;
}

static void child_warn_once_threads(void)
{
	ktest_run_threads(16, warn_once_thread);
	printf("went on\n");
}

static void child_bug(void)
{
	printf("before\n");
	fflush(stdout);
	BUG();
}

static void child_bug_on(void)
{
	BUG_ON(zero);		/* false: nothing */
	printf("before\n");
	fflush(stdout);
	BUG_ON(one == 1);
	printf("unreachable\n");
}

static const struct ktest_scenario scenarios[] = {
	{ "warn_on", child_warn_on },
	{ "warn_on_once", child_warn_on_once },
	{ "warn_fmt", child_warn_fmt },
	{ "warn_once_threads", child_warn_once_threads },
	{ "bug", child_bug },
	{ "bug_on", child_bug_on },
	{ NULL, NULL },
};

static struct ktest_child c;

static int count_of(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void test_warn_on(void)
{
	ktest_spawn(&c, "/proc/self/exe", "warn_on", NULL, 20000);
	CHECK(ktest_exited(&c, 0));
	CHECK_OUT(&c, "------------[ cut here ]------------\nWARNING: CPU: ");
	CHECK_OUT(&c, " at test_bug.c:14 child_warn_on\n");
	CHECK_OUT(&c, " at test_bug.c:18 child_warn_on\n");
	CHECK_OUT(&c, "\nComm: ");
	CHECK_OUT(&c, "Call Trace:\n <TASK>\n");
	CHECK_OUT(&c, " </TASK>\n---[ end trace 0000000000000000 ]---\n");
	CHECK_EQ(count_of(c.out, "WARNING: CPU: "), 2);
	CHECK_OUT(&c, "returned 1\n");
	CHECK_OUT(&c, "false returned 0\n");
	CHECK_OUT(&c, "taken\n");
	CHECK_OUT(&c, "went on");
}

static void test_warn_on_once(void)
{
	ktest_spawn(&c, "/proc/self/exe", "warn_on_once", NULL, 20000);
	CHECK(ktest_exited(&c, 0));
	CHECK_EQ(count_of(c.out, "WARNING: CPU: "), 2);	/* one per site */
	CHECK_OUT(&c, " at test_bug.c:28 child_warn_on_once\n");
	CHECK_OUT(&c, "returned 5 times\n");
	CHECK_OUT(&c, "------------[ cut here ]------------\nonce with value 0\nWARNING: CPU: ");
	CHECK_NOT_OUT(&c, "once with value 1");
}

static void test_warn_fmt(void)
{
	ktest_spawn(&c, "/proc/self/exe", "warn_fmt", NULL, 20000);
	CHECK(ktest_exited(&c, 0));
	CHECK_OUT(&c, "------------[ cut here ]------------\nbad value -42 (negative)\n"
		      "WARNING: CPU: ");
	CHECK_OUT(&c, " at test_bug.c:39 child_warn_fmt\n");
	CHECK_OUT(&c, "returned 1\n");
}

static void test_warn_once_threads(void)
{
	ktest_spawn(&c, "/proc/self/exe", "warn_once_threads", NULL, 20000);
	CHECK(ktest_exited(&c, 0));
	CHECK_EQ(count_of(c.out, "WARNING: CPU: "), 1);
	CHECK_OUT(&c, "went on");
}

static void check_bug(const char *where)
{
	CHECK(!c.timed_out && WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGABRT);
	CHECK_OUT(&c, "before\n");
	CHECK_OUT(&c, "------------[ cut here ]------------\n");
	CHECK_OUT(&c, where);
	CHECK_OUT(&c, "CPU: ");
	CHECK_OUT(&c, "Call Trace:");
	CHECK_NOT_OUT(&c, "unreachable");
}

static void test_bug(void)
{
	ktest_spawn(&c, "/proc/self/exe", "bug", NULL, 20000);
	check_bug("kernel BUG at test_bug.c:61!\n");
}

static void test_bug_on(void)
{
	ktest_spawn(&c, "/proc/self/exe", "bug_on", NULL, 20000);
	check_bug("kernel BUG at test_bug.c:69!\n");
}

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	RUN(test_warn_on);
	RUN(test_warn_on_once);
	RUN(test_warn_fmt);
	RUN(test_warn_once_threads);
	RUN(test_bug);
	RUN(test_bug_on);
	return 0;
}
