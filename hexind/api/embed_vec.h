/* One embeddings answer read without building its tree: kept in the
 * request's spool as it arrives and scanned on the way (the count of
 * data[0].embedding's numbers, the model, the usage, wherever Hexin's
 * envelope put them), then written back out of the spool as the
 * client's numbers: their texts as Hexin wrote them, or base64 of their
 * float32s. */
#ifndef HEXIND_EMBED_VEC_H
#define HEXIND_EMBED_VEC_H

#include <stddef.h>
#include <yajl/yajl_parse.h>

#include "lib/buf.h"
#include "lib/spool.h"

#define VEC_DEPTH	8
#define VEC_PIECE		65536		/* bytes read or written at once */
#define VEC_RAW_PIECE	(3 * 4096)	/* float32 bytes encoded at a time */

struct vec;
struct out;

/* Where a scan is in an answer's JSON. */
struct scan {
	struct vec	*v;
	struct out	*out;		/* NULL: counting; else writing */
	int		 depth;
	char		 key[VEC_DEPTH][32];	/* the key at each depth */
	long		 index[VEC_DEPTH];	/* array index at each depth */
	int		 is_array[VEC_DEPTH];
	int		 failed;
};

/* One answer: spooled, and what its scan found. */
struct vec {
	struct spooled	 part;		/* its bytes in the spool */
	yajl_handle	 y;		/* the scan as it arrives */
	struct scan	 s;
	int		 bad;		/* not JSON, or too deep */
	size_t		 count;		/* numbers in data[0].embedding */
	size_t		 numlen;	/* bytes of their texts */
	char		 model[256];
	long long	 prompt, total;
	int		 refused;	/* success false, or an error object */
};

/* The client's answer on its way out, a piece at a time. */
struct out {
	int		(*sink)(void *, const char *, size_t);
	void		*arg;
	int		 base64;
	size_t		 k;		/* numbers written of this vector */
	unsigned char	 raw[VEC_RAW_PIECE];	/* float32s not yet encoded */
	size_t		 nraw;
	long long	 sent;
	int		 failed;
	char		 buf[VEC_PIECE];
	size_t		 len;
};

void	vec_start(struct vec *);
int	vec_feed(struct vec *, const char *, size_t);
int	vec_end(struct vec *);
void	vec_load(struct vec *, struct buf *);
void	vec_free(struct vec *);
long long vec_length(const struct vec *, int base64);
int	vec_write(struct out *, struct vec *);
void	out_add(struct out *, const char *, size_t);
void	out_adds(struct out *, const char *);
void	out_flush(struct out *);

#endif
