/* See lock.h. A timer interrupts the wait: flock(2) has no timeout, and a
 * process stuck behind a wedged lock holder would otherwise hang. */
#include <sys/file.h>
#include <sys/time.h>

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "lock.h"

static void
on_alarm(int sig)
{
	(void)sig;
}

/* An exclusive lock on fd, waiting at most ms; 0, or -1 with errno
 * (ETIMEDOUT when the wait ran out). */
int
lock_wait(int fd, int ms)
{
	struct sigaction sa, old;
	struct itimerval it = { { 0, 0 }, { ms / 1000, (ms % 1000) * 1000 } };
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
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
	rc = flock(fd, LOCK_EX);
	saved = errno;
	(void)setitimer(ITIMER_REAL, &off, NULL);
	(void)sigaction(SIGALRM, &old, NULL);
	if (rc == -1)
		errno = saved == EINTR ? ETIMEDOUT : saved;
	return rc;
}
