// SPDX-License-Identifier: MIT
/*
 * Every name of the kernel helpers ksync provides (refcount_t, kref, the
 * dec-and-lock helpers, cmpxchg/xchg, bitops, bit spinlocks, wait_bit,
 * WARN/BUG, the fixed-width types), spelled as the kernel spells them,
 * in kernel-style code that includes only <ksync/ksync.h>.  That it
 * compiles is most of the test; each call's result is checked too.
 */
#include <ksync/ksync.h>
#include "ktest.h"

struct object {
	struct kref ref;
	refcount_t users;
	spinlock_t lock;
	unsigned long flags;
	int released;
};

static DEFINE_SPINLOCK(table_lock);
static DEFINE_RAW_SPINLOCK(raw_table_lock);
static DEFINE_MUTEX(table_mutex);

static void release_plain(struct kref *ref)
{
	container_of(ref, struct object, ref)->released++;
}

static void release_spin(struct kref *ref)
{
	container_of(ref, struct object, ref)->released++;
	spin_unlock(&table_lock);
}

static void release_mutex(struct kref *ref)
{
	container_of(ref, struct object, ref)->released++;
	mutex_unlock(&table_mutex);
}

static void test_types_and_errno(void)
{
	s8 a = -1;
	u8 b = 0xff;
	s16 c = -2;
	u16 d = 0xffff;
	s32 e = -3;
	u32 f = 0xffffffffu;
	s64 g = -4;
	u64 h = ~0ull;
	bool yes = true;

	CHECK_EQ(sizeof(a) + sizeof(b), 2);
	CHECK_EQ(sizeof(c) + sizeof(d), 4);
	CHECK_EQ(sizeof(e) + sizeof(f), 8);
	CHECK_EQ(sizeof(g) + sizeof(h), 16);
	CHECK(a < 0 && b > 0 && c < 0 && d > 0 && e < 0 && f > 0 && g < 0 && h > 0);
	CHECK(yes);
	CHECK(EINVAL > 0 && ENOMEM > 0 && EBUSY > 0 && EAGAIN > 0 && EINTR > 0);
}

static void test_refcount_names(void)
{
	refcount_t r = REFCOUNT_INIT(1);
	int old = 0;

	refcount_set(&r, 2);
	CHECK_EQ(refcount_read(&r), 2);
	refcount_inc(&r);
	refcount_add(2, &r);
	CHECK(refcount_inc_not_zero(&r));
	CHECK(refcount_add_not_zero(1, &r));
	CHECK_EQ(refcount_read(&r), 7);
	refcount_dec(&r);
	CHECK(!refcount_sub_and_test(2, &r));
	CHECK(refcount_dec_not_one(&r));
	CHECK(!refcount_dec_and_test(&r));
	__refcount_inc(&r, &old);
	CHECK_EQ(old, 2);
	__refcount_dec(&r, &old);
	CHECK_EQ(old, 3);
	CHECK(!refcount_dec_if_one(&r));
	CHECK(!refcount_dec_and_test(&r));
	CHECK(!refcount_dec_not_one(&r));
	CHECK(refcount_dec_if_one(&r));
	CHECK(!refcount_inc_not_zero(&r));
	CHECK_EQ(refcount_read(&r), 0);
	CHECK(REFCOUNT_MAX == INT_MAX && REFCOUNT_SATURATED == INT_MIN / 2);
	refcount_set_release(&r, 1);
	CHECK(refcount_dec_and_test(&r));
}

static void test_dec_and_lock_names(void)
{
	refcount_t r = REFCOUNT_INIT(2);
	atomic_t a = ATOMIC_INIT(2);
	unsigned long flags;

	CHECK(!refcount_dec_and_lock(&r, &table_lock));
	CHECK(refcount_dec_and_lock(&r, &table_lock));
	CHECK(spin_is_locked(&table_lock));
	spin_unlock(&table_lock);

	refcount_set(&r, 1);
	CHECK(refcount_dec_and_lock_irqsave(&r, &table_lock, &flags));
	CHECK(irqs_disabled());
	spin_unlock_irqrestore(&table_lock, flags);

	refcount_set(&r, 1);
	CHECK(refcount_dec_and_mutex_lock(&r, &table_mutex));
	CHECK(mutex_is_locked(&table_mutex));
	mutex_unlock(&table_mutex);
	CHECK(mutex_is_locked(&table_mutex) == false);

	CHECK_EQ(atomic_dec_and_lock(&a, &table_lock), 0);
	CHECK_EQ(atomic_dec_and_lock(&a, &table_lock), 1);
	spin_unlock(&table_lock);
	atomic_set(&a, 1);
	CHECK_EQ(atomic_dec_and_lock_irqsave(&a, &table_lock, flags), 1);
	spin_unlock_irqrestore(&table_lock, flags);
	atomic_set(&a, 1);
	CHECK_EQ(atomic_dec_and_raw_lock(&a, &raw_table_lock), 1);
	raw_spin_unlock(&raw_table_lock);
	atomic_set(&a, 1);
	CHECK_EQ(atomic_dec_and_raw_lock_irqsave(&a, &raw_table_lock, flags), 1);
	raw_spin_unlock_irqrestore(&raw_table_lock, flags);
}

static void test_kref_names(void)
{
	struct object o = { .ref = KREF_INIT(1) };

	kref_init(&o.ref);
	kref_get(&o.ref);
	CHECK_EQ(kref_read(&o.ref), 2);
	CHECK(kref_get_unless_zero(&o.ref));
	CHECK_EQ(kref_put(&o.ref, release_plain), 0);
	CHECK_EQ(kref_put_lock(&o.ref, release_spin, &table_lock), 0);
	CHECK_EQ(kref_put_mutex(&o.ref, release_mutex, &table_mutex), 1);
	CHECK_EQ(o.released, 1);
	CHECK(!kref_get_unless_zero(&o.ref));
	kref_init(&o.ref);
	CHECK_EQ(kref_put_lock(&o.ref, release_spin, &table_lock), 1);
	kref_init(&o.ref);
	CHECK_EQ(kref_put(&o.ref, release_plain), 1);
	CHECK_EQ(o.released, 3);
	CHECK(!spin_is_locked(&table_lock) && !mutex_is_locked(&table_mutex));
}

static void test_cmpxchg_names(void)
{
	long v = 1;
	int i = 5;
	u64 w = 10;
	void *p = NULL;
	int old;
	u64 old64;

	CHECK_EQ(cmpxchg(&v, 1, 2), 1);
	CHECK_EQ(cmpxchg(&v, 1, 3), 2);
	CHECK_EQ(cmpxchg_relaxed(&v, 2, 3), 2);
	CHECK_EQ(cmpxchg_acquire(&v, 3, 4), 3);
	CHECK_EQ(cmpxchg_release(&v, 4, 5), 4);
	CHECK_EQ(cmpxchg_local(&v, 5, 6), 5);
	CHECK_EQ(cmpxchg64(&w, 10, 11), 10);
	CHECK_EQ(cmpxchg64_relaxed(&w, 11, 12), 11);
	CHECK_EQ(cmpxchg64_acquire(&w, 12, 13), 12);
	CHECK_EQ(cmpxchg64_release(&w, 13, 14), 13);
	CHECK_EQ(cmpxchg64_local(&w, 14, 15), 14);
	old = 5;
	CHECK(try_cmpxchg(&i, &old, 6));
	CHECK(!try_cmpxchg(&i, &old, 7));
	CHECK_EQ(old, 6);
	CHECK(try_cmpxchg_relaxed(&i, &old, 7));
	old = 7;
	CHECK(try_cmpxchg_acquire(&i, &old, 8));
	old = 8;
	CHECK(try_cmpxchg_release(&i, &old, 9));
	old = 9;
	CHECK(try_cmpxchg_local(&i, &old, 10));
	old64 = 15;
	CHECK(try_cmpxchg64(&w, &old64, 16));
	CHECK(try_cmpxchg64_relaxed(&w, &old64, 17) == false && old64 == 16);
	CHECK(try_cmpxchg64_acquire(&w, &old64, 17));
	old64 = 17;
	CHECK(try_cmpxchg64_release(&w, &old64, 18));
	CHECK_EQ(xchg(&i, 11), 10);
	CHECK_EQ(xchg_relaxed(&i, 12), 11);
	CHECK_EQ(xchg_acquire(&i, 13), 12);
	CHECK_EQ(xchg_release(&i, 14), 13);
	CHECK(xchg(&p, &v) == NULL && p == &v);
	CHECK(cmpxchg(&p, &v, NULL) == &v && p == NULL);
}

static void test_bitops_names(void)
{
	DECLARE_BITMAP(map, 130) = { 0 };
	unsigned long word = 0, bit, n = 0;

	CHECK_EQ(BITS_PER_LONG, 8 * sizeof(long));
#if BITS_PER_LONG != 64 && BITS_PER_LONG != 32
#error "BITS_PER_LONG must be usable by the preprocessor"
#endif
	CHECK_EQ(BIT(3), 8);
	CHECK_EQ(BIT_ULL(40), 1ull << 40);
	CHECK_EQ(BIT_MASK(BITS_PER_LONG + 1), 2);
	CHECK_EQ(BIT_WORD(BITS_PER_LONG + 1), 1);
	CHECK_EQ(BITS_TO_LONGS(130), (130 + BITS_PER_LONG - 1) / BITS_PER_LONG);
	set_bit(1, map);
	clear_bit(1, map);
	change_bit(2, map);
	CHECK(test_bit(2, map) && !test_bit(1, map));
	CHECK(test_bit_acquire(2, map));
	CHECK(!test_and_set_bit(100, map));
	CHECK(test_and_clear_bit(100, map));
	CHECK(!test_and_change_bit(129, map));
	CHECK(!test_and_set_bit_lock(0, &word));
	clear_bit_unlock(0, &word);
	CHECK(!test_and_set_bit_lock(0, &word));
	__clear_bit_unlock(0, &word);
	__set_bit(5, &word);
	__clear_bit(5, &word);
	__change_bit(6, &word);
	CHECK(!__test_and_set_bit(7, &word));
	CHECK(__test_and_clear_bit(7, &word));
	CHECK(__test_and_change_bit(6, &word));
	CHECK_EQ(word, 0);
	CHECK_EQ(find_first_bit(map, 130), 2);
	CHECK_EQ(find_next_bit(map, 130, 3), 129);
	CHECK_EQ(find_first_zero_bit(map, 130), 0);
	CHECK_EQ(find_next_zero_bit(map, 130, 2), 3);
	for_each_set_bit(bit, map, 130)
		n += bit;
	CHECK_EQ(n, 2 + 129);
	n = 0;
	for_each_clear_bit(bit, map, 130)
		n++;
	CHECK_EQ(n, 128);
	CHECK_EQ(__ffs(0x10), 4);
	CHECK_EQ(ffz(0x7), 3);
	CHECK_EQ(__fls(0x10), 4);
	CHECK_EQ(fls(0), 0);
	CHECK_EQ(fls64(1ull << 40), 41);
	CHECK_EQ(hweight_long(0xf0f), 8);
}

static void test_bit_spinlock_names(void)
{
	unsigned long word = 0x10;

	bit_spin_lock(0, &word);
	CHECK(bit_spin_is_locked(0, &word));
	CHECK(preempt_count() == 1);
	CHECK(!bit_spin_trylock(0, &word));
	bit_spin_unlock(0, &word);
	CHECK(bit_spin_trylock(0, &word));
	__bit_spin_unlock(0, &word);
	CHECK(!bit_spin_is_locked(0, &word) && preempt_count() == 0);
	CHECK_EQ(word, 0x10);
}

static int flag_var;

static void test_wait_bit_names(void)
{
	unsigned long word = 0;
	struct wait_bit_queue_entry e;

	CHECK_EQ(wait_on_bit(&word, 3, TASK_UNINTERRUPTIBLE), 0);
	CHECK_EQ(wait_on_bit_io(&word, 3, TASK_UNINTERRUPTIBLE), 0);
	CHECK_EQ(wait_on_bit_timeout(&word, 3, TASK_UNINTERRUPTIBLE, 10), 0);
	CHECK_EQ(wait_on_bit_action(&word, 3, bit_wait, TASK_INTERRUPTIBLE), 0);
	CHECK_EQ(wait_on_bit_lock(&word, 3, TASK_UNINTERRUPTIBLE), 0);
	CHECK(test_bit(3, &word));
	CHECK_EQ(wait_on_bit_timeout(&word, 3, TASK_UNINTERRUPTIBLE, 1), -EAGAIN);
	clear_and_wake_up_bit(3, &word);
	CHECK_EQ(wait_on_bit_lock_io(&word, 3, TASK_UNINTERRUPTIBLE), 0);
	clear_bit_unlock(3, &word);
	wake_up_bit(&word, 3);
	CHECK_EQ(wait_on_bit_lock_action(&word, 3, bit_wait_io, TASK_KILLABLE), 0);
	clear_and_wake_up_bit(3, &word);
	CHECK(bit_waitqueue(&word, 3) != NULL);
	__wake_up_bit(bit_waitqueue(&word, 3), &word, 3);
	CHECK(__var_waitqueue(&flag_var) != NULL);
	init_wait_var_entry(&e, &flag_var, 0);
	CHECK(e.key.flags == &flag_var && e.key.bit_nr == -1);

	WRITE_ONCE(flag_var, 1);
	wake_up_var(&flag_var);
	wait_var_event(&flag_var, READ_ONCE(flag_var) == 1);
	CHECK_EQ(wait_var_event_timeout(&flag_var, READ_ONCE(flag_var) == 2, 1), 0);
	CHECK(wait_var_event_timeout(&flag_var, READ_ONCE(flag_var) == 1, 10) >= 1);
	CHECK_EQ(wait_var_event_interruptible(&flag_var, READ_ONCE(flag_var) == 1), 0);
	CHECK_EQ(wait_var_event_killable(&flag_var, READ_ONCE(flag_var) == 1), 0);
	(void)bit_wait_timeout;
	(void)bit_wait_io_timeout;
	(void)wake_bit_function;
	(void)__wait_on_bit;
	(void)__wait_on_bit_lock;
	(void)out_of_line_wait_on_bit;
	(void)out_of_line_wait_on_bit_timeout;
	(void)out_of_line_wait_on_bit_lock;
	{
		DEFINE_WAIT_BIT(wb, &word, 3);
		CHECK(wb.key.bit_nr == 3);
	}
}

static void test_warn_names_quiet(void)
{
	int zero = 0;

	/* False conditions: each returns 0 and prints nothing. */
	CHECK_EQ(WARN_ON(zero), 0);
	CHECK_EQ(WARN_ON_ONCE(zero), 0);
	CHECK_EQ(WARN(zero, "never %d\n", zero), 0);
	CHECK_EQ(WARN_ONCE(zero, "never %s\n", "printed"), 0);
	BUG_ON(zero);
	if (zero)
		BUG();
	BUILD_BUG_ON(sizeof(u32) != 4);
	BUILD_BUG_ON_MSG(sizeof(u64) != 8, "u64 is 64 bits");
	if (WARN_ON(zero))
		CHECK(0);
}

int main(void)
{
	RUN(test_types_and_errno);
	RUN(test_refcount_names);
	RUN(test_dec_and_lock_names);
	RUN(test_kref_names);
	RUN(test_cmpxchg_names);
	RUN(test_bitops_names);
	RUN(test_bit_spinlock_names);
	RUN(test_wait_bit_names);
	RUN(test_warn_names_quiet);
	/* Under KSYNC_DEBUG/KSYNC_LOCKDEP (the .cmake variants): no report. */
	CHECK_EQ(debug_locks, 1);
	return 0;
}
