# Also without membarrier(2) (sleeping heads poll) and through the debug paths.
ksync_add_test(test_spinlock_fair ENV KSYNC_NO_MEMBARRIER=1)
ksync_add_test(test_spinlock_fair ENV KSYNC_DEBUG=1)
