/* An answer as the reader of an upstream format hands it over, piece by
 * piece, to the writer of the client's API: reasoning, text, tool calls
 * and their arguments (a call is named by the reader's key), how it
 * stopped (in chat's words) and its usage. A reader knows no writer and
 * a writer no reader; each format is read once and written once. */
#ifndef HEXIND_ANSWER_H
#define HEXIND_ANSWER_H

#include <stddef.h>

struct answer {
	void	*arg;
	int	(*reasoning)(void *, const char *, size_t);
	int	(*text)(void *, const char *, size_t);
	int	(*tool)(void *, int key, const char *call_id, const char *name);
	int	(*has_call)(void *, int key, const char *call_id);
	int	(*args)(void *, int key, const char *, size_t);
	void	(*stop)(void *, const char *finish_reason);
	/* the stop sequence that ended it, where the route names it; NULL
	 * for a writer that has no use for it */
	void	(*stop_sequence)(void *, const char *);
	void	(*usage)(void *, long long in, long long cached,
		    long long out, long long reasoning);
};

#endif
