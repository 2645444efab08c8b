# Also without membarrier(2) (sleepers poll) and through the debug paths.
ksync_add_test(test_spinlock_stress ENV KSYNC_NO_MEMBARRIER=1)
ksync_add_test(test_spinlock_stress ENV KSYNC_DEBUG=1)
# Under the validator and lock statistics: exact counts still hold.
ksync_add_test(test_spinlock_stress ENV KSYNC_LOCKDEP=1)
ksync_add_test(test_spinlock_stress ENV KSYNC_LOCK_STAT=1 KSYNC_LOCK_STAT_FILE=/dev/null)
