// SPDX-License-Identifier: MIT
/*
 * Bit operations and the generic cmpxchg/xchg: single-thread semantics
 * (including the bitmap search at word edges) and, with more threads than
 * CPUs, exact results of the atomic forms on shared words.
 */
#include <ksync/ksync.h>
#include "ktest.h"

#define THREADS	32
#define ROUNDS	20000

static void test_single_bits(void)
{
	DECLARE_BITMAP(map, 3 * BITS_PER_LONG) = { 0 };

	for (unsigned long nr = 0; nr < 3 * BITS_PER_LONG; nr += 7) {
		set_bit(nr, map);
		CHECK(test_bit(nr, map));
		CHECK_EQ(map[BIT_WORD(nr)], BIT_MASK(nr));
		clear_bit(nr, map);
		CHECK_EQ(map[BIT_WORD(nr)], 0);
		change_bit(nr, map);
		CHECK(test_bit(nr, map));
		change_bit(nr, map);
		CHECK(!test_bit(nr, map));
		CHECK(!test_and_set_bit(nr, map));
		CHECK(test_and_set_bit(nr, map));
		CHECK(test_and_clear_bit(nr, map));
		CHECK(!test_and_clear_bit(nr, map));
		CHECK(!test_and_change_bit(nr, map));
		CHECK(test_and_change_bit(nr, map));
		__set_bit(nr, map);
		CHECK(__test_and_clear_bit(nr, map));
		CHECK(!__test_and_set_bit(nr, map));
		CHECK(__test_and_change_bit(nr, map));
		__change_bit(nr, map);
		__clear_bit(nr, map);
		for (int w = 0; w < 3; w++)
			CHECK_EQ(map[w], 0);
	}
	/* The top bit of a word: BIT_MASK must not overflow into a sign. */
	set_bit(BITS_PER_LONG - 1, map);
	CHECK_EQ(map[0], 1UL << (BITS_PER_LONG - 1));
	CHECK(test_and_clear_bit(BITS_PER_LONG - 1, map));
}

static void test_lock_bits(void)
{
	unsigned long word = 0xf0;

	CHECK(!test_and_set_bit_lock(0, &word));
	CHECK(test_and_set_bit_lock(0, &word));
	CHECK_EQ(word, 0xf1);
	clear_bit_unlock(0, &word);
	CHECK_EQ(word, 0xf0);
	CHECK(!test_and_set_bit_lock(1, &word));
	__clear_bit_unlock(1, &word);
	CHECK_EQ(word, 0xf0);		/* the other bits kept */
}

static void test_find(void)
{
	DECLARE_BITMAP(map, 2 * BITS_PER_LONG + 5);
	unsigned long size = 2 * BITS_PER_LONG + 5, bit, seen[8], n = 0;

	memset(map, 0, sizeof(map));
	CHECK_EQ(find_first_bit(map, size), size);
	CHECK_EQ(find_first_zero_bit(map, size), 0);
	set_bit(BITS_PER_LONG - 1, map);
	set_bit(BITS_PER_LONG, map);
	set_bit(size - 1, map);
	CHECK_EQ(find_first_bit(map, size), BITS_PER_LONG - 1);
	CHECK_EQ(find_next_bit(map, size, BITS_PER_LONG), BITS_PER_LONG);
	CHECK_EQ(find_next_bit(map, size, BITS_PER_LONG + 1), size - 1);
	CHECK_EQ(find_next_bit(map, size, size), size);
	CHECK_EQ(find_next_bit(map, size - 1, 0), BITS_PER_LONG - 1);
	/* A set bit past size is not found. */
	CHECK_EQ(find_next_bit(map, size - 1, BITS_PER_LONG + 1), size - 1);
	for_each_set_bit(bit, map, size)
		seen[n++] = bit;
	CHECK_EQ(n, 3);
	CHECK_EQ(seen[0], BITS_PER_LONG - 1);
	CHECK_EQ(seen[1], BITS_PER_LONG);
	CHECK_EQ(seen[2], size - 1);
	memset(map, 0xff, sizeof(map));
	CHECK_EQ(find_first_zero_bit(map, size), size);
	clear_bit(BITS_PER_LONG + 3, map);
	CHECK_EQ(find_first_zero_bit(map, size), BITS_PER_LONG + 3);
	CHECK_EQ(find_next_zero_bit(map, size, BITS_PER_LONG + 4), size);
	n = 0;
	for_each_clear_bit(bit, map, size)
		n++;
	CHECK_EQ(n, 1);
}

static void test_words(void)
{
	CHECK_EQ(__ffs(1), 0);
	CHECK_EQ(__ffs(1UL << (BITS_PER_LONG - 1)), BITS_PER_LONG - 1);
	CHECK_EQ(ffz(~0UL >> 1), BITS_PER_LONG - 1);
	CHECK_EQ(__fls(1), 0);
	CHECK_EQ(__fls(~0UL), BITS_PER_LONG - 1);
	CHECK_EQ(fls(1), 1);
	CHECK_EQ(fls(0x80000000u), 32);
	CHECK_EQ(fls64(0), 0);
	CHECK_EQ(fls64(~0ull), 64);
	CHECK_EQ(hweight_long(~0UL), BITS_PER_LONG);
}

/* --- the atomic forms, threads >> CPUs --------------------------------------- */

static unsigned long shared_word;	/* bit i belongs to thread i */
static unsigned long toggled;		/* every thread flips every bit */
static unsigned long winners[THREADS];	/* per round: who set the bit */
static DECLARE_BITMAP(round_bits, ROUNDS);

static void *bit_thread(void *arg)
{
	long me = (long)arg;

	for (int i = 0; i < ROUNDS; i++) {
		set_bit((unsigned long)me, &shared_word);
		CHECK(test_bit((unsigned long)me, &shared_word));
		clear_bit((unsigned long)me, &shared_word);
		change_bit((unsigned long)(i % BITS_PER_LONG), &toggled);
		/* Exactly one thread sets each round's bit first. */
		if (!test_and_set_bit((unsigned long)i, round_bits))
			winners[me]++;
	}
	return NULL;
}

static void test_atomic_bits_exact(void)
{
	unsigned long total = 0;

	ktest_run_threads(THREADS, bit_thread);
	CHECK_EQ(shared_word, 0);
	/* THREADS flips of each bit (an even number): all back to 0. */
	CHECK_EQ(toggled, 0);
	for (int t = 0; t < THREADS; t++)
		total += winners[t];
	CHECK_EQ(total, ROUNDS);
	CHECK_EQ(find_first_zero_bit(round_bits, ROUNDS), ROUNDS);
}

static long cas_counter;
static int xchg_token = -1;
static unsigned long long counter64;
static long in_section;
static long cell;		/* values go in and come out by xchg() */
static long taken_out[THREADS];

static void *cas_thread(void *arg)
{
	long me = (long)arg;

	for (int i = 0; i < ROUNDS; i++) {
		long old = READ_ONCE(cas_counter);
		unsigned long long o64 = READ_ONCE(counter64);

		while (!try_cmpxchg(&cas_counter, &old, old + 1))
			;
		for (;;) {
			unsigned long long seen = cmpxchg64(&counter64, o64, o64 + 2);

			if (seen == o64)
				break;
			o64 = seen;
		}
		/* cmpxchg as a lock: -1 free; the section must be exclusive. */
		while (cmpxchg_acquire(&xchg_token, -1, (int)me) != -1)
			sched_yield();
		CHECK_EQ(in_section++, 0);
		in_section--;
		CHECK_EQ(xchg_release(&xchg_token, -1), (int)me);
		/* Every value put in comes out exactly once. */
		taken_out[me] += xchg(&cell, me * ROUNDS + i + 1);
	}
	return NULL;
}

static void test_cmpxchg_exact(void)
{
	ktest_run_threads(THREADS, cas_thread);
	CHECK_EQ(cas_counter, (long)THREADS * ROUNDS);
	CHECK_EQ(counter64, 2ull * THREADS * ROUNDS);
	CHECK_EQ(xchg_token, -1);
	{
		long out = cell, in = 0;

		for (int t = 0; t < THREADS; t++)
			out += taken_out[t];
		for (long v = 1; v <= (long)THREADS * ROUNDS; v++)
			in += v;
		CHECK_EQ(out, in);
	}
}

static void test_cmpxchg_types(void)
{
	unsigned char b = 1;
	short s = -1;
	struct node { int v; } n1, n2, *p = &n1;

	CHECK_EQ(cmpxchg(&b, 1, 255), 1);
	CHECK_EQ(b, 255);
	CHECK_EQ(xchg(&s, 7), -1);
	CHECK(cmpxchg(&p, &n1, &n2) == &n1 && p == &n2);
	CHECK(cmpxchg(&p, &n1, NULL) == &n2 && p == &n2);	/* failed: unchanged */
}

int main(void)
{
	RUN(test_single_bits);
	RUN(test_lock_bits);
	RUN(test_find);
	RUN(test_words);
	RUN(test_atomic_bits_exact);
	RUN(test_cmpxchg_exact);
	RUN(test_cmpxchg_types);
	return 0;
}
