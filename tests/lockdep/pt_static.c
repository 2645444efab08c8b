// SPDX-License-Identifier: MIT
/* Linked statically: ksync-lockdep must refuse it, clearly. */
int main(void)
{
	return 0;
}
