/* Diagnostics and the access log. Lines go to stderr when fd 2 is not a
 * socket; otherwise (xinetd hands the client socket over as fd 2, systemd
 * connects it to journald) to the journal or syslog, never the client. */
#ifndef HEXIND_LOG_H
#define HEXIND_LOG_H

#include <stddef.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void	log_set_level(enum log_level);
int	log_level_parse(const char *, enum log_level *);
const char *log_level_name(enum log_level);
void	log_msg(enum log_level, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
size_t	log_clean(char *dst, size_t dstsz, const char *src, size_t n);

#define log_error(...)	log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
