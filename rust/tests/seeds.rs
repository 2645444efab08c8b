// SPDX-License-Identifier: MIT
//! The seeds' Rust examples (rust/kernel/sync/lock/spinlock.rs and the v17
//! `lock_with()` patch), run over ksync, and the lock API around them.

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use ksync::init::{InPlaceInit, PinInit};
use ksync::interrupt::{
    irqs_disabled, local_interrupt_disable, local_interrupt_disable_count, LocalInterruptDisabled,
};
use ksync::sync::{Mutex, SpinLock, SpinLockIrq};
use ksync::{
    new_mutex, new_spinlock, new_spinlock_irq, pin_data, pin_init, stack_pin_init, try_pin_init,
};

mod common;

// --- the first seed: Example and Inner, new_spinlock!, Box::pin_init ------

struct Inner {
    a: u32,
    b: u32,
}

#[pin_data]
struct Example {
    c: u32,
    #[pin]
    d: SpinLock<Inner>,
}

impl Example {
    fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            c: 10,
            d <- new_spinlock!(Inner { a: 20, b: 30 }),
        })
    }
}

#[test]
fn seed_example_box_pin_init() -> Result<(), core::convert::Infallible> {
    // Allocate a boxed `Example`.
    let e = Box::pin_init(Example::new())?;
    assert_eq!(e.c, 10);
    assert_eq!(e.d.lock().a, 20);
    assert_eq!(e.d.lock().b, 30);
    Ok(())
}

// --- the second: interior mutability through &SpinLock<Example> ----------

struct Pair {
    a: u32,
    b: u32,
}

fn example(m: &SpinLock<Pair>) {
    let mut guard = m.lock();
    guard.a += 10;
    guard.b += 20;
}

#[test]
fn seed_example_shared_reference() {
    const THREADS: u32 = 8;
    const ROUNDS: u32 = 2000;

    let m = Arc::pin_init(new_spinlock!(Pair { a: 0, b: 0 }, "pair")).unwrap();
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                for _ in 0..ROUNDS {
                    example(&m);
                }
            });
        }
    });
    let guard = m.lock();
    assert_eq!((guard.a, guard.b), (10 * THREADS * ROUNDS, 20 * THREADS * ROUNDS));
}

// --- the v17 patch: SpinLockIrq, noirq_work() and lock_with() ---------------

struct IrqInner {
    a: u32,
}

#[pin_data]
struct IrqExample {
    #[pin]
    inner: SpinLockIrq<IrqInner>,
}

impl IrqExample {
    fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            inner <- new_spinlock_irq!(IrqInner { a: 20 }),
        })
    }
}

// Accessing an `Example` from a function that can only be called in
// no-interrupt contexts.
fn noirq_work(e: &IrqExample, interrupt_disabled: &LocalInterruptDisabled) {
    // Because we know interrupts are disabled from interrupt_disable, we can
    // skip toggling interrupt state using lock_with() and the provided token
    assert_eq!(e.inner.lock_with(interrupt_disabled).a, 20);
}

#[test]
fn seed_spinlock_irq_lock_with() -> Result<(), core::convert::Infallible> {
    let e = Box::pin_init(IrqExample::new())?;
    let interrupt_guard = local_interrupt_disable();
    noirq_work(&e, &interrupt_guard);
    Ok(())
}

#[test]
fn spinlock_irq_lock_disables_interrupts_counted() {
    let e = Box::pin_init(IrqExample::new()).unwrap();
    assert!(!irqs_disabled());
    let guard = e.inner.lock();
    assert!(irqs_disabled());
    assert_eq!(local_interrupt_disable_count(), 1);
    drop(guard);
    assert!(!irqs_disabled());
    assert_eq!(local_interrupt_disable_count(), 0);
}

#[test]
fn lock_with_leaves_interrupt_state_alone() {
    let e = Box::pin_init(IrqExample::new()).unwrap();
    let irq = local_interrupt_disable();
    assert_eq!(local_interrupt_disable_count(), 1);
    {
        let mut guard = e.inner.lock_with(&irq);
        guard.a += 1;
        assert_eq!(local_interrupt_disable_count(), 1);
        assert!(e.inner.try_lock_with(&irq).is_none(), "held: try_lock_with fails");
    }
    assert_eq!(local_interrupt_disable_count(), 1);
    let guard = e.inner.try_lock_with(&irq).expect("free: try_lock_with takes it");
    assert_eq!(guard.a, 21);
    drop(guard);
    assert!(irqs_disabled());
    drop(irq);
    assert!(!irqs_disabled());
}

#[test]
fn spinlock_irq_guards_drop_in_any_order() {
    #[pin_data]
    struct Two {
        #[pin]
        c: SpinLockIrq<u32>,
        #[pin]
        d: SpinLockIrq<u32>,
    }
    let e = Box::pin_init(pin_init!(Two {
        c <- new_spinlock_irq!(0),
        d <- new_spinlock_irq!(20),
    }))
    .unwrap();
    let c_guard = e.c.lock();
    let d_guard = e.d.lock();
    assert_eq!(local_interrupt_disable_count(), 2);
    drop(c_guard);
    assert!(irqs_disabled(), "d is still held");
    drop(d_guard);
    assert!(!irqs_disabled());
}

// --- the rest of the lock API ---------------------------------------------

#[test]
fn try_lock_and_do_unlocked() {
    stack_pin_init!(let m = new_mutex!(5u32, "try_lock_and_do_unlocked"));
    let mut guard = m.lock();
    std::thread::scope(|s| {
        s.spawn(|| assert!(m.try_lock().is_none(), "held by the other thread"));
    });
    let seen = guard.do_unlocked(|| {
        // Released meanwhile: another thread can take it.
        std::thread::scope(|s| s.spawn(|| *m.try_lock().expect("released") += 1).join().unwrap());
        "cb's result"
    });
    assert_eq!(seen, "cb's result");
    assert_eq!(*guard, 6, "held again after do_unlocked");
    assert!(std::ptr::eq(guard.lock_ref(), &*m));
    guard.lock_ref().assert_is_held();
}

#[test]
fn mutex_exact_count_under_contention() {
    const THREADS: usize = 16;
    const ROUNDS: usize = 1000;

    let m = Arc::pin_init(new_mutex!(0usize)).unwrap();
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                for i in 0..ROUNDS {
                    if i % 7 == 0 {
                        if let Some(mut g) = m.try_lock() {
                            *g += 1;
                            continue;
                        }
                    }
                    *m.lock() += 1;
                }
            });
        }
    });
    assert_eq!(*m.lock(), THREADS * ROUNDS);
}

#[test]
fn lock_over_unsized_data() {
    // Lock<T: ?Sized>: a mutex over a slice, by unsizing coercion.
    let m: Pin<Box<Mutex<[u32; 4]>>> = Box::pin_init(new_mutex!([1, 2, 3, 4])).unwrap();
    let m: Pin<Box<Mutex<[u32]>>> = m;
    m.lock()[3] = 40;
    assert_eq!(m.lock().iter().sum::<u32>(), 46);
}

static DROPS: AtomicUsize = AtomicUsize::new(0);

struct Counted(#[allow(dead_code)] u32);

impl Drop for Counted {
    fn drop(&mut self) {
        DROPS.fetch_add(1, Ordering::Relaxed);
    }
}

#[derive(Debug, PartialEq)]
struct InitFailed;

impl From<core::convert::Infallible> for InitFailed {
    fn from(never: core::convert::Infallible) -> Self {
        match never {}
    }
}

#[pin_data]
struct ThreeFields {
    first: Counted,
    #[pin]
    lock: SpinLock<u32>,
    last: u32,
}

fn failing_u32() -> impl ksync::init::Init<u32, InitFailed> {
    // SAFETY: fails without touching the slot.
    unsafe { ksync::init::init_from_closure(|_slot: *mut u32| Err(InitFailed)) }
}

#[test]
fn failed_init_drops_what_it_initialised() {
    DROPS.store(0, Ordering::Relaxed);
    let result = Box::pin_init(try_pin_init!(ThreeFields {
        first: Counted(1),
        lock <- new_spinlock!(0),
        last <- failing_u32(),
    }? InitFailed));
    assert_eq!(result.err(), Some(InitFailed));
    assert_eq!(DROPS.load(Ordering::Relaxed), 1, "`first` dropped again, once");

    let ok = Box::pin_init(try_pin_init!(ThreeFields {
        first: Counted(2),
        lock <- new_spinlock!(7),
        last: 3,
    }? InitFailed))
    .unwrap();
    assert_eq!((*ok.lock.lock(), ok.last), (7, 3));
    drop(ok);
    assert_eq!(DROPS.load(Ordering::Relaxed), 2);
}

#[test]
fn no_false_reports_under_lockdep() {
    // Everything above again, in a child with the validator and the debug
    // checks on: nothing may be reported.
    let out = common::rerun_self(
        &["--skip", "no_false_reports"],
        &[("KSYNC_LOCKDEP", "1"), ("KSYNC_DEBUG", "1")],
    );
    common::assert_quiet(&out);
}

#[test]
#[should_panic(expected = "mismatched owners")]
fn locked_by_checks_the_owner() {
    use ksync::sync::LockedBy;

    stack_pin_init!(let owner = new_mutex!(0u32));
    stack_pin_init!(let other = new_mutex!(0u32));
    let data = LockedBy::new(&owner, 1u32);
    *data.access_mut(&mut owner.lock()) += 1;
    assert_eq!(*data.access(&owner.lock()), 2);
    // Holding a lock, but not the owner: refused at run time.
    let _ = data.access_mut(&mut other.lock());
}
