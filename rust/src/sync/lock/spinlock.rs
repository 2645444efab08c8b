// SPDX-License-Identifier: MIT
//! Spinlocks over ksync's `spinlock_t`: [`SpinLock`], and [`SpinLockIrq`],
//! which keeps local interrupts off while it is held.

use core::ffi::c_char;

use super::spinlock_fast;
use crate::bindings;
use crate::interrupt::LocalInterruptDisabled;
use crate::site::{self, Site};

/// A spinlock: ksync's `spinlock_t` (a queued spinlock, waiting by
/// spinning and then sleeping in the kernel), with the data it protects.
///
/// Taking it disables preemption (ksync counts it: `in_atomic()` is true
/// and `might_sleep()` complains inside).  Make one with
/// [`new_spinlock!`](crate::new_spinlock).
///
/// # Examples
///
/// A struct with a spinlock, allocated and initialised in place:
///
/// ```
/// use ksync::{init::InPlaceInit, init::PinInit, new_spinlock, pin_data, pin_init, sync::SpinLock};
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
///     d: SpinLock<Inner>,
/// }
///
/// impl Example {
///     fn new() -> impl PinInit<Self> {
///         pin_init!(Self {
///             c: 10,
///             d <- new_spinlock!(Inner { a: 20, b: 30 }),
///         })
///     }
/// }
///
/// // Allocate a boxed `Example`.
/// let e = Box::pin_init(Example::new())?;
/// assert_eq!(e.c, 10);
/// assert_eq!(e.d.lock().a, 20);
/// assert_eq!(e.d.lock().b, 30);
/// # Ok::<(), core::convert::Infallible>(())
/// ```
///
/// Interior mutability through a shared reference:
///
/// ```
/// use ksync::sync::SpinLock;
///
/// struct Example {
///     a: u32,
///     b: u32,
/// }
///
/// fn example(m: &SpinLock<Example>) {
///     let mut guard = m.lock();
///     guard.a += 10;
///     guard.b += 20;
/// }
/// # use ksync::prelude::*;
/// # stack_pin_init!(let m = new_spinlock!(Example { a: 1, b: 2 }));
/// # example(&m);
/// # let guard = m.lock();
/// # assert_eq!((guard.a, guard.b), (11, 22));
/// ```
pub type SpinLock<T> = super::Lock<T, SpinLockBackend>;

/// A [`Guard`](super::Guard) of a [`SpinLock`].
pub type SpinLockGuard<'a, T> = super::Guard<'a, T, SpinLockBackend>;

/// The [`Backend`](super::Backend) of [`SpinLock`]: `spin_lock()`,
/// `spin_trylock()`, `spin_unlock()`.  The guard carries the call site.
///
/// With no debugging on, the three are inlined into the caller as C
/// inlines them into a C program (see `spinlock_fast.rs`); with debugging
/// on they are the C functions, so lockdep and the checks see every call.
pub struct SpinLockBackend;

// SAFETY: spin_lock() and spin_unlock() give mutual exclusion; relock()
// takes the lock the same way.
unsafe impl super::Backend for SpinLockBackend {
    type State = bindings::spinlock_t;
    type GuardState = Site;

    unsafe fn init(ptr: *mut Self::State, name: *const c_char, key: *mut bindings::lock_class_key) {
        // SAFETY: passed on from the caller.
        unsafe { bindings::ksync_rs_spin_lock_init(ptr, name, key) }
    }

    #[inline(always)]
    #[track_caller]
    unsafe fn lock(ptr: *mut Self::State) -> Site {
        if !bindings::ksync_debug_active() {
            // SAFETY: initialised, per the caller; no debugging.
            unsafe { spinlock_fast::spin_lock(ptr) };
            return Site::NONE;
        }
        let site = site::here(c"SpinLock::lock");
        // SAFETY: initialised, per the caller.
        unsafe { bindings::ksync_rs_spin_lock(ptr, site.as_ptr()) };
        site
    }

    #[inline(always)]
    #[track_caller]
    unsafe fn try_lock(ptr: *mut Self::State) -> Option<Site> {
        if !bindings::ksync_debug_active() {
            // SAFETY: initialised, per the caller; no debugging.
            return unsafe { spinlock_fast::spin_trylock(ptr) }.then_some(Site::NONE);
        }
        let site = site::here(c"SpinLock::try_lock");
        // SAFETY: initialised, per the caller.
        (unsafe { bindings::ksync_rs_spin_trylock(ptr, site.as_ptr()) } != 0).then_some(site)
    }

    #[inline(always)]
    unsafe fn unlock(ptr: *mut Self::State, site: &Site) {
        // SAFETY: held by this thread, per the caller.
        unsafe {
            if bindings::ksync_debug_active() {
                bindings::ksync_rs_spin_unlock(ptr, site.as_ptr())
            } else {
                spinlock_fast::spin_unlock(ptr)
            }
        }
    }

    #[track_caller]
    unsafe fn relock(ptr: *mut Self::State, site: &mut Site) {
        let at = site.or_here(c"SpinLock::lock");
        // SAFETY: initialised, per the caller.
        unsafe { bindings::ksync_rs_spin_lock(ptr, at.as_ptr()) };
        *site = at;
    }

    #[track_caller]
    unsafe fn assert_is_held(ptr: *mut Self::State) {
        if bindings::ksync_debug_active() {
            let site = site::here(c"SpinLock::assert_is_held");
            // SAFETY: initialised, per the caller.
            unsafe {
                bindings::ksync_rs_assert_held(bindings::ksync_rs_spin_dep_map(ptr), site.as_ptr())
            }
        }
    }
}

/// A spinlock that keeps local interrupts off while it is held, so that
/// it can be shared with interrupt handlers.
///
/// [`lock()`](SpinLockIrq::lock) disables interrupts first with the
/// counted `local_interrupt_disable()` (`spin_lock_irq_disable()` in C), so
/// guards of several such locks may be dropped in any order: interrupts
/// come back on when the last goes.  Where interrupts are known to be off
/// already, [`lock_with()`](SpinLockIrq::lock_with) takes the lock without
/// touching them, given the token that proves it.  Make one with
/// [`new_spinlock_irq!`](crate::new_spinlock_irq).
///
/// # Examples
///
/// ```
/// use ksync::prelude::*;
/// use ksync::interrupt::irqs_disabled;
/// use ksync::sync::SpinLockIrq;
///
/// struct Inner {
///     a: u32,
///     b: u32,
/// }
///
/// #[pin_data]
/// struct Example {
///     #[pin]
///     c: SpinLockIrq<Inner>,
///     #[pin]
///     d: SpinLockIrq<Inner>,
/// }
///
/// impl Example {
///     fn new() -> impl PinInit<Self> {
///         pin_init!(Self {
///             c <- new_spinlock_irq!(Inner { a: 0, b: 10 }),
///             d <- new_spinlock_irq!(Inner { a: 20, b: 30 }),
///         })
///     }
/// }
///
/// let e = Box::pin_init(Example::new())?;
///
/// // Interrupts are off while either guard lives, whatever the order of
/// // the drops.
/// let c_guard = e.c.lock();
/// let d_guard = e.d.lock();
/// assert_eq!(c_guard.b + d_guard.a, 30);
/// drop(c_guard);
/// assert!(irqs_disabled());
/// drop(d_guard);
/// assert!(!irqs_disabled());
/// # Ok::<(), core::convert::Infallible>(())
/// ```
///
/// Locking with [`lock_with()`](SpinLockIrq::lock_with) in a function that
/// can only be called while local interrupts are off:
///
/// ```
/// use ksync::prelude::*;
/// use ksync::sync::SpinLockIrq;
/// use ksync::interrupt::*;
///
/// struct Inner {
///     a: u32,
/// }
///
/// #[pin_data]
/// struct Example {
///     #[pin]
///     inner: SpinLockIrq<Inner>,
/// }
///
/// impl Example {
///     fn new() -> impl PinInit<Self> {
///         pin_init!(Self {
///             inner <- new_spinlock_irq!(Inner { a: 20 }),
///         })
///     }
/// }
///
/// // Accessing an `Example` from a function that can only be called in
/// // no-interrupt contexts.
/// fn noirq_work(e: &Example, interrupt_disabled: &LocalInterruptDisabled) {
///     // Because we know interrupts are disabled from interrupt_disable, we
///     // can skip toggling interrupt state using lock_with() and the
///     // provided token.
///     assert_eq!(e.inner.lock_with(interrupt_disabled).a, 20);
/// }
///
/// let e = Box::pin_init(Example::new())?;
/// let interrupt_guard = local_interrupt_disable();
/// noirq_work(&e, &interrupt_guard);
/// # Ok::<(), core::convert::Infallible>(())
/// ```
///
/// The guard of `lock_with()` borrows the token, so it cannot outlive it:
///
/// ```compile_fail,E0597
/// use ksync::prelude::*;
/// use ksync::interrupt::local_interrupt_disable;
///
/// stack_pin_init!(let lock = new_spinlock_irq!(0u32));
/// let guard;
/// {
///     let irq = local_interrupt_disable();
///     guard = lock.lock_with(&irq);
/// } // `irq` dropped here, interrupts on again, while `guard` still lives
/// drop(guard);
/// ```
///
/// and interrupts cannot be enabled again, by dropping the token's guard,
/// while a lock taken with it is held:
///
/// ```compile_fail,E0505
/// use ksync::prelude::*;
/// use ksync::interrupt::local_interrupt_disable;
///
/// stack_pin_init!(let lock = new_spinlock_irq!(0u32));
/// let irq = local_interrupt_disable();
/// let mut guard = lock.lock_with(&irq);
/// drop(irq); // enable interrupts while the lock is held
/// *guard += 1;
/// ```
///
/// (Dropped in the right order, the same code compiles:)
///
/// ```
/// use ksync::prelude::*;
/// use ksync::interrupt::local_interrupt_disable;
///
/// stack_pin_init!(let lock = new_spinlock_irq!(0u32));
/// let irq = local_interrupt_disable();
/// let mut guard = lock.lock_with(&irq);
/// *guard += 1;
/// drop(guard);
/// drop(irq);
/// ```
///
/// A `try_lock_with()` whose result is unused is a mistake:
///
/// ```compile_fail
/// #![deny(unused_must_use)]
/// use ksync::prelude::*;
/// use ksync::interrupt::local_interrupt_disable;
///
/// stack_pin_init!(let lock = new_spinlock_irq!(0u32));
/// let irq = local_interrupt_disable();
/// lock.try_lock_with(&irq); // taken and released at once
/// ```
pub type SpinLockIrq<T> = super::Lock<T, SpinLockIrqBackend>;

/// A [`Guard`](super::Guard) of a [`SpinLockIrq`] from its
/// [`lock()`](SpinLockIrq::lock): interrupts are off while it lives.
pub type SpinLockIrqGuard<'a, T> = super::Guard<'a, T, SpinLockIrqBackend>;

/// The [`Backend`](super::Backend) of [`SpinLockIrq`]:
/// `spin_lock_irq_disable()`, `spin_trylock_irq_disable()`,
/// `spin_unlock_irq_enable()`.
pub struct SpinLockIrqBackend;

// SAFETY: as SpinLockBackend, plus the counted interrupt disable around
// the lock, undone at unlock; relock() takes it the same way.
unsafe impl super::Backend for SpinLockIrqBackend {
    type State = bindings::spinlock_t;
    type GuardState = Site;

    unsafe fn init(ptr: *mut Self::State, name: *const c_char, key: *mut bindings::lock_class_key) {
        // SAFETY: passed on from the caller.
        unsafe { bindings::ksync_rs_spin_lock_init(ptr, name, key) }
    }

    #[inline(always)]
    #[track_caller]
    unsafe fn lock(ptr: *mut Self::State) -> Site {
        if !bindings::ksync_debug_active() {
            // SAFETY: initialised, per the caller; no debugging.
            unsafe { bindings::ksync_rs_spin_lock_irq_disable_fast(ptr) };
            return Site::NONE;
        }
        let site = site::here(c"SpinLockIrq::lock");
        // SAFETY: initialised, per the caller.
        unsafe { bindings::ksync_rs_spin_lock_irq_disable(ptr, site.as_ptr()) };
        site
    }

    #[inline(always)]
    #[track_caller]
    unsafe fn try_lock(ptr: *mut Self::State) -> Option<Site> {
        let site = site::here(c"SpinLockIrq::try_lock");
        // SAFETY: initialised, per the caller.
        (unsafe { bindings::ksync_rs_spin_trylock_irq_disable(ptr, site.as_ptr()) } != 0)
            .then_some(site)
    }

    #[inline(always)]
    unsafe fn unlock(ptr: *mut Self::State, site: &Site) {
        // SAFETY: held by this thread, per the caller.
        unsafe {
            if bindings::ksync_debug_active() {
                bindings::ksync_rs_spin_unlock_irq_enable(ptr, site.as_ptr())
            } else {
                bindings::ksync_rs_spin_unlock_irq_enable_fast(ptr)
            }
        }
    }

    #[track_caller]
    unsafe fn relock(ptr: *mut Self::State, site: &mut Site) {
        let at = site.or_here(c"SpinLockIrq::lock");
        // SAFETY: initialised, per the caller.
        unsafe { bindings::ksync_rs_spin_lock_irq_disable(ptr, at.as_ptr()) };
        *site = at;
    }

    #[track_caller]
    unsafe fn assert_is_held(ptr: *mut Self::State) {
        // SAFETY: the same C lock as SpinLockBackend's.
        unsafe { <SpinLockBackend as super::Backend>::assert_is_held(ptr) }
    }
}

impl<T: ?Sized> super::Lock<T, SpinLockIrqBackend> {
    /// This lock as a plain [`SpinLock`], for as long as the token proves
    /// interrupts are off: then the two are the same lock.
    fn as_lock_in_interrupt<'a>(&'a self, _context: &'a LocalInterruptDisabled) -> &'a SpinLock<T> {
        // SAFETY: Lock is repr(C) and both backends have the same State,
        // so the two types have one layout; with interrupts off (the token
        // says so for all of 'a) spin_lock() is what spin_lock_irq_disable()
        // would do beyond counting.
        unsafe { &*(self as *const Self as *const SpinLock<T>) }
    }

    /// Takes the lock without touching the interrupt state, which the
    /// token proves is off already: a plain `spin_lock()` (the C
    /// `spin_lock_with()`).  The guard borrows the token, so interrupts
    /// stay off while it lives.
    #[inline(always)]
    #[track_caller]
    pub fn lock_with<'a>(&'a self, context: &'a LocalInterruptDisabled) -> SpinLockGuard<'a, T> {
        check_token(c"SpinLockIrq::lock_with");
        self.as_lock_in_interrupt(context).lock()
    }

    /// [`lock_with()`](Self::lock_with) if the lock is free.
    #[inline(always)]
    #[track_caller]
    #[must_use = "if unused, the lock will be immediately unlocked"]
    pub fn try_lock_with<'a>(
        &'a self,
        context: &'a LocalInterruptDisabled,
    ) -> Option<SpinLockGuard<'a, T>> {
        check_token(c"SpinLockIrq::try_lock_with");
        self.as_lock_in_interrupt(context).try_lock()
    }
}

/// With debugging on, report a token used while interrupts are on (only
/// possible through a wrong `unsafe` `assume_disabled()`).
#[inline(always)]
#[track_caller]
fn check_token(what: &'static core::ffi::CStr) {
    if bindings::ksync_debug_active() {
        let site = site::here(what);
        // SAFETY: only checks.
        unsafe { bindings::ksync_rs_check_token(what.as_ptr(), site.as_ptr()) };
    }
}
