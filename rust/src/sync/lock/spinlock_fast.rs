// SPDX-License-Identifier: MIT
//! [`SpinLock`](super::spinlock::SpinLock)'s fast path with no debugging
//! on: what C's inline `spin_lock()`, `spin_trylock()` and `spin_unlock()`
//! do in a C program (<ksync/spinlock_api.h>, <ksync/qspinlock.h>,
//! <ksync/preempt.h> built without `KSYNC_NO_DEBUG`), step for step, so
//! that an uncontended lock+unlock pair makes no call into C.
//!
//! Everything beyond the fast path is C's, called where the C inline code
//! calls it: a lock that is not free at once waits in
//! `ksync_queued_spin_lock_slowpath()`, an unlock that finds sleepers
//! wakes them with `ksync_queued_spin_unlock_wake()`, and a preemption
//! count at the edge of its field goes to `ksync_preempt_count_*_slow()`.
//! With any debugging on (`KSYNC_DEBUG`, `KSYNC_LOCKDEP`,
//! `KSYNC_LOCK_STAT`) the backend does not come here at all but calls the
//! shim's full C path, so lockdep and the debug checks see every lock.
//!
//! The lock word is C's `arch_spinlock_t`, mirrored by
//! [`bindings::arch_spinlock_t`] and checked there against the C
//! compiler's layout.  The atomics have the C code's orders; Rust's and C's
//! atomics are the same instructions on the same memory, and the C slow
//! path's wider accesses to the word are the ones C's own fast path meets.

use core::cell::Cell;
use core::ptr;
use core::sync::atomic::{compiler_fence, AtomicU32, Ordering};

use crate::bindings::{self, arch_spinlock_t, spinlock_t};

thread_local! {
    /// This thread's `ksync_tls.preempt_count`.  C's thread-local block
    /// cannot be named from stable Rust; its address is fixed for the
    /// thread's life, so it is asked for once per thread.  A const
    /// initialiser and no destructor: reading it is one thread-pointer
    /// relative load, safe in a signal handler and during thread exit.
    static PREEMPT_COUNT: Cell<*const AtomicU32> = const { Cell::new(ptr::null()) };
}

#[inline(always)]
fn preempt_count_word() -> *const AtomicU32 {
    let word = PREEMPT_COUNT.with(Cell::get);
    if word.is_null() {
        return preempt_count_word_first();
    }
    word
}

/// The first lock on this thread: ask C.  A signal handler running in
/// between asks too and stores the same address.
#[cold]
#[inline(never)]
fn preempt_count_word_first() -> *const AtomicU32 {
    // SAFETY: returns this thread's word, valid while the thread lives.
    let word = unsafe { bindings::ksync_rs_preempt_count_ptr() } as *const AtomicU32;
    PREEMPT_COUNT.with(|c| c.set(word));
    word
}

/// `preempt_disable()`: `__ksync_preempt_count_add(1)` and `barrier()`.
#[inline(always)]
fn preempt_disable() {
    // SAFETY: this thread's word, for as long as the thread runs.
    let word = unsafe { &*preempt_count_word() };
    // A load and a store, not an atomic add, as in C: only this thread
    // writes the word, and a signal handler that interrupts in between
    // puts back what it changed before it returns.  Relaxed: the word
    // orders nothing between threads.
    let c = word.load(Ordering::Relaxed);
    if (c & bindings::PREEMPT_MASK) + 1 >= bindings::PREEMPT_MASK - 10 {
        // SAFETY: C's own out-of-line add, which checks if asked to.
        unsafe { bindings::ksync_preempt_count_add_slow(1, ptr::null()) };
    } else {
        word.store(c.wrapping_add(1), Ordering::Relaxed);
    }
    // barrier(): the count is up before the lock is taken, for an
    // interrupt (a signal handler on this thread) that reads it.
    compiler_fence(Ordering::SeqCst);
}

/// `preempt_enable()`: `barrier()` and `__ksync_preempt_count_sub(1)`.
#[inline(always)]
fn preempt_enable() {
    // barrier(): the lock is released before the count goes down.
    compiler_fence(Ordering::SeqCst);
    // SAFETY: as in preempt_disable().
    let word = unsafe { &*preempt_count_word() };
    // Relaxed load and store, as in preempt_disable().
    let c = word.load(Ordering::Relaxed);
    if c & bindings::PREEMPT_MASK < 1 {
        // SAFETY: C's own out-of-line subtraction (an unbalanced enable).
        unsafe { bindings::ksync_preempt_count_sub_slow(1, ptr::null()) };
    } else {
        word.store(c.wrapping_sub(1), Ordering::Relaxed);
    }
}

/// The lock word of an initialised `spinlock_t`.
///
/// # Safety
///
/// `lock` points to an initialised `spinlock_t` that outlives `'a`.
#[inline(always)]
unsafe fn word<'a>(lock: *mut spinlock_t) -> &'a arch_spinlock_t {
    // SAFETY: the offset and the layout are the C compiler's (checked in
    // bindings); the word's fields are atomics, so shared access is fine.
    unsafe { &*lock.cast::<u8>().add(bindings::SPINLOCK_RAW_LOCK_OFFSET).cast() }
}

/// `queued_spin_trylock()`: take the locked byte if it is free and no
/// queue head has claimed the next turn (pending).
#[inline(always)]
fn queued_spin_trylock(q: &arch_spinlock_t) -> bool {
    // Relaxed: only a hint; the compare-and-swap decides.
    if q.pending.load(Ordering::Relaxed) != 0 {
        return false;
    }
    // Acquire: pairs with the release store of queued_spin_unlock() (C's
    // or spin_unlock() below).  Strong, as C's (weak = 0).
    q.locked
        .compare_exchange(0, bindings::Q_LOCKED_VAL, Ordering::Acquire, Ordering::Relaxed)
        .is_ok()
}

#[cold]
#[inline(never)]
fn queued_spin_lock_slowpath(q: &arch_spinlock_t) {
    // SAFETY: an initialised lock word; no lockup watch (NULL), as C's
    // queued_spin_lock() passes.
    unsafe {
        bindings::ksync_queued_spin_lock_slowpath(
            q as *const arch_spinlock_t as *mut arch_spinlock_t,
            ptr::null_mut(),
        )
    }
}

#[cold]
#[inline(never)]
fn queued_spin_unlock_wake(q: *const arch_spinlock_t) {
    // SAFETY: C reads only the address (to find the sleepers' hash
    // bucket), never the lock, which may be gone already.
    unsafe { bindings::ksync_queued_spin_unlock_wake(q as *mut arch_spinlock_t) }
}

/// `spin_lock()` with no debugging on: `preempt_disable()`, then
/// `queued_spin_lock()`.
///
/// # Safety
///
/// `lock` is an initialised `spinlock_t`; no debugging is on.
#[inline(always)]
pub(crate) unsafe fn spin_lock(lock: *mut spinlock_t) {
    preempt_disable();
    // SAFETY: per the caller.
    let q = unsafe { word(lock) };
    if !queued_spin_trylock(q) {
        queued_spin_lock_slowpath(q);
    }
}

/// `spin_trylock()` with no debugging on.
///
/// # Safety
///
/// As [`spin_lock()`].
#[inline(always)]
pub(crate) unsafe fn spin_trylock(lock: *mut spinlock_t) -> bool {
    preempt_disable();
    // SAFETY: per the caller.
    if queued_spin_trylock(unsafe { word(lock) }) {
        return true;
    }
    preempt_enable();
    false
}

/// `spin_unlock()` with no debugging on: `queued_spin_unlock()`, then
/// `preempt_enable()`.
///
/// # Safety
///
/// `lock` is held by this thread, taken with no debugging on.
#[inline(always)]
pub(crate) unsafe fn spin_unlock(lock: *mut spinlock_t) {
    // SAFETY: per the caller; `q` is not read after the store below.
    let q = unsafe { word(lock) };
    let addr: *const arch_spinlock_t = q;
    // Release: pairs with the next owner's acquire.
    q.locked.store(0, Ordering::Release);
    // As C's queued_spin_unlock(): a compiler barrier only between the
    // store and the load of the sleepers' count.  A waiter about to sleep
    // issues membarrier(2), which puts a full fence on every running
    // thread of the process, this one included, so either this thread
    // sees the count or the sleeper sees the lock free.
    compiler_fence(Ordering::SeqCst);
    // Relaxed: ordered by the membarrier above.
    // SAFETY: a static of libksync.
    if unsafe { bindings::ksync_qspinlock_sleepers.load(Ordering::Relaxed) } != 0 {
        queued_spin_unlock_wake(addr);
    }
    preempt_enable();
}
