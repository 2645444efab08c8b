# Also through the debug paths: the inner spinlocks checked, locks tracked.
ksync_add_test(test_wait_family ENV KSYNC_DEBUG=1)
