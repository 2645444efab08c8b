// SPDX-License-Identifier: MIT
//! CondVar over Mutex, SpinLock and SpinLockIrq guards: a bounded-queue
//! producer/consumer with exact counts, timeouts, and interrupts (ksync's
//! request_irq() signals) ending interruptible waits.

use std::collections::VecDeque;
use std::ffi::{c_char, c_int, c_uint, c_ulong, c_void};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use ksync::interrupt::{irqs_disabled, local_interrupt_disable_count};
use ksync::prelude::*;
use ksync::sync::lock::{mutex::MutexBackend, spinlock::SpinLockBackend};
use ksync::sync::lock::{Backend, Lock};
use ksync::sync::{CondVar, CondVarTimeoutResult, Mutex, SpinLockIrq};
use ksync::time::msecs_to_jiffies;

mod common;

/// A bounded queue: a lock of backend B over the items, and two condition
/// variables.
#[pin_data]
struct Queue<B: Backend> {
    #[pin]
    items: Lock<VecDeque<u64>, B>,
    #[pin]
    not_empty: CondVar,
    #[pin]
    not_full: CondVar,
    capacity: usize,
}

impl<B: Backend> Queue<B> {
    fn push(&self, v: u64) {
        let mut items = self.items.lock();
        while items.len() == self.capacity {
            self.not_full.wait(&mut items);
        }
        items.push_back(v);
        drop(items);
        self.not_empty.notify_one();
    }

    fn pop(&self) -> u64 {
        let mut items = self.items.lock();
        loop {
            if let Some(v) = items.pop_front() {
                drop(items);
                self.not_full.notify_one();
                return v;
            }
            self.not_empty.wait(&mut items);
        }
    }
}

fn producer_consumer<B: Backend>(queue: Pin<Arc<Queue<B>>>) {
    const PRODUCERS: u64 = 4;
    const CONSUMERS: u64 = 4;
    const ITEMS: u64 = 2000; // per producer

    let popped = AtomicUsize::new(0);
    let sum = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for p in 0..PRODUCERS {
            let q = &queue;
            s.spawn(move || {
                for i in 0..ITEMS {
                    q.push(p * ITEMS + i);
                }
            });
        }
        for _ in 0..CONSUMERS {
            s.spawn(|| {
                for _ in 0..PRODUCERS * ITEMS / CONSUMERS {
                    let v = queue.pop();
                    sum.fetch_add(v as usize, Ordering::Relaxed);
                    popped.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    let n = PRODUCERS * ITEMS;
    assert_eq!(popped.load(Ordering::Relaxed) as u64, n);
    assert_eq!(sum.load(Ordering::Relaxed) as u64, n * (n - 1) / 2);
    assert!(queue.items.lock().is_empty());
}

#[test]
fn producer_consumer_over_mutex() {
    let q = Arc::pin_init(pin_init!(Queue::<MutexBackend> {
        items <- new_mutex!(VecDeque::new(), "queue"),
        not_empty <- new_condvar!("not_empty"),
        not_full <- new_condvar!("not_full"),
        capacity: 8,
    }))
    .unwrap();
    producer_consumer(q);
}

#[test]
fn producer_consumer_over_spinlock() {
    let q = Arc::pin_init(pin_init!(Queue::<SpinLockBackend> {
        items <- new_spinlock!(VecDeque::new(), "queue"),
        not_empty <- new_condvar!(),
        not_full <- new_condvar!(),
        capacity: 2,
    }))
    .unwrap();
    producer_consumer(q);
}

#[pin_data]
struct Flagged<T> {
    #[pin]
    lock: T,
    #[pin]
    cv: CondVar,
}

#[test]
fn spinlock_irq_wait_relocks_with_interrupts_off() {
    let f = Arc::pin_init(pin_init!(Flagged::<SpinLockIrq<bool>> {
        lock <- new_spinlock_irq!(false),
        cv <- new_condvar!(),
    }))
    .unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut ready = f.lock.lock();
            while !*ready {
                f.cv.wait(&mut ready);
                // Retaken the way it was taken: interrupts off, counted.
                assert!(irqs_disabled());
                assert_eq!(local_interrupt_disable_count(), 1);
            }
        });
        *f.lock.lock() = true;
        f.cv.notify_all();
    });
    assert!(!irqs_disabled());
}

#[test]
fn timeout_without_notify() {
    let f = Box::pin_init(pin_init!(Flagged::<Mutex<()>> {
        lock <- new_mutex!(()),
        cv <- new_condvar!(),
    }))
    .unwrap();
    let mut guard = f.lock.lock();
    // Nobody notifies: the only ways out are the time running out or a
    // spurious wakeup, after which the loop waits again.
    loop {
        match f.cv.wait_interruptible_timeout(&mut guard, msecs_to_jiffies(2)) {
            CondVarTimeoutResult::Timeout => break,
            CondVarTimeoutResult::Woken { .. } => continue,
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn woken_before_the_timeout() {
    let f = Arc::pin_init(pin_init!(Flagged::<Mutex<bool>> {
        lock <- new_mutex!(false),
        cv <- new_condvar!(),
    }))
    .unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut notified = f.lock.lock();
            while !*notified {
                match f.cv.wait_interruptible_timeout(&mut notified, 1 << 40) {
                    CondVarTimeoutResult::Woken { jiffies } => assert!(jiffies >= 1),
                    other => panic!("unexpected {other:?}"),
                }
            }
        });
        *f.lock.lock() = true;
        f.cv.notify_one();
    });
}

// --- interrupts (signals requested through ksync) end interruptible waits --

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

static HANDLED: AtomicUsize = AtomicUsize::new(0);

extern "C" fn count_irq(_irq: c_int, _dev: *mut c_void) -> c_int {
    HANDLED.fetch_add(1, Ordering::Relaxed);
    1 // IRQ_HANDLED
}

/// Runs `wait` (which returns once an interrupt ended a wait) on a thread
/// that gets an interrupt until it does.
fn interrupt_until_done(wait: impl FnOnce() + Send) {
    // SAFETY: plain calls; the handler only counts.
    let irq = unsafe { __libc_current_sigrtmin() } as c_uint + 3;
    let dev = &HANDLED as *const AtomicUsize as *mut c_void;
    // SAFETY: a real-time signal nobody else uses; freed below.
    assert_eq!(unsafe { ksync_request_irq(irq, count_irq, 0, c"rust-test".as_ptr(), dev) }, 0);
    let done = AtomicBool::new(false);
    let thread = std::sync::atomic::AtomicU64::new(0);
    std::thread::scope(|s| {
        s.spawn(|| {
            // SAFETY: no preconditions.
            thread.store(unsafe { pthread_self() }, Ordering::Release);
            wait();
            done.store(true, Ordering::Release);
        });
        // Acquire: pairs with the store of the id.
        let thread = loop {
            match thread.load(Ordering::Acquire) {
                0 => std::thread::yield_now(),
                id => break id,
            }
        };
        // A signal only interrupts a wait it arrives during: send until
        // one has.  (Acquire: pairs with the store of done.)
        while !done.load(Ordering::Acquire) {
            // SAFETY: the thread has not been joined yet.
            assert_eq!(unsafe { pthread_kill(thread, irq as c_int) }, 0);
            std::thread::yield_now();
        }
    });
    // SAFETY: requested above with this dev.
    unsafe { ksync_free_irq(irq, dev) };
    assert!(HANDLED.load(Ordering::Relaxed) >= 1);
}

#[test]
fn interrupt_ends_interruptible_waits() {
    let f = Arc::pin_init(pin_init!(Flagged::<Mutex<()>> {
        lock <- new_mutex!(()),
        cv <- new_condvar!(),
    }))
    .unwrap();
    // Nobody notifies: only an interrupt ends these waits (or a spurious
    // wakeup, after which they wait again).
    interrupt_until_done(|| {
        let mut guard = f.lock.lock();
        while !f.cv.wait_interruptible(&mut guard) {}
    });
    interrupt_until_done(|| {
        let mut guard = f.lock.lock();
        loop {
            match f.cv.wait_interruptible_timeout(&mut guard, 1 << 40) {
                CondVarTimeoutResult::Signal { jiffies } => {
                    assert!(jiffies > 0, "an hour and more was left");
                    break;
                }
                CondVarTimeoutResult::Woken { .. } => continue,
                CondVarTimeoutResult::Timeout => panic!("timed out"),
            }
        }
    });
}

#[test]
fn no_false_reports_under_lockdep() {
    let out = common::rerun_self(
        &["--skip", "no_false_reports"],
        &[("KSYNC_LOCKDEP", "1"), ("KSYNC_DEBUG", "1")],
    );
    common::assert_quiet(&out);
}
