/* See lock.h. A timer interrupts the wait: flock(2) has no timeout, and a
 * process stuck behind a wedged lock holder would otherwise hang. It
 * ticks every TICK_MS, so a waiter can also notice that its client has
 * gone and stop. */
#include <sys/file.h>
#include <sys/time.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "lib/lock.h"

#define TICK_MS	100

static void
on_alarm(int sig)
{
	(void)sig;
}

static long long
mono_ms(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* An exclusive lock on fd, waiting at most ms; 0, or -1 with errno
 * (ETIMEDOUT when the wait ran out, ECANCELED when gone said stop). */
int
lock_wait(int fd, int ms, lock_gone_fn gone, void *arg)
{
	struct sigaction sa, old;
	struct itimerval it = { { 0, TICK_MS * 1000 }, { 0, TICK_MS * 1000 } };
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	long long	 deadline = mono_ms() + ms;
	int		 rc, saved;

	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK)
		return -1;
	/* no SA_RESTART: the alarm must interrupt flock(2) */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	(void)sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, &old) == -1)
		return -1;
	(void)setitimer(ITIMER_REAL, &it, NULL);
	for (;;) {
		if ((rc = flock(fd, LOCK_EX)) == 0 || errno != EINTR) {
			saved = errno;
			break;
		}
		if (mono_ms() >= deadline) {
			saved = ETIMEDOUT;
			break;
		}
		if (gone && gone(arg)) {
			saved = ECANCELED;
			break;
		}
	}
	(void)setitimer(ITIMER_REAL, &off, NULL);
	(void)sigaction(SIGALRM, &old, NULL);
	if (rc == -1)
		errno = saved;
	return rc;
}
