/* yajl helpers: a generator set up the one way hexind uses it, and the
 * few typed emitters the handlers need. */
#ifndef HEXIND_JSON_H
#define HEXIND_JSON_H

#include <stddef.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "lib/buf.h"

#define JSON_MAX_DEPTH	100	/* arrays and objects in one another */

/* a + b, held at the ends of long long: counts Hexin reports are summed */
static inline long long
json_sum(long long a, long long b)
{
	long long	 r;

	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? __LONG_LONG_MAX__ : -__LONG_LONG_MAX__ - 1;
	return r;
}

/* Every emitter returns 0, or -1 when the generator refused. */
yajl_gen json_gen(void);
int	json_map_open(yajl_gen);
int	json_map_close(yajl_gen);
int	json_array_open(yajl_gen);
int	json_array_close(yajl_gen);
int	json_null(yajl_gen);
int	json_int(yajl_gen, long long);
int	json_number(yajl_gen, const char *, size_t);
int	json_buf(yajl_gen, const unsigned char **, size_t *);
int	json_str(yajl_gen, const char *);
int	json_strn(yajl_gen, const char *, size_t);
int	json_kstr(yajl_gen, const char *key, const char *val);
int	json_kint(yajl_gen, const char *key, long long);
int	json_kbool(yajl_gen, const char *key, int);
int	json_knull(yajl_gen, const char *key);
int	json_take(yajl_gen, struct buf *);
int	json_utf8_valid(const char *, size_t);
yajl_val json_parse(const char *, size_t, char *err, size_t errsz);

enum json_fault {
	JSON_INVALID, JSON_DUP_KEY, JSON_TOO_MANY, JSON_NO_MEMORY
};
yajl_val json_parse_document(const char *, size_t, size_t max_values,
	    enum json_fault *, char *err, size_t errsz);
const char *json_type_name(yajl_val);
int	json_gen_value(yajl_gen, yajl_val);
yajl_val json_get(yajl_val, const char *);
long long json_int_at(yajl_val, const char *);
int	json_object_text(yajl_val, struct buf *);
int	json_gen_object_text(yajl_gen, yajl_val);

#endif
