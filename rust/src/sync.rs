// SPDX-License-Identifier: MIT
//! Synchronisation primitives, as the kernel's `kernel::sync`: locks
//! ([`SpinLock`], [`Mutex`], [`SpinLockIrq`]) over ksync's `spinlock_t` and
//! `struct mutex`, [`CondVar`], [`LockedBy`], and lock classes.

use crate::bindings;
use crate::types::Opaque;

pub mod condvar;
pub mod lock;
pub mod locked_by;

pub use condvar::{CondVar, CondVarTimeoutResult};
pub use lock::mutex::{Mutex, MutexGuard};
pub use lock::spinlock::{SpinLock, SpinLockGuard, SpinLockIrq, SpinLockIrqGuard};
pub use locked_by::LockedBy;

pub use crate::{new_condvar, new_mutex, new_spinlock, new_spinlock_irq, static_lock_class};

/// A lockdep lock class key: every lock initialised with one key is of
/// one class, whose dependencies lockdep learns as one.
///
/// As in C, a key must live for as long as the program: the locks' C
/// initialisers record its address.  [`static_lock_class!`] makes one per
/// call site, which is what the `new_*!` macros use.  (The kernel's
/// `LockClassKey::new_dynamic()`, over C's `lockdep_register_key()`, is
/// not offered by this crate yet.)
#[repr(transparent)]
pub struct LockClassKey(Opaque<bindings::lock_class_key>);

// SAFETY: lockdep only uses a key's address (key + subclass), never its
// contents, from any thread.
unsafe impl Sync for LockClassKey {}

impl LockClassKey {
    /// A key for a `static`.
    ///
    /// # Safety
    ///
    /// Only for initialising a `static` (as [`static_lock_class!`] does):
    /// lockdep keeps the key's address for ever.
    #[doc(hidden)]
    pub const unsafe fn new_static() -> Self {
        Self(Opaque::uninit())
    }

    /// The C key.
    pub fn as_ptr(&self) -> *mut bindings::lock_class_key {
        self.0.get()
    }
}

/// A new lock class key, one per place in the source where the macro is
/// written (the kernel's `static_lock_class!`): a `Pin<&'static
/// LockClassKey>`.
///
/// What `new_mutex!` and its siblings expand to, written out:
///
/// ```
/// use ksync::init::InPlaceInit;
/// use ksync::sync::{static_lock_class, Mutex};
///
/// let m = Box::pin_init(Mutex::new(0u32, c"counter", static_lock_class!()))?;
/// *m.lock() += 1;
/// # Ok::<(), core::convert::Infallible>(())
/// ```
#[macro_export]
macro_rules! static_lock_class {
    () => {{
        static CLASS: $crate::sync::LockClassKey =
            // SAFETY: a static, as new_static() requires.
            unsafe { $crate::sync::LockClassKey::new_static() };
        ::core::pin::Pin::static_ref(&CLASS)
    }};
}

/// A [`SpinLock`] initialiser, with the given name (or `"file:line"` of
/// the call) and a lock class of its own for this call site.
#[macro_export]
macro_rules! new_spinlock {
    ($inner:expr $(, $name:literal)? $(,)?) => {
        $crate::sync::SpinLock::new(
            $inner, $crate::optional_name!($($name)?), $crate::static_lock_class!())
    };
}

/// A [`SpinLockIrq`] initialiser, named and classed as [`new_spinlock!`].
#[macro_export]
macro_rules! new_spinlock_irq {
    ($inner:expr $(, $name:literal)? $(,)?) => {
        $crate::sync::SpinLockIrq::new(
            $inner, $crate::optional_name!($($name)?), $crate::static_lock_class!())
    };
}

/// A [`Mutex`] initialiser, named and classed as [`new_spinlock!`].
#[macro_export]
macro_rules! new_mutex {
    ($inner:expr $(, $name:literal)? $(,)?) => {
        $crate::sync::Mutex::new(
            $inner, $crate::optional_name!($($name)?), $crate::static_lock_class!())
    };
}

/// A [`CondVar`] initialiser, named and classed as [`new_spinlock!`].
#[macro_export]
macro_rules! new_condvar {
    ($($name:literal)? $(,)?) => {
        $crate::sync::CondVar::new($crate::optional_name!($($name)?), $crate::static_lock_class!())
    };
}
