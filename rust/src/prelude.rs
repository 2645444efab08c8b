// SPDX-License-Identifier: MIT
//! What most users of the crate need, in one `use ksync::prelude::*;`.

pub use core::pin::Pin;

pub use crate::init::{InPlaceInit, Init, PinInit};
pub use crate::{
    new_condvar, new_mutex, new_spinlock, new_spinlock_irq, pin_data, pin_init, stack_pin_init,
    static_lock_class, try_pin_init,
};
