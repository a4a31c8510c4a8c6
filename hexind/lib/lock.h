/* flock(2) with a deadline, for the files concurrent hexind processes
 * share: the token cache and the capture files. */
#ifndef HEXIND_LOCK_H
#define HEXIND_LOCK_H

/* Returns non-zero when waiting is no longer worth it. */
typedef int (*lock_gone_fn)(void *);

int	lock_wait(int fd, int ms, lock_gone_fn, void *);

#endif
