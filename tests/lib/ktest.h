/* SPDX-License-Identifier: MIT */
/*
 * The tests' harness (libktest.a, tests/lib/): checks that stop the test
 * with a message, threads started together, and (ktest_child.h) child
 * processes whose output is matched.  ktest_deadline.h adds deadlines,
 * ktest_waiter.h waiters to interrupt, ktest_log.h reports kept in a file.
 */
#ifndef KSYNC_TEST_KTEST_H
#define KSYNC_TEST_KTEST_H

#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/select.h>
#include <sys/wait.h>

extern char **environ;

/* The check now running (RUN() sets it), named by every failure. */
extern const char *ktest_current;

#define KTEST_FAIL(...)							\
	do {								\
		fprintf(stderr, "FAIL %s (%s:%d): ", ktest_current,	\
			__FILE__, __LINE__);				\
		fprintf(stderr, __VA_ARGS__);				\
		fprintf(stderr, "\n");					\
		exit(1);						\
	} while (0)

#define CHECK(cond)							\
	do {								\
		if (!(cond))						\
			KTEST_FAIL("%s", #cond);			\
	} while (0)

#define CHECK_EQ(a, b)							\
	do {								\
		long long __a = (long long)(a), __b = (long long)(b);	\
		if (__a != __b)						\
			KTEST_FAIL("%s == %s: %lld != %lld", #a, #b, __a, __b); \
	} while (0)

#define RUN(fn)								\
	do {								\
		ktest_current = #fn;					\
		fn();							\
		printf("ok - %s\n", #fn);				\
		fflush(stdout);						\
	} while (0)

/* CLOCK_MONOTONIC in seconds. */
double ktest_now(void);

/* Sleep ms milliseconds, through signals. */
void ktest_sleep_ms(int ms);

/*
 * Start n threads running fn(i) together (they wait at a barrier until all
 * exist, so they really contend), then join them all.
 */
void ktest_run_threads(int n, void *(*fn)(void *));

#include "ktest_child.h"

#endif /* KSYNC_TEST_KTEST_H */
