/* flock(2) with a deadline, for the files concurrent hexind processes
 * share: the token cache and the capture files. */
#ifndef HEXIND_LOCK_H
#define HEXIND_LOCK_H

int	lock_wait(int fd, int ms);

#endif
