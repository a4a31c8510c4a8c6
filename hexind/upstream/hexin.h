/* Hexin's conventions in one place: the envelope, its error forms, and
 * how each maps to what the client is told (hexin-backend.md, "The
 * envelope"). */
#ifndef HEXIND_HEXIN_H
#define HEXIND_HEXIN_H

#include <stddef.h>
#include <yajl/yajl_tree.h>

enum hx_kind {
	HX_OK,		/* payload holds the answer */
	HX_AUTH,	/* the token was refused: refresh once, retry once */
	HX_ERROR,	/* status and message say what to answer */
};

struct hx_result {
	enum hx_kind	 kind;
	yajl_val	 root;		/* the parsed body, or NULL */
	yajl_val	 payload;	/* root, or root's "data" */
	int		 status;	/* HX_ERROR: the client's status */
	int		 retryable;	/* 502, 503 or 504 from Hexin */
	char		 message[512];
};

void	hexin_classify(long http_status, const char *body, size_t n,
	    struct hx_result *);
void	hexin_classify_tree(long http_status, yajl_val, struct hx_result *);
void	hexin_result_free(struct hx_result *);
int	hexin_client_status(long upstream_status);
int	hexin_is_ping(yajl_val);
const char *hexin_bad_event(const char *, size_t);

#endif
