# Also with lockdep on: the read side on the held-lock stack, the checks
# in rcu_dereference*() (which must not cry wolf here).
ksync_add_test(test_rcu ENV KSYNC_LOCKDEP=1)
