// SPDX-License-Identifier: MIT
//! Pinned in-place initialisation, as the kernel's `kernel::init`
//! (pin-init): build a value where it will live, so that a lock inside it
//! is never moved after its C initialiser ran.
//!
//! An initialiser is a value implementing [`PinInit<T, E>`] (or [`Init<T,
//! E>`] when the result need not stay pinned); it is run on memory chosen
//! by the caller: [`Box::pin_init`](InPlaceInit::pin_init),
//! [`Arc::pin_init`](InPlaceInit::pin_init), or the stack with
//! [`stack_pin_init!`](crate::stack_pin_init).  [`pin_init!`](crate::pin_init)
//! writes one for a struct marked [`#[pin_data]`](crate::pin_data), field by
//! field: `field: value` moves a value in, `field <- initializer` runs
//! another initialiser on the field in place.
//!
//! ```
//! use std::sync::Arc;
//! use ksync::prelude::*;
//! use ksync::sync::{CondVar, Mutex};
//!
//! #[pin_data]
//! struct Queue {
//!     #[pin]
//!     items: Mutex<Vec<u32>>,
//!     #[pin]
//!     ready: CondVar,
//!     capacity: usize,
//! }
//!
//! impl Queue {
//!     fn new(capacity: usize) -> impl PinInit<Self> {
//!         pin_init!(Self {
//!             items <- new_mutex!(Vec::new(), "Queue::items"),
//!             ready <- new_condvar!("Queue::ready"),
//!             capacity,
//!         })
//!     }
//! }
//!
//! let q: std::pin::Pin<Arc<Queue>> = Arc::pin_init(Queue::new(4))?;
//! q.items.lock().push(1);
//! assert_eq!(q.items.lock().len(), 1);
//! assert_eq!(q.capacity, 4);
//! # Ok::<(), core::convert::Infallible>(())
//! ```
//!
//! Every field must be initialised exactly once: a missing or repeated
//! field does not compile.
//!
//! ```compile_fail,E0063
//! use ksync::prelude::*;
//! use ksync::sync::SpinLock;
//!
//! #[pin_data]
//! struct Example {
//!     c: u32,
//!     #[pin]
//!     d: SpinLock<u32>,
//! }
//!
//! fn new() -> impl PinInit<Example> {
//!     pin_init!(Example { c: 1 }) // `d` is missing
//! }
//! ```
//!
//! A pinned field takes a [`PinInit`]; an unpinned one only an [`Init`],
//! since moving the struct later would move that field too.
//!
//! ```compile_fail,E0277
//! use ksync::prelude::*;
//! use ksync::sync::SpinLock;
//!
//! #[pin_data]
//! struct Example {
//!     d: SpinLock<u32>, // no #[pin]
//! }
//!
//! fn new() -> impl PinInit<Example> {
//!     pin_init!(Example { d <- new_spinlock!(0) })
//! }
//! ```

use core::convert::Infallible;
use core::marker::PhantomData;
use core::pin::Pin;
use std::sync::Arc;

/// An initialiser of a `T` that stays pinned: runs on memory the caller
/// provides and then never moves.
///
/// # Safety
///
/// An implementation returning `Ok(())` has fully initialised the slot; one
/// returning `Err` has left it uninitialised (anything it initialised on
/// the way is dropped again), so the caller may free it.
pub unsafe trait PinInit<T: ?Sized, E = Infallible>: Sized {
    /// Initialises `slot`.
    ///
    /// # Safety
    ///
    /// `slot` is valid for writes and its contents are not dropped first.
    /// If this returns `Ok`, the caller treats `*slot` as pinned: it is not
    /// moved before it is dropped.
    unsafe fn __pinned_init(self, slot: *mut T) -> Result<(), E>;
}

/// An initialiser of a `T` that need not stay pinned: every [`Init`] is a
/// [`PinInit`], and a plain value is an [`Init`] of itself.
///
/// # Safety
///
/// As [`PinInit`], and the initialised value may be moved.
pub unsafe trait Init<T: ?Sized, E = Infallible>: PinInit<T, E> {
    /// Initialises `slot`.
    ///
    /// # Safety
    ///
    /// `slot` is valid for writes and its contents are not dropped first.
    unsafe fn __init(self, slot: *mut T) -> Result<(), E>;
}

// SAFETY: writing the value initialises the slot; it cannot fail.
unsafe impl<T, E> PinInit<T, E> for T {
    unsafe fn __pinned_init(self, slot: *mut T) -> Result<(), E> {
        // SAFETY: the caller gives a slot valid for writes.
        unsafe { slot.write(self) };
        Ok(())
    }
}

// SAFETY: as above; a plain value may be moved afterwards.
unsafe impl<T, E> Init<T, E> for T {
    unsafe fn __init(self, slot: *mut T) -> Result<(), E> {
        // SAFETY: the caller gives a slot valid for writes.
        unsafe { slot.write(self) };
        Ok(())
    }
}

/// A [`PinInit`] from a closure that initialises the slot it is given.
///
/// # Safety
///
/// `f` must keep [`PinInit`]'s contract: `Ok` only with the slot fully
/// initialised, `Err` only with it uninitialised.
pub unsafe fn pin_init_from_closure<T: ?Sized, E>(
    f: impl FnOnce(*mut T) -> Result<(), E>,
) -> impl PinInit<T, E> {
    __internal::InitClosure(f, PhantomData)
}

/// An [`Init`] from a closure that initialises the slot it is given.
///
/// # Safety
///
/// As [`pin_init_from_closure`], and the value must be movable afterwards.
pub unsafe fn init_from_closure<T: ?Sized, E>(
    f: impl FnOnce(*mut T) -> Result<(), E>,
) -> impl Init<T, E> {
    __internal::InitClosure(f, PhantomData)
}

/// Allocation with in-place initialisation: `Box::pin_init(init)`,
/// `Arc::pin_init(init)` (std's `Box` and `Arc`).
///
/// Std aborts the program when memory runs out, so unlike the kernel's the
/// only error is the initialiser's own `E`; the `try_` forms are the same
/// functions under the kernel's other names.
pub trait InPlaceInit<T>: Sized {
    /// Allocates, runs `init` on the allocation, and pins it.
    fn pin_init<E>(init: impl PinInit<T, E>) -> Result<Pin<Self>, E>;

    /// Allocates and runs `init` on the allocation.
    fn init<E>(init: impl Init<T, E>) -> Result<Self, E>;

    /// The same as [`pin_init`](InPlaceInit::pin_init).
    fn try_pin_init<E>(init: impl PinInit<T, E>) -> Result<Pin<Self>, E> {
        Self::pin_init(init)
    }

    /// The same as [`init`](InPlaceInit::init).
    fn try_init<E>(init: impl Init<T, E>) -> Result<Self, E> {
        Self::init(init)
    }
}

impl<T> InPlaceInit<T> for Box<T> {
    fn pin_init<E>(init: impl PinInit<T, E>) -> Result<Pin<Self>, E> {
        let mut this = Box::<T>::new_uninit();
        // SAFETY: a fresh allocation for a T; on error it is freed without
        // dropping its contents (PinInit left it uninitialised), on success
        // it is pinned at once and never moved.
        unsafe {
            init.__pinned_init(this.as_mut_ptr())?;
            Ok(Box::into_pin(this.assume_init()))
        }
    }

    fn init<E>(init: impl Init<T, E>) -> Result<Self, E> {
        let mut this = Box::<T>::new_uninit();
        // SAFETY: as above.
        unsafe {
            init.__init(this.as_mut_ptr())?;
            Ok(this.assume_init())
        }
    }
}

impl<T> InPlaceInit<T> for Arc<T> {
    fn pin_init<E>(init: impl PinInit<T, E>) -> Result<Pin<Self>, E> {
        let mut this = Arc::<T>::new_uninit();
        let slot = Arc::get_mut(&mut this).expect("a new Arc is unique").as_mut_ptr();
        // SAFETY: as for Box; an Arc's contents never move, so pinning it
        // is sound.
        unsafe {
            init.__pinned_init(slot)?;
            Ok(Pin::new_unchecked(this.assume_init()))
        }
    }

    fn init<E>(init: impl Init<T, E>) -> Result<Self, E> {
        let mut this = Arc::<T>::new_uninit();
        let slot = Arc::get_mut(&mut this).expect("a new Arc is unique").as_mut_ptr();
        // SAFETY: as above.
        unsafe {
            init.__init(slot)?;
            Ok(this.assume_init())
        }
    }
}

/// An initialiser for a struct marked [`#[pin_data]`](crate::pin_data),
/// field by field (the kernel's `pin_init!`), that cannot fail:
///
/// - `field: value` moves `value` into the field (`field,` alone is
///   `field: field`);
/// - `field <- initializer` runs another initialiser on the field in
///   place: a [`PinInit`] for a `#[pin]` field, an [`Init`] otherwise.
///
/// Fields are initialised in the order written; if one fails (see
/// [`try_pin_init!`](crate::try_pin_init)) or panics, those already done
/// are dropped again.
#[macro_export]
macro_rules! pin_init {
    ($t:ident $(::<$($generics:ty),* $(,)?>)? { $($fields:tt)* }) => {
        $crate::__pin_init_internal!(
            ($t $(::<$($generics),*>)?), ::core::convert::Infallible, { $($fields)* }
        )
    };
}

/// [`pin_init!`](crate::pin_init) with an error type: `try_pin_init!(Foo {
/// ... }? Error)`.  The sub-initialisers' errors convert into it with
/// `From`.
#[macro_export]
macro_rules! try_pin_init {
    ($t:ident $(::<$($generics:ty),* $(,)?>)? { $($fields:tt)* }? $err:ty) => {
        $crate::__pin_init_internal!(($t $(::<$($generics),*>)?), $err, { $($fields)* })
    };
}

/// Initialises a pinned value on the stack (the kernel's
/// `stack_pin_init!`): `stack_pin_init!(let name = initializer);` binds
/// `name: Pin<&mut T>`, dropped at the end of the scope.
#[macro_export]
macro_rules! stack_pin_init {
    (let $var:ident $(: $t:ty)? = $val:expr) => {
        let __val = $val;
        let mut $var = ::core::pin::pin!($crate::init::__internal::StackInit$(::<$t>)?::uninit());
        let mut $var = match $crate::init::__internal::StackInit::init($var, __val) {
            ::core::result::Result::Ok(pinned) => pinned,
            ::core::result::Result::Err(never) => {
                let never: ::core::convert::Infallible = never;
                match never {}
            }
        };
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __pin_init_internal {
    (($($ty:tt)*), $err:ty, { $($fields:tt)* }) => {{
        let __init = move |__slot: *mut $($ty)*| -> ::core::result::Result<(), $err> {
            // Requires #[pin_data] on the struct, and tells pinned fields
            // from unpinned ones.
            // SAFETY: only used to pick the initialiser trait per field.
            #[allow(unused_variables)]
            let __data = unsafe { $crate::init::__internal::pin_data_of(__slot) };
            $crate::__pin_init_fields!(@munch __slot, __data, ($($ty)*), [], { $($fields)* });
            ::core::result::Result::Ok(())
        };
        // SAFETY: the closure initialises every field exactly once (the
        // never-called closure at its end would not compile otherwise), and
        // on an error drops the fields it had initialised before returning.
        unsafe { $crate::init::pin_init_from_closure::<$($ty)*, $err>(__init) }
    }};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __pin_init_fields {
    // All fields done: check that each was named exactly once, by writing
    // a struct expression that names them (never run).
    (@munch $slot:ident, $data:ident, ($($ty:tt)*), [$($done:ident)*], { $(,)? }) => {
        #[allow(unreachable_code, clippy::diverging_sub_expression, unused_unsafe)]
        let _ = || {
            // SAFETY: never called.
            unsafe { ::core::ptr::write($slot, $($ty)* { $($done: ::core::panic!(),)* }) };
        };
    };
    // field <- initializer
    (@munch $slot:ident, $data:ident, $ty:tt, [$($done:ident)*],
     { $field:ident <- $val:expr $(, $($rest:tt)*)? }) => {
        let __field_init = $val;
        // SAFETY: the slot is valid and this field not yet initialised; the
        // pin data's method for the field demands PinInit or Init as the
        // field is #[pin] or not.
        unsafe { $data.$field(::core::ptr::addr_of_mut!((*$slot).$field), __field_init)? };
        // SAFETY: the field is initialised now.
        let __guard = unsafe {
            $crate::init::__internal::DropGuard::new(::core::ptr::addr_of_mut!((*$slot).$field))
        };
        $crate::__pin_init_fields!(@munch $slot, $data, $ty, [$($done)* $field], { $($($rest)*)? });
        ::core::mem::forget(__guard);
    };
    // field: value
    (@munch $slot:ident, $data:ident, $ty:tt, [$($done:ident)*],
     { $field:ident : $val:expr $(, $($rest:tt)*)? }) => {
        {
            let $field = $val;
            // SAFETY: the slot is valid and this field not yet initialised.
            unsafe { ::core::ptr::write(::core::ptr::addr_of_mut!((*$slot).$field), $field) };
        }
        // SAFETY: the field is initialised now.
        let __guard = unsafe {
            $crate::init::__internal::DropGuard::new(::core::ptr::addr_of_mut!((*$slot).$field))
        };
        $crate::__pin_init_fields!(@munch $slot, $data, $ty, [$($done)* $field], { $($($rest)*)? });
        ::core::mem::forget(__guard);
    };
    // field (shorthand for field: field)
    (@munch $slot:ident, $data:ident, $ty:tt, [$($done:ident)*],
     { $field:ident $(, $($rest:tt)*)? }) => {
        $crate::__pin_init_fields!(@munch $slot, $data, $ty, [$($done)*],
                                   { $field: $field $(, $($rest)*)? });
    };
}

/// Implementation details of the macros; not part of the API.
#[doc(hidden)]
pub mod __internal {
    use core::marker::PhantomData;
    use core::mem::MaybeUninit;
    use core::pin::Pin;

    use super::{Init, PinInit};

    /// What `#[pin_data]` implements: a value whose methods, one per field,
    /// initialise that field with the right kind of initialiser.
    ///
    /// # Safety
    ///
    /// The methods must initialise the field they are named after, and
    /// only accept [`Init`] for fields that are not structurally pinned.
    pub unsafe trait HasPinData {
        type PinData: Copy;

        /// # Safety
        ///
        /// Only for the initialiser macros.
        unsafe fn __pin_data() -> Self::PinData;
    }

    /// # Safety
    ///
    /// Only for the initialiser macros.
    pub unsafe fn pin_data_of<T: HasPinData + ?Sized>(_slot: *mut T) -> T::PinData {
        // SAFETY: passed on to the caller.
        unsafe { T::__pin_data() }
    }

    /// Invariant in `T`, and neither owning nor dropping a `T`.
    type Invariant<T> = PhantomData<fn(*mut T) -> *mut T>;

    /// The initialiser [`pin_init_from_closure`](super::pin_init_from_closure) returns.
    pub struct InitClosure<F, T: ?Sized, E>(
        pub(super) F,
        pub(super) PhantomData<(Invariant<T>, E)>,
    );

    // SAFETY: the closure's constructor promised PinInit's contract.
    unsafe impl<T: ?Sized, F, E> PinInit<T, E> for InitClosure<F, T, E>
    where
        F: FnOnce(*mut T) -> Result<(), E>,
    {
        unsafe fn __pinned_init(self, slot: *mut T) -> Result<(), E> {
            (self.0)(slot)
        }
    }

    // SAFETY: only init_from_closure() makes an InitClosure that is used as
    // an Init, and its caller promised that the value may move.
    unsafe impl<T: ?Sized, F, E> Init<T, E> for InitClosure<F, T, E>
    where
        F: FnOnce(*mut T) -> Result<(), E>,
    {
        unsafe fn __init(self, slot: *mut T) -> Result<(), E> {
            (self.0)(slot)
        }
    }

    /// Drops an initialised field again if a later one fails or panics.
    pub struct DropGuard<T: ?Sized>(*mut T);

    impl<T: ?Sized> DropGuard<T> {
        /// # Safety
        ///
        /// `ptr` points to an initialised value that nothing else drops
        /// while the guard lives.
        pub unsafe fn new(ptr: *mut T) -> Self {
            Self(ptr)
        }
    }

    impl<T: ?Sized> Drop for DropGuard<T> {
        fn drop(&mut self) {
            // SAFETY: per new(), initialised and ours to drop.
            unsafe { core::ptr::drop_in_place(self.0) }
        }
    }

    /// A stack slot for [`stack_pin_init!`](crate::stack_pin_init).
    pub struct StackInit<T> {
        value: MaybeUninit<T>,
        is_init: bool,
    }

    impl<T> Drop for StackInit<T> {
        fn drop(&mut self) {
            if self.is_init {
                // SAFETY: is_init says so.
                unsafe { self.value.assume_init_drop() };
            }
        }
    }

    impl<T> StackInit<T> {
        /// An empty slot.
        pub fn uninit() -> Self {
            Self { value: MaybeUninit::uninit(), is_init: false }
        }

        /// Initialises the (pinned) slot and returns the pinned value.
        pub fn init<E>(self: Pin<&mut Self>, init: impl PinInit<T, E>) -> Result<Pin<&mut T>, E> {
            // SAFETY: nothing below moves the slot's contents.
            let this = unsafe { Pin::into_inner_unchecked(self) };
            if this.is_init {
                this.is_init = false;
                // SAFETY: initialised; dropped in place before reuse, as
                // pinning requires.
                unsafe { this.value.assume_init_drop() };
            }
            // SAFETY: the slot is pinned (it came as Pin<&mut Self>).
            unsafe { init.__pinned_init(this.value.as_mut_ptr())? };
            this.is_init = true;
            // SAFETY: initialised just now, and pinned.
            Ok(unsafe { Pin::new_unchecked(this.value.assume_init_mut()) })
        }
    }
}
