/* SPDX-License-Identifier: MIT */
/*
 * Child processes for the tests of misuse and reports: the misuse runs in
 * a child and the test matches what the child printed.
 *
 * A child is this test binary run again as "--child NAME" (a fresh
 * process image, because ksync reads its switches from the environment
 * at start-up) with the environment entries the test names; the test's
 * own KSYNC_* variables are not passed on.  Its stdout and stderr are
 * captured together; a child still running at the deadline is killed.
 *
 *	static const struct ktest_scenario scenarios[] = {
 *		{ "unlock_twice", child_unlock_twice }, { NULL, NULL } };
 *	static struct ktest_child c;
 *
 *	RUN_CHILD(&c, "unlock_twice", debug_env, 10000);	(and exit 0)
 *	CHECK_OUT(&c, "BUG: spinlock already unlocked");
 *
 * and main() calls ktest_child_main(argc, argv, scenarios) first.
 */
#ifndef KSYNC_TEST_KTEST_CHILD_H
#define KSYNC_TEST_KTEST_CHILD_H

#include <string.h>
#include <sys/types.h>

struct ktest_child {
	int status;		/* wait status */
	int timed_out;		/* killed after the deadline */
	char out[65536];	/* stdout and stderr together */
};

/* A child scenario: what "--child name" runs (then exits 0). */
struct ktest_scenario {
	const char *name;
	void (*fn)(void);
};

/*
 * First thing in main(): in a child ("--child NAME"), run scenario NAME
 * of the NULL-terminated table and exit; otherwise return.
 */
void ktest_child_main(int argc, char **argv, const struct ktest_scenario *s);

/*
 * Run scenario name in a child with the extra environment entries env
 * ("VAR=value", NULL-terminated; env may be NULL), capture its output
 * into c, kill it after timeout_ms.
 */
void ktest_run_child(struct ktest_child *c, const char *name,
		     const char *const *env, int timeout_ms);

/*
 * The same, calling watch(c, pid, arg) each time more output arrived
 * (c->out holds all of it so far): to stop the child when it says it is
 * ready, for instance.
 */
typedef void ktest_watch_fn(struct ktest_child *c, pid_t pid, void *arg);
void ktest_run_child_watched(struct ktest_child *c, const char *name,
			     const char *const *env, int timeout_ms,
			     ktest_watch_fn *watch, void *arg);

/*
 * The older form, which names the program to run (this one, as
 * "/proc/self/exe" or argv[0]): kept for tests written against it.
 */
void ktest_spawn(struct ktest_child *c, const char *self, const char *name,
		 const char *const *env, int timeout_ms);

/* The child exited normally with this code (not killed, not timed out). */
int ktest_exited(const struct ktest_child *c, int code);

/* How often needle stands in hay (occurrences may overlap). */
int ktest_count(const char *hay, const char *needle);

/* The child exited with code; otherwise fail, showing how it ended. */
#define CHECK_EXITED(c, code)						\
	do {								\
		if (!ktest_exited((c), (code)))				\
			KTEST_FAIL("child %s (status %#x):\n%s",	\
				   (c)->timed_out ? "timed out" : "failed", \
				   (c)->status, (c)->out);		\
	} while (0)

/* Run scenario name in a child (ktest_run_child()); it must exit 0. */
#define RUN_CHILD(c, name, env, timeout_ms)				\
	do {								\
		ktest_run_child((c), (name), (env), (timeout_ms));	\
		CHECK_EXITED((c), 0);					\
	} while (0)

#define CHECK_OUT(c, s)							\
	do {								\
		if (!strstr((c)->out, (s)))				\
			KTEST_FAIL("child output lacks \"%s\":\n%s", (s), (c)->out); \
	} while (0)

#define CHECK_NOT_OUT(c, s)						\
	do {								\
		if (strstr((c)->out, (s)))				\
			KTEST_FAIL("child output has \"%s\":\n%s", (s), (c)->out); \
	} while (0)

#endif /* KSYNC_TEST_KTEST_CHILD_H */
