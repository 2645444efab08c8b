# Also through the debug paths: the inner spinlock checked, locks tracked.
ksync_add_test(test_swait ENV KSYNC_DEBUG=1)
