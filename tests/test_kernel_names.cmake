# Also through the debug paths and lockdep: the lock calls inside the
# helpers (dec-and-lock, kref_put_lock, the wait_bit queues) are checked.
ksync_add_test(test_kernel_names ENV KSYNC_DEBUG=1 KSYNC_LOCKDEP=1)
