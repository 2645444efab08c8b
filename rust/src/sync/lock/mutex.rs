// SPDX-License-Identifier: MIT
//! A mutex over ksync's `struct mutex`.

use core::ffi::c_char;

use crate::bindings;
use crate::site::{self, Site};

/// A mutex: ksync's `struct mutex` (the kernel's algorithm: optimistic
/// spinning on a running owner, then sleeping in FIFO order, with handoff),
/// with the data it protects.
///
/// It may sleep: taking it where sleeping is not allowed (under a
/// spinlock, with interrupts off) is reported with `KSYNC_DEBUG=1`.  Make
/// one with [`new_mutex!`](crate::new_mutex).
///
/// # Examples
///
/// ```
/// use ksync::prelude::*;
/// use ksync::sync::Mutex;
///
/// struct Inner {
///     a: u32,
///     b: u32,
/// }
///
/// #[pin_data]
/// struct Example {
///     c: u32,
///     #[pin]
///     d: Mutex<Inner>,
/// }
///
/// impl Example {
///     fn new() -> impl PinInit<Self> {
///         pin_init!(Self {
///             c: 10,
///             d <- new_mutex!(Inner { a: 20, b: 30 }),
///         })
///     }
/// }
///
/// let e = Box::pin_init(Example::new())?;
/// assert_eq!(e.c, 10);
/// assert_eq!(e.d.lock().a, 20);
/// assert_eq!(e.d.lock().b, 30);
/// # Ok::<(), core::convert::Infallible>(())
/// ```
pub type Mutex<T> = super::Lock<T, MutexBackend>;

/// A [`Guard`](super::Guard) of a [`Mutex`].
pub type MutexGuard<'a, T> = super::Guard<'a, T, MutexBackend>;

/// The [`Backend`](super::Backend) of [`Mutex`]: `mutex_lock()`,
/// `mutex_trylock()`, `mutex_unlock()`.  The guard carries the call site.
pub struct MutexBackend;

// SAFETY: mutex_lock() and mutex_unlock() give mutual exclusion; relock()
// takes the lock the same way.
unsafe impl super::Backend for MutexBackend {
    type State = bindings::mutex;
    type GuardState = Site;

    unsafe fn init(ptr: *mut Self::State, name: *const c_char, key: *mut bindings::lock_class_key) {
        // SAFETY: passed on from the caller.
        unsafe { bindings::ksync_rs_mutex_init(ptr, name, key) }
    }

    #[inline(always)]
    #[track_caller]
    unsafe fn lock(ptr: *mut Self::State) -> Site {
        if !bindings::ksync_debug_active() {
            // SAFETY: initialised, per the caller; no debugging.
            unsafe { bindings::ksync_rs_mutex_lock_fast(ptr) };
            return Site::NONE;
        }
        let site = site::here(c"Mutex::lock");
        // SAFETY: initialised, per the caller.
        unsafe { bindings::ksync_rs_mutex_lock(ptr, site.as_ptr()) };
        site
    }

    #[inline(always)]
    #[track_caller]
    unsafe fn try_lock(ptr: *mut Self::State) -> Option<Site> {
        let site = site::here(c"Mutex::try_lock");
        // SAFETY: initialised, per the caller.
        (unsafe { bindings::ksync_rs_mutex_trylock(ptr, site.as_ptr()) } != 0).then_some(site)
    }

    #[inline(always)]
    unsafe fn unlock(ptr: *mut Self::State, site: &Site) {
        // SAFETY: held by this thread, per the caller.
        unsafe {
            if bindings::ksync_debug_active() {
                bindings::ksync_rs_mutex_unlock(ptr, site.as_ptr())
            } else {
                bindings::ksync_rs_mutex_unlock_fast(ptr)
            }
        }
    }

    #[track_caller]
    unsafe fn relock(ptr: *mut Self::State, site: &mut Site) {
        let at = site.or_here(c"Mutex::lock");
        // SAFETY: initialised, per the caller.
        unsafe { bindings::ksync_rs_mutex_lock(ptr, at.as_ptr()) };
        *site = at;
    }

    #[track_caller]
    unsafe fn assert_is_held(ptr: *mut Self::State) {
        if bindings::ksync_debug_active() {
            let site = site::here(c"Mutex::assert_is_held");
            // SAFETY: initialised, per the caller.
            unsafe {
                bindings::ksync_rs_assert_held(bindings::ksync_rs_mutex_dep_map(ptr), site.as_ptr())
            }
        }
    }
}
