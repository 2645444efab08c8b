// SPDX-License-Identifier: MIT
//! Generic lock support, as the kernel's `kernel::sync::lock`: a [`Lock`]
//! owns its data and a C lock ([`Backend::State`]) that protects it; its
//! [`Guard`] gives access to the data and unlocks when dropped.
//!
//! A guard stays on the thread that took the lock (it is `!Send`), as
//! ksync's locks, like the kernel's, must be released by their owner.
//!
//! ```compile_fail,E0277
//! use ksync::prelude::*;
//! use ksync::sync::Mutex;
//!
//! fn is_send<T: Send>(_: &T) {}
//!
//! stack_pin_init!(let m = new_mutex!(0u32));
//! let guard = m.lock();
//! is_send(&guard); // a Guard is not Send
//! ```
//!
//! (while the data itself may go to other threads, and the guard can be
//! shared when the data can:)
//!
//! ```
//! use ksync::prelude::*;
//! use ksync::sync::Mutex;
//!
//! fn is_sync<T: Sync>(_: &T) {}
//!
//! stack_pin_init!(let m = new_mutex!(0u32));
//! let guard = m.lock();
//! is_sync(&guard);
//! std::thread::scope(|s| {
//!     s.spawn(|| assert_eq!(*guard, 0));
//! });
//! ```

use core::cell::UnsafeCell;
use core::ffi::{c_char, CStr};
use core::marker::PhantomPinned;
use core::ops::{Deref, DerefMut};
use core::pin::Pin;

use crate::bindings;
use crate::init::PinInit;
use crate::pin_data;
use crate::sync::LockClassKey;
use crate::types::{NotThreadSafe, Opaque, ScopeGuard};

pub mod mutex;
pub mod spinlock;
mod spinlock_fast;

pub use crate::site::Site;

/// The low-level locking operations of a lock type.
///
/// The methods that take a lock are `#[track_caller]`: ksync's reports
/// name the place in the program that took the lock (see [`Site`]).
///
/// # Safety
///
/// - Between [`lock`](Backend::lock) (or a successful
///   [`try_lock`](Backend::try_lock)) and [`unlock`](Backend::unlock),
///   nobody else may hold the lock: the protected data is accessed by one
///   thread only.
/// - [`relock`](Backend::relock) takes the lock the same way the original
///   lock did.
pub unsafe trait Backend {
    /// The C lock (`spinlock_t`, `struct mutex`).
    type State;

    /// What the guard carries from lock to unlock.
    type GuardState;

    /// Initialises the lock.
    ///
    /// # Safety
    ///
    /// `ptr` is valid for writes for the call; `name` and `key` are valid
    /// for reads for as long as the lock is used.
    unsafe fn init(ptr: *mut Self::State, name: *const c_char, key: *mut bindings::lock_class_key);

    /// Takes the lock, waiting as long as needed.
    ///
    /// # Safety
    ///
    /// `ptr` points to a lock that [`init`](Backend::init) initialised.
    #[must_use]
    #[track_caller]
    unsafe fn lock(ptr: *mut Self::State) -> Self::GuardState;

    /// Takes the lock if it is free.
    ///
    /// # Safety
    ///
    /// As [`lock`](Backend::lock).
    #[track_caller]
    unsafe fn try_lock(ptr: *mut Self::State) -> Option<Self::GuardState>;

    /// Releases the lock.
    ///
    /// # Safety
    ///
    /// The caller holds the lock, taken with the lock call that returned
    /// `guard_state`.
    unsafe fn unlock(ptr: *mut Self::State, guard_state: &Self::GuardState);

    /// Takes the lock again after [`unlock`](Backend::unlock), the way it
    /// was first taken.
    ///
    /// # Safety
    ///
    /// `guard_state` came from a lock call on this lock, which was then
    /// unlocked.
    #[track_caller]
    unsafe fn relock(ptr: *mut Self::State, guard_state: &mut Self::GuardState) {
        // SAFETY: the caller's guarantees are lock()'s.
        *guard_state = unsafe { Self::lock(ptr) };
    }

    /// Reports if this thread does not hold the lock (lockdep's
    /// `lockdep_assert_held()`; only held-lock tracking can tell).
    ///
    /// # Safety
    ///
    /// As [`lock`](Backend::lock).
    #[track_caller]
    unsafe fn assert_is_held(ptr: *mut Self::State);
}

/// A mutual exclusion primitive over a C lock of type `B`.
///
/// Created pinned, with [`SpinLock::new`](crate::sync::SpinLock) and the
/// like, usually through [`new_spinlock!`](crate::new_spinlock) and its
/// siblings, inside [`pin_init!`](crate::pin_init) or with
/// [`Box::pin_init`](crate::init::InPlaceInit::pin_init).
#[pin_data]
#[repr(C)]
pub struct Lock<T: ?Sized, B: Backend> {
    /// The C lock.
    #[pin]
    pub(crate) state: Opaque<B::State>,

    /// C locks are not movable: waiters and lockdep hold their address.
    #[pin]
    _pin: PhantomPinned,

    /// The protected data.
    pub(crate) data: UnsafeCell<T>,
}

// SAFETY: the lock gives its data to one thread at a time; sending the
// lock sends the data.
unsafe impl<T: ?Sized + Send, B: Backend> Send for Lock<T, B> {}

// SAFETY: shared access to the lock only gives the data through a guard,
// to one thread at a time, so T: Send is enough (as for std's Mutex).
unsafe impl<T: ?Sized + Send, B: Backend> Sync for Lock<T, B> {}

impl<T, B: Backend> Lock<T, B> {
    /// An initialiser of a lock holding `t`, named `name` (in reports) and
    /// of the lock class `key`.
    pub fn new(t: T, name: &'static CStr, key: Pin<&'static LockClassKey>) -> impl PinInit<Self> {
        crate::pin_init!(Self {
            data: UnsafeCell::new(t),
            _pin: PhantomPinned,
            // SAFETY: `slot` is valid while the closure runs; the name and
            // the key are 'static.
            state <- Opaque::ffi_init(|slot| unsafe {
                B::init(slot, name.as_ptr(), key.as_ptr())
            }),
        })
    }
}

impl<T: ?Sized, B: Backend> Lock<T, B> {
    /// Takes the lock and gives access to the data until the guard drops.
    #[inline(always)]
    #[track_caller]
    pub fn lock(&self) -> Guard<'_, T, B> {
        // SAFETY: the lock was initialised by its constructor, which is the
        // only way to have a Lock.
        let state = unsafe { B::lock(self.state.get()) };
        // SAFETY: the lock is held, with this state.
        unsafe { Guard::new_held(self, state) }
    }

    /// Takes the lock if it is free.
    #[inline(always)]
    #[track_caller]
    #[must_use = "if unused, the lock will be immediately unlocked"]
    pub fn try_lock(&self) -> Option<Guard<'_, T, B>> {
        // SAFETY: as in lock().
        let state = unsafe { B::try_lock(self.state.get())? };
        // SAFETY: the lock is held, with this state.
        Some(unsafe { Guard::new_held(self, state) })
    }

    /// Reports (with `KSYNC_DEBUG` or `KSYNC_LOCKDEP` on) if this thread
    /// does not hold the lock.
    #[inline]
    #[track_caller]
    pub fn assert_is_held(&self) {
        // SAFETY: initialised, as in lock().
        unsafe { B::assert_is_held(self.state.get()) }
    }
}

/// Access to a [`Lock`]'s data while it is held; unlocks when dropped.
///
/// `!Send`: a lock is released by the thread that took it.
#[must_use = "the lock unlocks immediately when the guard is unused"]
pub struct Guard<'a, T: ?Sized, B: Backend> {
    pub(crate) lock: &'a Lock<T, B>,
    pub(crate) state: B::GuardState,
    _not_send: NotThreadSafe,
}

// SAFETY: a shared guard only gives &T, which is fine to share if T: Sync.
unsafe impl<T: Sync + ?Sized, B: Backend> Sync for Guard<'_, T, B> {}

impl<'a, T: ?Sized, B: Backend> Guard<'a, T, B> {
    /// A guard for a lock the caller holds.  Reports (with held-lock
    /// tracking on) if it is not held.
    ///
    /// # Safety
    ///
    /// The caller holds `lock`, taken with the call that returned `state`,
    /// and hands its release to the guard.
    #[track_caller]
    pub unsafe fn new(lock: &'a Lock<T, B>, state: B::GuardState) -> Self {
        // SAFETY: the lock is initialised (it exists).
        unsafe { B::assert_is_held(lock.state.get()) };
        // SAFETY: passed on from the caller.
        unsafe { Self::new_held(lock, state) }
    }

    /// # Safety
    ///
    /// As [`new`](Guard::new), for a lock just taken.
    #[inline(always)]
    pub(crate) unsafe fn new_held(lock: &'a Lock<T, B>, state: B::GuardState) -> Self {
        Self { lock, state, _not_send: NotThreadSafe }
    }

    /// The lock this guard holds.
    pub fn lock_ref(&self) -> &'a Lock<T, B> {
        self.lock
    }

    /// Releases the lock, runs `cb`, and takes the lock again the same way
    /// (also when `cb` panics).  This is how [`CondVar`](crate::sync::CondVar)
    /// sleeps.
    pub fn do_unlocked<U>(&mut self, cb: impl FnOnce() -> U) -> U {
        // SAFETY: the guard holds the lock, taken with self.state.
        unsafe { B::unlock(self.lock.state.get(), &self.state) };
        let _relock = ScopeGuard::new(|| {
            // SAFETY: unlocked just above, with this state.
            unsafe { B::relock(self.lock.state.get(), &mut self.state) }
        });
        cb()
    }
}

impl<T: ?Sized, B: Backend> Deref for Guard<'_, T, B> {
    type Target = T;

    #[inline(always)]
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the lock, so nobody else touches the data.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized, B: Backend> DerefMut for Guard<'_, T, B> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in deref(), and &mut self is the only way in.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized, B: Backend> Drop for Guard<'_, T, B> {
    #[inline(always)]
    fn drop(&mut self) {
        // SAFETY: the guard holds the lock, taken with self.state.
        unsafe { B::unlock(self.lock.state.get(), &self.state) };
    }
}
