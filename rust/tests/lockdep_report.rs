// SPDX-License-Identifier: MIT
//! Lockdep sees Rust locks as it sees C ones: an AB-BA between two
//! `Mutex<T>` made by `new_mutex!` is reported, the first time the second
//! order happens, with the kernel's headline, the lock classes' names
//! (given, or file:line of the `new_mutex!`), and the Rust call sites:
//! file:line of each lock() and the demangled name of its function.
//!
//! The AB-BA runs in a child (this binary again, with KSYNC_LOCKDEP=1);
//! the test matches the child's stderr.

use ksync::prelude::*;
use ksync::sync::Mutex;

mod common;

#[pin_data]
struct Bank {
    #[pin]
    alice: Mutex<u64>,
    #[pin]
    bob: Mutex<u64>,
}

impl Bank {
    fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            alice <- new_mutex!(100, "alice"),
            bob <- new_mutex!(100), // @bob-class
        })
    }
}

#[inline(never)]
fn alice_then_bob(bank: &Bank) {
    let mut alice = bank.alice.lock(); // @alice-1
    let mut bob = bank.bob.lock(); // @bob-1
    *alice -= 10;
    *bob += 10;
}

#[inline(never)]
fn bob_then_alice(bank: &Bank) {
    let mut bob = bank.bob.lock(); // @bob-2
    let mut alice = bank.alice.lock(); // @alice-2
    *bob -= 5;
    *alice += 5;
}

/// The child's part: both orders, one after the other (no deadlock, but
/// lockdep sees that there could be one).
#[test]
fn child_abba() {
    if !common::is_child() {
        return;
    }
    let bank = Box::pin_init(Bank::new()).unwrap();
    alice_then_bob(&bank);
    bob_then_alice(&bank);
    assert_eq!(*bank.alice.lock() + *bank.bob.lock(), 200);
}

/// The line of the marker `@name` in this file.
fn line_of(marker: &str) -> usize {
    let tag = format!("// @{marker}");
    include_str!("lockdep_report.rs")
        .lines()
        .position(|l| l.trim_end().ends_with(&tag))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("no marker {tag}"))
}

#[test]
fn abba_between_rust_mutexes_is_reported() {
    if common::is_child() {
        return;
    }
    let out = common::rerun_self(&["--exact", "child_abba"], &[("KSYNC_LOCKDEP", "1")]);
    let err = common::stderr(&out);
    assert!(out.status.success(), "the child failed:\n{err}");
    let bob = format!("(tests/lockdep_report.rs:{})", line_of("bob-class"));
    let expect = [
        "WARNING: possible circular locking dependency detected".to_string(),
        "is trying to acquire lock:".to_string(),
        format!("(alice){{+.+.}}-{{4:4}}, at: lockdep_report.rs:{}", line_of("alice-2")),
        "but task is already holding lock:".to_string(),
        format!("{bob}{{+.+.}}-{{4:4}}, at: lockdep_report.rs:{}", line_of("bob-2")),
        "which lock already depends on the new lock.".to_string(),
        format!("-> #1 {bob}"),
        format!("at lockdep_report.rs:{} in lockdep_report::alice_then_bob()", line_of("bob-1")),
        "while holding (alice)".to_string(),
        format!("at lockdep_report.rs:{} in lockdep_report::alice_then_bob()", line_of("alice-1")),
        "-> #0 (alice)".to_string(),
        format!("at lockdep_report.rs:{} in lockdep_report::bob_then_alice()", line_of("alice-2")),
        "*** DEADLOCK ***".to_string(),
        "stack backtrace:".to_string(),
        " lockdep_report::bob_then_alice+0x".to_string(),
    ];
    expect_in_order(&err, &expect);
    // Every Rust frame demangled: the program's own (legacy mangling,
    // "_ZN...") and std's ("v0", "_R...").
    assert!(err.contains(" std::sys::backtrace::__rust_begin_short_backtrace::<"), "{err}");
    for line in err.lines() {
        let frame = line.trim_start();
        assert!(
            !frame.starts_with("_ZN") && !frame.starts_with("_R"),
            "a mangled Rust name in the report: {frame}\n{err}"
        );
    }
}

/// Misuse: a token claimed with interrupts on.  `assume_disabled()` is
/// `unsafe` for that reason; with debugging on ksync says so.
#[test]
fn child_false_token() {
    if !common::is_child() {
        return;
    }
    let lock = Box::pin_init(new_spinlock_irq!(0u32, "irqlock")).unwrap();
    // SAFETY: not true: interrupts are on.  This is the misuse under test.
    let token = unsafe { ksync::interrupt::LocalInterruptDisabled::assume_disabled() }; // @token
    *lock.lock_with(token) += 1; // @lock-with
}

#[test]
fn false_token_is_reported() {
    if common::is_child() {
        return;
    }
    let out = common::rerun_self(&["--exact", "child_false_token"], &[("KSYNC_DEBUG", "1")]);
    let err = common::stderr(&out);
    let expect = [
        "LocalInterruptDisabled::assume_disabled(): interrupts are enabled: \
         the local_interrupt_disabled token does not hold"
            .to_string(),
        format!("at lockdep_report.rs:{}", line_of("token")),
        "SpinLockIrq::lock_with(): interrupts are enabled".to_string(),
        format!("at lockdep_report.rs:{}", line_of("lock-with")),
    ];
    expect_in_order(&err, &expect);
}

/// Misuse: sleeping in atomic context, always checked (as in C, without
/// any switch): a Mutex taken under a SpinLock; a CondVar wait on a guard
/// from lock_with(), which keeps interrupts off while sleeping (in the
/// kernel too: the token's interrupts stay off).
#[test]
fn child_sleep_in_atomic() {
    if !common::is_child() {
        return;
    }
    let spin = Box::pin_init(new_spinlock!(0u32)).unwrap();
    let mutex = Box::pin_init(new_mutex!(0u32)).unwrap();
    let _spin = spin.lock();
    let _mutex = mutex.lock(); // @sleep-mutex
}

#[test]
fn child_wait_with_interrupts_off() {
    if !common::is_child() {
        return;
    }
    let irq_lock = Box::pin_init(new_spinlock_irq!(0u32)).unwrap();
    let cv = Box::pin_init(ksync::new_condvar!()).unwrap();
    let irq = ksync::interrupt::local_interrupt_disable();
    let mut guard = irq_lock.lock_with(&irq);
    // The wait may end at once (interrupted by nothing, timed out after a
    // jiffy): only the report matters.
    let _ = cv.wait_interruptible_timeout(&mut guard, 1); // @sleep-wait
}

fn expect_in_order(err: &str, expect: &[String]) {
    let mut rest = err;
    for e in expect {
        match rest.find(e.as_str()) {
            Some(at) => rest = &rest[at + e.len()..],
            None => panic!("expected, in this order: {e:?}\nin the report:\n{err}"),
        }
    }
}

#[test]
fn sleep_in_atomic_is_reported_with_debugging_off() {
    if common::is_child() {
        return;
    }
    let out = common::rerun_self(&["--exact", "child_sleep_in_atomic"], &[]);
    let err = common::stderr(&out);
    // Without debugging there are no call site records: the report names
    // the Rust function from its code address.
    expect_in_order(
        &err,
        &[
            "BUG: sleeping function called from invalid context at lockdep_report::child_sleep_in_atomic+0x"
                .to_string(),
            "in_atomic(): 1, irqs_disabled(): 0".to_string(),
        ],
    );
}

#[test]
fn sleep_in_atomic_is_reported_with_the_line() {
    if common::is_child() {
        return;
    }
    let out = common::rerun_self(&["--exact", "child_sleep_in_atomic"], &[("KSYNC_DEBUG", "1")]);
    let err = common::stderr(&out);
    expect_in_order(
        &err,
        &[
            format!(
                "BUG: sleeping function called from invalid context at lockdep_report.rs:{}",
                line_of("sleep-mutex")
            ),
            "in_atomic(): 1, irqs_disabled(): 0".to_string(),
        ],
    );
    let out =
        common::rerun_self(&["--exact", "child_wait_with_interrupts_off"], &[("KSYNC_DEBUG", "1")]);
    let err = common::stderr(&out);
    expect_in_order(
        &err,
        &[
            format!(
                "BUG: sleeping function called from invalid context at lockdep_report.rs:{}",
                line_of("sleep-wait")
            ),
            "irqs_disabled(): 1".to_string(),
        ],
    );
}

/// One lock class per call site of new_mutex!, not per lock: two locks
/// made at one place, nested, are a recursion to lockdep (as two locks
/// initialised by one mutex_init() line are in C).
fn make_node(v: u32) -> impl PinInit<Mutex<u32>> {
    new_mutex!(v) // @node-class
}

#[test]
fn child_one_class_per_call_site() {
    if !common::is_child() {
        return;
    }
    let parent = Box::pin_init(make_node(1)).unwrap();
    let child = Box::pin_init(make_node(2)).unwrap();
    let _p = parent.lock(); // @node-1
    let _c = child.lock(); // @node-2
}

#[test]
fn nesting_one_class_is_reported() {
    if common::is_child() {
        return;
    }
    let out = common::rerun_self(
        &["--exact", "child_one_class_per_call_site"],
        &[("KSYNC_LOCKDEP", "1")],
    );
    let err = common::stderr(&out);
    let class = format!("(tests/lockdep_report.rs:{}){{+.+.}}-{{4:4}}", line_of("node-class"));
    expect_in_order(
        &err,
        &[
            "WARNING: possible recursive locking detected".to_string(),
            format!("{class}, at: lockdep_report.rs:{}", line_of("node-2")),
            "but task is already holding lock:".to_string(),
            format!("{class}, at: lockdep_report.rs:{}", line_of("node-1")),
        ],
    );
}
