/* Built against an installed ksync with pkg-config, by test_install.sh. */
#include <stdio.h>
#include <ksync/ksync.h>

static DEFINE_SPINLOCK(lock);
static atomic_t counter = ATOMIC_INIT(0);

int main(void)
{
	{
		guard(spinlock)(&lock);
		atomic_inc(&counter);
	}
	printf("cpu %d counter %d locked %d\n", smp_processor_id(),
	       atomic_read(&counter), spin_is_locked(&lock));
	return atomic_read(&counter) == 1 && !spin_is_locked(&lock) ? 0 : 1;
}
