# Readers with their own full fence (no membarrier(2)), and every
# operation through the library's debug path.
ksync_add_test(test_percpu_rwsem ENV KSYNC_NO_MEMBARRIER=1)
ksync_add_test(test_percpu_rwsem ENV KSYNC_DEBUG=1)
