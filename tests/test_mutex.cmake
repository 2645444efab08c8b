# The whole mutex test again under the validator and lock statistics.
ksync_add_test(test_mutex ENV KSYNC_LOCKDEP=1)
ksync_add_test(test_mutex ENV KSYNC_LOCK_STAT=1 KSYNC_LOCK_STAT_FILE=/dev/null)
