/* Monotonic milliseconds, for deadlines and the access log's times; wall
 * clock milliseconds for what several processes share. */
#ifndef HEXIND_CLOCK_H
#define HEXIND_CLOCK_H

#include <time.h>

long long now_ms(void);
long long wall_ms(void);
void	sleep_ms(int ms);
void	clock_utc(time_t t, struct tm *tm);

#endif
