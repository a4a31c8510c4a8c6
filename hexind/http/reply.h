/* Writing responses: the head every response shares, JSON bodies, the
 * events of a stream (the one place that writes server-sent events), and
 * errors in the client API's own shape. */
#ifndef HEXIND_REPLY_H
#define HEXIND_REPLY_H

#include <stddef.h>

#include <yajl/yajl_gen.h>

#include "http/exchange.h"

int	reply_head(struct exchange *, int status, const char *ctype,
	    long long length, const char *extra);
int	reply(struct exchange *, int status, const char *ctype, const char *body,
	    size_t n, const char *extra);
int	reply_json(struct exchange *, int status, const struct buf *);
int	reply_write(struct exchange *, const char *, size_t);
int	reply_stream_head(struct exchange *);
int	reply_event(struct exchange *, const char *event, const char *data,
	    size_t n);
int	reply_gen_event(struct exchange *, const char *event, yajl_gen);
int	reply_body(struct exchange *, const char *, size_t);
int	reply_end(struct exchange *);
void	reply_finish(struct exchange *);
void	reply_hold(struct exchange *);
int	reply_release(struct exchange *);
int	reply_error(struct exchange *, int status, const char *code,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int	reply_error_extra(struct exchange *, int status, const char *code,
	    const char *extra, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
int	reply_error_param(struct exchange *, const char *param, const char *fmt,
	    ...) __attribute__((format(printf, 3, 4)));
int	error_body(struct buf *, enum api, int status, const char *code,
	    const char *message);

#endif
