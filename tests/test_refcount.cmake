# Also with lockdep on: kref_put_lock/_mutex and the dec-and-lock races.
ksync_add_test(test_refcount ENV KSYNC_LOCKDEP=1)
