// SPDX-License-Identifier: MIT
//! The Linux kernel's Rust lock API (`rust/kernel/sync`) over ksync's C
//! locks, for ordinary userspace programs.
//!
//! Read `kernel::` as `ksync::`: [`sync::SpinLock`], [`sync::Mutex`],
//! [`sync::SpinLockIrq`] with [`lock_with()`](sync::SpinLockIrq::lock_with),
//! [`sync::CondVar`], [`sync::LockedBy`], lock classes made per call site by
//! [`new_spinlock!`], [`new_mutex!`], [`new_spinlock_irq!`], [`new_condvar!`]
//! and [`static_lock_class!`], and pinned in-place initialisation
//! ([`pin_init!`], [`macro@pin_data`], [`init::InPlaceInit`]).
//!
//! The locks are ksync's `spinlock_t` and `struct mutex`, so the same run
//! time switches apply: `KSYNC_DEBUG=1` checks every lock call and
//! `KSYNC_LOCKDEP=1` has the lock validator watch Rust locks as it watches
//! C ones, naming the Rust call sites in its reports.
//!
//! ```
//! use ksync::{init::InPlaceInit, new_spinlock, pin_data, pin_init, sync::SpinLock};
//! use ksync::init::PinInit;
//!
//! struct Inner {
//!     a: u32,
//!     b: u32,
//! }
//!
//! #[pin_data]
//! struct Example {
//!     c: u32,
//!     #[pin]
//!     d: SpinLock<Inner>,
//! }
//!
//! impl Example {
//!     fn new() -> impl PinInit<Self> {
//!         pin_init!(Self {
//!             c: 10,
//!             d <- new_spinlock!(Inner { a: 20, b: 30 }),
//!         })
//!     }
//! }
//!
//! // Allocate a boxed `Example`.
//! let e = Box::pin_init(Example::new())?;
//! assert_eq!(e.c, 10);
//! assert_eq!(e.d.lock().a, 20);
//! assert_eq!(e.d.lock().b, 30);
//! # Ok::<(), core::convert::Infallible>(())
//! ```
//!
//! See `docs/rust.md` in the repository for the API beside the kernel's
//! and what differs in userspace.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

// So that the code #[pin_data] generates (which names `::ksync`) also
// works inside this crate.
extern crate self as ksync;

pub mod bindings;
pub mod init;
pub mod interrupt;
pub mod prelude;
mod site;
pub mod sync;
pub mod time;
pub mod types;

/// Marks a struct whose fields [`pin_init!`] initialises in place;
/// `#[pin]` marks the fields that are structurally pinned (locks, condition
/// variables, anything `!Unpin`).  See [`init`].
pub use ksync_macros::pin_data;

/// For the crate's benchmark (benches/locks.rs) and tests: the C loop the
/// benchmark compares the Rust one with, and C's view of a lock.  Not part
/// of the API.
#[doc(hidden)]
pub mod __bench {
    use core::ffi::c_ulong;

    use crate::sync::SpinLock;

    /// `n` times `spin_lock(); (*counter)++; spin_unlock();` in C, on the
    /// C lock inside `lock`, its data as the counter.
    pub fn c_spin_loop(lock: &SpinLock<c_ulong>, n: u64) {
        // SAFETY: the lock is initialised; the C loop only touches the
        // data while holding it.
        unsafe {
            crate::bindings::ksync_rs_bench_c_spin(lock.state.get(), lock.data.get(), n as c_ulong)
        }
    }

    /// Whether C's `spin_trylock()` takes the lock (released at once).
    pub fn c_trylock<T>(lock: &SpinLock<T>) -> bool {
        // SAFETY: the lock is initialised; its data is not touched.
        unsafe { crate::bindings::ksync_rs_test_c_trylock(lock.state.get()) != 0 }
    }

    /// `preempt_count()` of this thread.
    pub fn preempt_count() -> u32 {
        // SAFETY: no preconditions.
        unsafe { crate::bindings::ksync_rs_preempt_count() }
    }
}

/// The name of a lock class: the given string literal, or `"file:line"`
/// of the call site when there is none (the kernel's `optional_name!`).
#[doc(hidden)]
#[macro_export]
macro_rules! optional_name {
    () => {
        $crate::optional_name!(::core::concat!(::core::file!(), ":", ::core::line!()))
    };
    ($name:expr) => {{
        const __NAME: &::core::ffi::CStr =
            match ::core::ffi::CStr::from_bytes_with_nul(::core::concat!($name, "\0").as_bytes()) {
                ::core::result::Result::Ok(name) => name,
                ::core::result::Result::Err(_) => {
                    ::core::panic!("a lock name must not contain NUL")
                }
            };
        __NAME
    }};
}
