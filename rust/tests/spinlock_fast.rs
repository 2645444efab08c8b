// SPDX-License-Identifier: MIT
//! SpinLock's inline fast path (src/sync/lock/spinlock_fast.rs) against
//! C's: the same lock word, the same preemption count, C's slow paths
//! when contended, in threads and in interrupt handlers.  Without
//! debugging (the fast path), and once more in a child with lockdep and
//! the debug checks on (the C path), which must report nothing.

use std::ffi::{c_char, c_int, c_uint, c_ulong, c_void};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use ksync::__bench::{c_spin_loop, c_trylock, preempt_count};
use ksync::bindings::{HARDIRQ_MASK, PREEMPT_MASK};
use ksync::init::InPlaceInit;
use ksync::interrupt::local_interrupt_disable;
use ksync::sync::SpinLockIrq;
use ksync::{new_spinlock, new_spinlock_irq, stack_pin_init};

mod common;

#[test]
fn preemption_counted_and_lock_seen_by_c() {
    stack_pin_init!(let a = new_spinlock!(0u32));
    stack_pin_init!(let b = new_spinlock!(0u32));
    let base = preempt_count();
    {
        let ga = a.lock();
        assert_eq!(preempt_count(), base + 1);
        assert!(!c_trylock(&a), "C sees the Rust-held lock taken");
        assert!(c_trylock(&b), "and the other one free");
        assert_eq!(preempt_count(), base + 1, "C's trylock+unlock balanced");
        let gb = b.try_lock().expect("b is free");
        assert_eq!(preempt_count(), base + 2);
        assert!(a.try_lock().is_none());
        assert_eq!(preempt_count(), base + 2, "a failed try_lock gives the count back");
        drop(ga);
        assert_eq!(preempt_count(), base + 1);
        assert!(c_trylock(&a));
        drop(gb);
    }
    assert_eq!(preempt_count(), base);

    // lock_with(): the same path, interrupts left alone.
    stack_pin_init!(let irq_lock = new_spinlock_irq!(0u32));
    let irq = local_interrupt_disable();
    let g = irq_lock.lock_with(&irq);
    assert_eq!(preempt_count(), base + 1);
    drop(g);
    drop(irq);
    assert_eq!(preempt_count(), base);
}

#[test]
fn rust_and_c_exclude_each_other_under_contention() {
    // More threads than CPUs on one lock: waiters queue and sleep in C's
    // slow path and are woken by Rust's and C's unlocks alike.
    const EACH: usize = 4;
    const ROUNDS: u64 = 20_000;

    let lock = Arc::pin_init(new_spinlock!(0 as c_ulong)).unwrap();
    std::thread::scope(|s| {
        for t in 0..2 * EACH {
            let lock = &lock;
            s.spawn(move || {
                if t % 2 == 0 {
                    c_spin_loop(lock, ROUNDS);
                } else {
                    for i in 0..ROUNDS {
                        if i % 5 == 0 {
                            if let Some(mut g) = lock.try_lock() {
                                *g += 1;
                                continue;
                            }
                        }
                        *lock.lock() += 1;
                    }
                }
                assert_eq!(preempt_count(), 0, "thread {t}: every lock's count given back");
            });
        }
    });
    assert_eq!(*lock.lock(), 2 * EACH as c_ulong * ROUNDS);
    assert_eq!(preempt_count(), 0);
}

#[test]
fn contention_without_membarrier() {
    // Without membarrier(2) the unlock's compiler barrier is not enough:
    // ksync's sleepers then sleep with a timeout instead.  The same test
    // in a child so configured.
    if common::is_child() {
        return;
    }
    let out = common::rerun_self(
        &["rust_and_c_exclude_each_other_under_contention", "--exact"],
        &[("KSYNC_NO_MEMBARRIER", "1")],
    );
    common::assert_quiet(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 passed"));
}

#[test]
fn nesting_up_to_the_preemption_fields_edge() {
    // With debugging on, lockdep would rightly refuse 250 held locks; the
    // edge of the field is what the fast path hands to C's checks.
    if ksync::bindings::ksync_debug_active() {
        return;
    }
    const DEPTH: usize = 250;
    let locks: Vec<_> = (0..DEPTH).map(|_| Box::pin_init(new_spinlock!(0u8)).unwrap()).collect();
    let base = preempt_count();
    assert_eq!(base, 0);
    let guards: Vec<_> = locks.iter().map(|l| l.lock()).collect();
    assert_eq!(preempt_count(), DEPTH as u32, "counted through C's edge path");
    assert!(preempt_count() <= PREEMPT_MASK);
    drop(guards);
    assert_eq!(preempt_count(), base);
}

// --- in an interrupt handler (a signal requested through ksync) ------------

extern "C" {
    fn ksync_request_irq(
        irq: c_uint,
        handler: extern "C" fn(c_int, *mut c_void) -> c_int,
        flags: c_ulong,
        name: *const c_char,
        dev: *mut c_void,
    ) -> c_int;
    fn ksync_free_irq(irq: c_uint, dev: *mut c_void) -> *const c_void;
    fn __libc_current_sigrtmin() -> c_int;
    fn pthread_self() -> c_ulong;
    fn pthread_kill(thread: c_ulong, sig: c_int) -> c_int;
}

static IRQ_LOCK: AtomicPtr<SpinLockIrq<u64>> = AtomicPtr::new(std::ptr::null_mut());
static IN_HANDLER: AtomicU32 = AtomicU32::new(0);
static HANDLED: AtomicUsize = AtomicUsize::new(0);

extern "C" fn lock_in_irq(_irq: c_int, _dev: *mut c_void) -> c_int {
    // SAFETY: set before the interrupt was requested, freed after.
    let lock = unsafe { &*IRQ_LOCK.load(Ordering::Acquire) };
    // SAFETY: a hard interrupt handler runs with interrupts off.
    let token = unsafe { ksync::interrupt::LocalInterruptDisabled::assume_disabled() };
    let mut g = lock.lock_with(token);
    *g += 1;
    IN_HANDLER.store(preempt_count(), Ordering::Relaxed);
    drop(g);
    HANDLED.fetch_add(1, Ordering::Release);
    1 // IRQ_HANDLED
}

#[test]
fn lock_in_an_interrupt_handler() {
    let lock = Box::pin_init(new_spinlock_irq!(0u64)).unwrap();
    IRQ_LOCK.store(&*lock as *const _ as *mut _, Ordering::Release);
    // SAFETY: plain calls.
    let irq = unsafe { __libc_current_sigrtmin() } as c_uint + 4;
    let dev = &HANDLED as *const AtomicUsize as *mut c_void;
    // SAFETY: a real-time signal nobody else uses; freed below.
    assert_eq!(unsafe { ksync_request_irq(irq, lock_in_irq, 0, c"rust-fast".as_ptr(), dev) }, 0);
    let thread = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            // SAFETY: no preconditions.
            thread.store(unsafe { pthread_self() }, Ordering::Release);
            // The thread's first lock may well be the handler's.  It
            // takes the lock too, with interrupts off, so the handler
            // never spins on its own thread's lock.
            let mut mine = 0u64;
            while !stop.load(Ordering::Acquire) {
                *lock.lock() += 1;
                mine += 1;
                assert_eq!(preempt_count(), 0, "the handler gave back what it took");
            }
            mine
        });
        // Acquire: pairs with the store of the id.
        let thread = loop {
            match thread.load(Ordering::Acquire) {
                0 => std::thread::yield_now(),
                id => break id,
            }
        };
        while HANDLED.load(Ordering::Acquire) < 20 {
            // SAFETY: the thread has not been joined yet.
            assert_eq!(unsafe { pthread_kill(thread, irq as c_int) }, 0);
            std::thread::yield_now();
        }
        stop.store(true, Ordering::Release);
    });
    // SAFETY: requested above with this dev.
    unsafe { ksync_free_irq(irq, dev) };
    let seen = IN_HANDLER.load(Ordering::Relaxed);
    assert_ne!(seen & HARDIRQ_MASK, 0, "taken in hard interrupt context ({seen:#x})");
    assert_eq!(seen & PREEMPT_MASK, 1, "one count for the lock ({seen:#x})");
    assert_eq!(preempt_count(), 0);
}

#[test]
fn no_false_reports_under_lockdep() {
    let out = common::rerun_self(
        &["--skip", "no_false_reports"],
        &[("KSYNC_LOCKDEP", "1"), ("KSYNC_DEBUG", "1")],
    );
    common::assert_quiet(&out);
}
