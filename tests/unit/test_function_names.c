// SPDX-License-Identifier: MIT
/*
 * up(), down(), complete() and their kin are functions, as the kernel's:
 * a program may take their addresses and have members or functions of
 * those names.  With function-like macros this file does not compile
 * (o.up(&s) expands the macro; .up = up names nothing).
 */
#include <ksync/completion.h>
#include <ksync/semaphore.h>
#include "ktest.h"

struct ops {
	void (*up)(struct semaphore *sem);
	void (*down)(struct semaphore *sem);
	void (*complete)(struct completion *x);
	void (*wait_for_completion)(struct completion *x);
};

static void test_addresses_and_members(void)
{
	struct ops o = {
		.up = up, .down = down,
		.complete = complete, .wait_for_completion = wait_for_completion,
	};
	struct semaphore s;
	struct completion x;

	sema_init(&s, 0);
	init_completion(&x);
	o.up(&s);
	o.up(&s);
	o.down(&s);
	CHECK_EQ(down_trylock(&s), 0);		/* the second unit */
	CHECK_EQ(down_trylock(&s), 1);		/* none left */
	o.complete(&x);
	o.wait_for_completion(&x);
	CHECK(!try_wait_for_completion(&x));
	complete_all(&x);
	CHECK(completion_done(&x));
}

/* A program's own function named like a kernel one, in its own scope. */
static int count_ups(const struct ops *o)
{
	int up = 0;		/* a variable named up */

	up += o->up != NULL;
	return up;
}

static void test_shadowing(void)
{
	struct ops o = { .up = up };

	CHECK_EQ(count_ups(&o), 1);
}

int main(void)
{
	RUN(test_addresses_and_members);
	RUN(test_shadowing);
	return 0;
}
