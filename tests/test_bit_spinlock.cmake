# Also with every lock call checked and lockdep on: the wait_bit queues
# and the bit-lock debug check must not report correct use.
ksync_add_test(test_bit_spinlock ENV KSYNC_DEBUG=1 KSYNC_LOCKDEP=1)
