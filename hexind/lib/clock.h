/* Monotonic milliseconds, for deadlines and the access log's times. */
#ifndef HEXIND_CLOCK_H
#define HEXIND_CLOCK_H

long long now_ms(void);
void	sleep_ms(int ms);

#endif
