// SPDX-License-Identifier: MIT
//! Condition variables, as the kernel's `kernel::sync::CondVar`, over
//! ksync's `struct condvar`.

use core::ffi::{c_int, c_long, c_void, CStr};
use core::marker::PhantomPinned;
use core::pin::Pin;

use crate::bindings;
use crate::init::PinInit;
use crate::pin_data;
use crate::site::{self, Site};
use crate::sync::lock::{Backend, Guard};
use crate::sync::LockClassKey;
use crate::time::Jiffies;
use crate::types::Opaque;

/// A condition variable: threads wait on it while holding a lock, which
/// the wait releases and takes again; others notify it.
///
/// Waits are exclusive and FIFO.  Notifications are not remembered (a
/// notify with nobody waiting does nothing) and a wait may end without one
/// (spuriously), so always wait in a loop that tests the condition under
/// the lock.  Make one with [`new_condvar!`](crate::new_condvar).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use ksync::prelude::*;
/// use ksync::sync::{CondVar, Mutex};
///
/// #[pin_data]
/// struct Example {
///     #[pin]
///     value: Mutex<u32>,
///     #[pin]
///     value_changed: CondVar,
/// }
///
/// /// Waits for `e.value` to become `v`.
/// fn wait_for_value(e: &Example, v: u32) {
///     let mut guard = e.value.lock();
///     while *guard != v {
///         e.value_changed.wait(&mut guard);
///     }
/// }
///
/// /// Increments `e.value` and notifies all potential waiters.
/// fn increment(e: &Example) {
///     *e.value.lock() += 1;
///     e.value_changed.notify_all();
/// }
///
/// let e = Arc::pin_init(pin_init!(Example {
///     value <- new_mutex!(0),
///     value_changed <- new_condvar!(),
/// }))?;
/// std::thread::scope(|s| {
///     s.spawn(|| wait_for_value(&e, 3));
///     for _ in 0..3 {
///         increment(&e);
///     }
/// });
/// # Ok::<(), core::convert::Infallible>(())
/// ```
#[pin_data]
pub struct CondVar {
    #[pin]
    pub(crate) wait_queue_head: Opaque<bindings::condvar>,

    /// The C wait queue is a list whose head points to itself.
    #[pin]
    _pin: PhantomPinned,
}

// SAFETY: the C condition variable is made to be used from any thread.
unsafe impl Send for CondVar {}
// SAFETY: as above, all of its operations take a shared reference.
unsafe impl Sync for CondVar {}

/// What [`CondVar::wait_interruptible_timeout`] ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CondVarTimeoutResult {
    /// The time ran out.
    Timeout,
    /// Woken (by a notify, or spuriously), with this many jiffies left.
    Woken {
        /// Jiffies left of the timeout (at least 1).
        jiffies: Jiffies,
    },
    /// An interrupt arrived (ksync's signal_pending()).
    Signal {
        /// Jiffies left of the timeout.
        jiffies: Jiffies,
    },
}

impl CondVar {
    /// An initialiser of a condition variable named `name`, of the lock
    /// class `key` (its wait queue's lock).
    pub fn new(name: &'static CStr, key: Pin<&'static LockClassKey>) -> impl PinInit<Self> {
        crate::pin_init!(Self {
            _pin: PhantomPinned,
            // SAFETY: `slot` is valid while the closure runs; the name and
            // the key are 'static.
            wait_queue_head <- Opaque::ffi_init(|slot| unsafe {
                bindings::ksync_rs_condvar_init(slot, name.as_ptr(), key.as_ptr())
            }),
        })
    }

    /// Releases the lock the guard holds, sleeps until notified, and takes
    /// the lock again (the way the guard took it) before returning.
    #[inline(always)]
    #[track_caller]
    pub fn wait<T: ?Sized, B: Backend>(&self, guard: &mut Guard<'_, T, B>) {
        let site = site::here(c"CondVar::wait");
        self.wait_internal(false, guard, bindings::MAX_SCHEDULE_TIMEOUT, site);
    }

    /// As [`wait`](CondVar::wait), but an interrupt (a ksync `request_irq()`
    /// signal) also ends the sleep.  Returns whether one did (the kernel's
    /// `signal_pending()`).
    #[inline(always)]
    #[track_caller]
    #[must_use = "wait_interruptible returns if a signal is pending, so the caller must check the return value"]
    pub fn wait_interruptible<T: ?Sized, B: Backend>(&self, guard: &mut Guard<'_, T, B>) -> bool {
        let site = site::here(c"CondVar::wait_interruptible");
        self.wait_internal(true, guard, bindings::MAX_SCHEDULE_TIMEOUT, site) == -bindings::EINTR
    }

    /// As [`wait_interruptible`](CondVar::wait_interruptible), for at most
    /// `jiffies`.
    #[inline(always)]
    #[track_caller]
    pub fn wait_interruptible_timeout<T: ?Sized, B: Backend>(
        &self,
        guard: &mut Guard<'_, T, B>,
        jiffies: Jiffies,
    ) -> CondVarTimeoutResult {
        let site = site::here(c"CondVar::wait_interruptible_timeout");
        let timeout: c_long = jiffies.try_into().unwrap_or(bindings::MAX_SCHEDULE_TIMEOUT);
        let start = crate::time::jiffies();
        match self.wait_internal(true, guard, timeout, site) {
            0 => CondVarTimeoutResult::Timeout,
            left if left == -bindings::EINTR => {
                // ksync's wait does not say what was left; count it.
                let spent = crate::time::jiffies().wrapping_sub(start);
                CondVarTimeoutResult::Signal { jiffies: jiffies.saturating_sub(spent) }
            }
            left => CondVarTimeoutResult::Woken { jiffies: left as Jiffies },
        }
    }

    #[inline(always)]
    fn wait_internal<T: ?Sized, B: Backend>(
        &self,
        interruptible: bool,
        mut guard: &mut Guard<'_, T, B>,
        timeout: c_long,
        site: Site,
    ) -> c_long {
        // A thin pointer to the (perhaps fat) &mut Guard, for C to hand
        // back to the callbacks.
        let ctx = &mut guard as *mut &mut Guard<'_, T, B> as *mut c_void;
        // SAFETY: the condition variable is initialised; ctx stays valid
        // for the call, and the callbacks are for its type.
        unsafe {
            bindings::ksync_rs_condvar_wait(
                self.wait_queue_head.get(),
                ctx,
                unlock_guard::<T, B>,
                relock_guard::<T, B>,
                interruptible as c_int,
                timeout,
                site.as_ptr(),
            )
        }
    }

    /// Wakes the thread that has waited longest, if any.
    #[track_caller]
    pub fn notify_one(&self) {
        self.notify(1, site::here(c"CondVar::notify_one"));
    }

    /// Wakes every waiting thread.
    #[track_caller]
    pub fn notify_all(&self) {
        self.notify(0, site::here(c"CondVar::notify_all"));
    }

    fn notify(&self, count: c_int, site: Site) {
        // SAFETY: initialised (it exists).
        unsafe { bindings::ksync_condvar_notify(self.wait_queue_head.get(), count, site.as_ptr()) }
    }
}

/// The wait's release of the caller's lock: the guard's own unlock.
unsafe extern "C" fn unlock_guard<T: ?Sized, B: Backend>(ctx: *mut c_void) {
    // SAFETY: ctx is the &mut &mut Guard of wait_internal(), for this T, B.
    let guard = unsafe { &mut **(ctx as *mut &mut Guard<'_, T, B>) };
    // SAFETY: the guard holds the lock.
    unsafe { B::unlock(guard.lock.state.get(), &guard.state) }
}

/// The wait's retake of the caller's lock, the way it was taken.
unsafe extern "C" fn relock_guard<T: ?Sized, B: Backend>(ctx: *mut c_void) {
    // SAFETY: as in unlock_guard().
    let guard = unsafe { &mut **(ctx as *mut &mut Guard<'_, T, B>) };
    // SAFETY: unlocked by unlock_guard() with this state.
    unsafe { B::relock(guard.lock.state.get(), &mut guard.state) }
}
