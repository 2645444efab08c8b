# Also with lockdep on: the writers' lock assertions must not cry wolf.
ksync_add_test(test_seqcount_lockname ENV KSYNC_LOCKDEP=1)
