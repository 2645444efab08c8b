// SPDX-License-Identifier: MIT
//! Data protected by a lock that lives elsewhere, as the kernel's
//! `kernel::sync::LockedBy`.

use core::cell::UnsafeCell;
use core::mem::size_of;
use core::ptr;

use crate::sync::lock::{Backend, Lock};

/// Data protected by a lock that does not contain it: every file's size
/// under its directory's lock, every child under its parent's.
///
/// The way in is [`access`](LockedBy::access) or
/// [`access_mut`](LockedBy::access_mut), given a reference to the data of
/// the owning lock, which only that lock's guard gives: presenting it
/// proves at compile time that the lock is held, and it is checked at run
/// time to be *that* lock's data (a mismatch panics).
///
/// # Examples
///
/// ```
/// use ksync::prelude::*;
/// use ksync::sync::{LockedBy, Mutex};
///
/// struct File {
///     _ino: u32,
///     inner: LockedBy<InnerFile, InnerDirectory>,
/// }
///
/// struct InnerFile {
///     bytes_used: u64,
/// }
///
/// struct InnerDirectory {
///     /// The sum of the bytes used by all files.
///     bytes_used: u64,
///     _files: Vec<File>,
/// }
///
/// #[pin_data]
/// struct Directory {
///     _ino: u32,
///     #[pin]
///     inner: Mutex<InnerDirectory>,
/// }
///
/// fn add_bytes(file: &File, dir: &Directory, n: u64) {
///     let mut guard = dir.inner.lock();
///     file.inner.access_mut(&mut guard).bytes_used += n;
///     guard.bytes_used += n;
/// }
///
/// fn size(file: &File, dir: &Directory) -> u64 {
///     let guard = dir.inner.lock();
///     file.inner.access(&guard).bytes_used
/// }
///
/// let dir = Box::pin_init(pin_init!(Directory {
///     _ino: 1,
///     inner <- new_mutex!(InnerDirectory { bytes_used: 0, _files: Vec::new() }),
/// }))?;
/// let file = File { _ino: 2, inner: LockedBy::new(&dir.inner, InnerFile { bytes_used: 0 }) };
/// add_bytes(&file, &dir, 10);
/// assert_eq!(size(&file, &dir), 10);
/// assert_eq!(dir.inner.lock().bytes_used, 10);
/// # Ok::<(), core::convert::Infallible>(())
/// ```
///
/// Changing the data needs the owner's guard mutably: a shared borrow of
/// it (which other code may also have) is refused.
///
/// ```compile_fail,E0308
/// use ksync::prelude::*;
/// use ksync::sync::{LockedBy, Mutex};
///
/// stack_pin_init!(let owner = new_mutex!(0u64));
/// let data = LockedBy::new(&owner, 5u32);
/// let guard = owner.lock();
/// *data.access_mut(&guard) += 1;
/// ```
pub struct LockedBy<T: ?Sized, U: ?Sized> {
    owner: *const U,
    data: UnsafeCell<T>,
}

// SAFETY: the data goes with the LockedBy; sending it is sending a T.
unsafe impl<T: ?Sized + Send, U: ?Sized> Send for LockedBy<T, U> {}

// SAFETY: from a shared LockedBy, access_mut() hands out &mut T to one
// thread at a time (the owner's guard is exclusive), which T: Send allows;
// access() hands out &T to several at once, and requires T: Sync itself.
unsafe impl<T: ?Sized + Send, U: ?Sized> Sync for LockedBy<T, U> {}

impl<T, U> LockedBy<T, U> {
    /// `data`, protected by the lock `owner`.
    pub fn new<B: Backend>(owner: &Lock<U, B>, data: T) -> Self {
        const {
            assert!(
                size_of::<Lock<U, B>>() > 0,
                "the lock cannot be a ZST because it may not have a unique address"
            )
        };
        Self { owner: owner.data.get(), data: UnsafeCell::new(data) }
    }
}

impl<T: ?Sized, U> LockedBy<T, U> {
    /// The data, shared, given the owning lock's data, shared (the guard
    /// derefs to it).
    ///
    /// # Panics
    ///
    /// If `owner` is not the data of the lock given to [`new`](LockedBy::new).
    pub fn access<'a>(&'a self, owner: &'a U) -> &'a T
    where
        T: Sync,
    {
        const { assert!(size_of::<U>() > 0, "`U` cannot be a ZST because `owner` wouldn't be unique") };
        if !ptr::eq(owner, self.owner) {
            panic!("mismatched owners");
        }
        // SAFETY: `owner` is the data of the right lock and borrowed for
        // 'a, so the lock is held (or the lock exclusively borrowed) for
        // 'a; only shared borrows of the data exist meanwhile.
        unsafe { &*self.data.get() }
    }

    /// The data, exclusively, given the owning lock's data exclusively
    /// (the guard, mutably).
    ///
    /// # Panics
    ///
    /// If `owner` is not the data of the lock given to [`new`](LockedBy::new).
    pub fn access_mut<'a>(&'a self, owner: &'a mut U) -> &'a mut T {
        const { assert!(size_of::<U>() > 0, "`U` cannot be a ZST because `owner` wouldn't be unique") };
        if !ptr::eq(owner, self.owner) {
            panic!("mismatched owners");
        }
        // SAFETY: `owner` is the right lock's data, borrowed exclusively
        // for 'a: nobody else can reach this data meanwhile.
        unsafe { &mut *self.data.get() }
    }
}
