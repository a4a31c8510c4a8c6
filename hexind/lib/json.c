/* Every emitter returns 0 or -1; callers chain them with ||. Strings that
 * are not valid UTF-8 are emitted with the bad bytes replaced by U+FFFD,
 * so hexind never writes invalid JSON whatever a client sent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"

yajl_gen
json_gen(void)
{
	return yajl_gen_alloc(NULL);
}

/* The length of the valid UTF-8 sequence at p, or 0 (RFC 3629: no
 * overlongs, no surrogates, nothing past U+10FFFF). */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
	size_t	 len, i;
	unsigned cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

int
json_utf8_valid(const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, l;

	while (i < n) {
		if ((l = utf8_seq(p + i, n - i)) == 0)
			return 0;
		i += l;
	}
	return 1;
}

#define GEN(x)	((x) == yajl_gen_status_ok ? 0 : -1)

int
json_map_open(yajl_gen g)
{
	return GEN(yajl_gen_map_open(g));
}

int
json_map_close(yajl_gen g)
{
	return GEN(yajl_gen_map_close(g));
}

int
json_array_open(yajl_gen g)
{
	return GEN(yajl_gen_array_open(g));
}

int
json_array_close(yajl_gen g)
{
	return GEN(yajl_gen_array_close(g));
}

int
json_null(yajl_gen g)
{
	return GEN(yajl_gen_null(g));
}

int
json_int(yajl_gen g, long long v)
{
	return GEN(yajl_gen_integer(g, v));
}

/* A number as its text: numbers pass through verbatim, never a double. */
int
json_number(yajl_gen g, const char *p, size_t n)
{
	return GEN(yajl_gen_number(g, p, n));
}

/* What the generator holds, without taking it. */
int
json_buf(yajl_gen g, const unsigned char **p, size_t *n)
{
	return GEN(yajl_gen_get_buf(g, p, n));
}

int
json_strn(yajl_gen g, const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s;
	struct buf		 b;
	size_t			 i = 0, l;
	int			 rc;

	if (json_utf8_valid(s, n))
		return GEN(yajl_gen_string(g, p, n));
	buf_init(&b, 0);
	while (i < n) {
		if ((l = utf8_seq(p + i, n - i)) == 0) {
			rc = buf_add(&b, "\xef\xbf\xbd", 3);
			i++;
		} else {
			rc = buf_add(&b, s + i, l);
			i += l;
		}
		if (rc == -1) {
			buf_free(&b);
			return -1;
		}
	}
	rc = GEN(yajl_gen_string(g, (const unsigned char *)buf_cstr(&b),
	    b.len));
	buf_free(&b);
	return rc;
}

int
json_str(yajl_gen g, const char *s)
{
	if (s == NULL)
		return GEN(yajl_gen_null(g));
	return json_strn(g, s, strlen(s));
}

int
json_kstr(yajl_gen g, const char *k, const char *v)
{
	return json_str(g, k) || json_str(g, v) ? -1 : 0;
}

int
json_kint(yajl_gen g, const char *k, long long v)
{
	return json_str(g, k) || json_int(g, v) ? -1 : 0;
}

int
json_kbool(yajl_gen g, const char *k, int v)
{
	return json_str(g, k) || GEN(yajl_gen_bool(g, v)) ? -1 : 0;
}

int
json_knull(yajl_gen g, const char *k)
{
	return json_str(g, k) || json_null(g) ? -1 : 0;
}

/* Moves what g generated into out and frees g. */
int
json_take(yajl_gen g, struct buf *out)
{
	const unsigned char	*p;
	size_t			 n;
	int			 rc = -1;

	if (GEN(yajl_gen_get_buf(g, &p, &n)) == 0)
		rc = buf_add(out, p, n);
	yajl_gen_free(g);
	return rc;
}

/* One pass over the text before yajl sees it. It finds nesting deeper
 * than JSON_MAX_DEPTH (yajl builds and frees trees by recursion, so a
 * body of a few hundred thousand brackets would overflow the stack, and
 * its generator writes no more than 128 levels anyway), and counts the
 * values a tree of it would hold, object keys included: a token starts
 * at a quote, a bracket, a literal's first letter or a number's first
 * character, outside strings and comments. The count bounds the tree's
 * memory before it is built. */
static int
scan(const char *p, size_t n, size_t *values)
{
	size_t	 i, depth = 0, count = 0;
	int	 in_str = 0, in_num = 0;
	char	 ch;

	for (i = 0; i < n; i++) {
		ch = p[i];
		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_str = 0;
			continue;
		}
		if ((ch >= '0' && ch <= '9') || ch == '-' || ch == '+' ||
		    ch == '.' || ch == 'e' || ch == 'E') {
			count += !in_num && ch != 'e' && ch != 'E';
			in_num = 1;
			continue;
		}
		in_num = 0;
		/* yajl_tree_parse allows comments where space may be; a
		 * quote or a bracket in one is no token, and must not hide
		 * the ones that follow. */
		if (ch == '/' && i + 1 < n && p[i + 1] == '/') {
			while (i < n && p[i] != '\n')
				i++;
		} else if (ch == '/' && i + 1 < n && p[i + 1] == '*') {
			for (i += 2; i + 1 < n && !(p[i] == '*' &&
			    p[i + 1] == '/'); i++)
				;
			i++;
		} else if (ch == '"') {
			in_str = 1;
			count++;
		} else if (ch == '[' || ch == '{') {
			count++;
			if (++depth > JSON_MAX_DEPTH)
				return -1;
		} else if ((ch == ']' || ch == '}') && depth > 0)
			depth--;
		else if (ch == 't' || ch == 'f' || ch == 'n')
			count++;
	}
	*values = count;
	return 0;
}

/* Parses n bytes of JSON into a tree, refusing more than max_values
 * values (0: no limit); NULL with a one-line message, and *toomany set
 * when the count was the reason. With nul, p[n] is a NUL already and the
 * text is parsed where it lies. */
static yajl_val
parse(const char *p, size_t n, int nul, size_t max_values, int *toomany,
    char *err, size_t errsz)
{
	char		 ebuf[256];
	char		*s = NULL, *nl;
	size_t		 values;
	yajl_val	 v;

	*toomany = 0;
	if (memchr(p, '\0', n) != NULL) {
		snprintf(err, errsz, "NUL byte in JSON text");
		return NULL;
	}
	if (scan(p, n, &values) == -1) {
		snprintf(err, errsz, "JSON nested deeper than %d levels",
		    JSON_MAX_DEPTH);
		return NULL;
	}
	if (max_values && values > max_values) {
		*toomany = 1;
		snprintf(err, errsz, "more than %zu JSON values (%zu, object "
		    "keys included)", max_values, values);
		return NULL;
	}
	/* yajl_tree_parse wants a NUL-terminated string. */
	if (!nul) {
		if ((s = malloc(n + 1)) == NULL) {
			snprintf(err, errsz, "out of memory");
			return NULL;
		}
		memcpy(s, p, n);
		s[n] = '\0';
	}
	ebuf[0] = '\0';
	v = yajl_tree_parse(s ? s : p, ebuf, sizeof(ebuf));
	free(s);
	if (v == NULL) {
		if ((nl = strchr(ebuf, '\n')) != NULL)
			*nl = '\0';
		snprintf(err, errsz, "%s", ebuf[0] ? ebuf : "invalid JSON");
	}
	return v;
}

/* Parses n bytes of JSON into a tree; NULL with a one-line message. */
yajl_val
json_parse(const char *p, size_t n, char *err, size_t errsz)
{
	int	 toomany;

	return parse(p, n, 0, 0, &toomany, err, errsz);
}

/* The length of s's longest prefix of at most max bytes that ends on a
 * character's boundary (s is valid UTF-8: yajl checked). */
static int
utf8_prefix(const char *s, int max)
{
	int	 n = (int)strnlen(s, (size_t)max + 1);

	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

static int
key_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A key that one of v's objects holds twice, or NULL: *dup set, 0; -1
 * when out of memory. Small objects are compared pair by pair, larger
 * ones through a sorted copy of their keys. */
static int
dup_key(yajl_val v, const char **dup)
{
	const char	**keys;
	size_t		  i, j, len;

	if (YAJL_IS_ARRAY(v)) {
		for (i = 0; i < v->u.array.len && *dup == NULL; i++)
			if (dup_key(v->u.array.values[i], dup) == -1)
				return -1;
		return 0;
	}
	if (!YAJL_IS_OBJECT(v))
		return 0;
	len = v->u.object.len;
	if (len <= 16) {
		for (i = 0; i < len && *dup == NULL; i++)
			for (j = i + 1; j < len && *dup == NULL; j++)
				if (strcmp(v->u.object.keys[i],
				    v->u.object.keys[j]) == 0)
					*dup = v->u.object.keys[i];
	} else {
		if ((keys = malloc(len * sizeof(*keys))) == NULL)
			return -1;
		memcpy(keys, v->u.object.keys, len * sizeof(*keys));
		qsort(keys, len, sizeof(*keys), key_cmp);
		for (i = 1; i < len && *dup == NULL; i++)
			if (strcmp(keys[i - 1], keys[i]) == 0)
				*dup = keys[i];
		free(keys);
	}
	for (i = 0; i < len && *dup == NULL; i++)
		if (dup_key(v->u.object.values[i], dup) == -1)
			return -1;
	return 0;
}

/* A client's JSON document, n bytes and a NUL: at most max_values
 * values (0: no limit), no object with a key twice (RFC 8259 leaves such
 * a document's meaning to the reader, and hexind and Hexin could read it
 * differently). NULL with a one-line message and *fault: JSON_INVALID,
 * JSON_DUP_KEY, JSON_TOO_MANY, or JSON_NO_MEMORY. */
yajl_val
json_parse_document(const char *p, size_t n, size_t max_values,
    enum json_fault *fault, char *err, size_t errsz)
{
	const char	*dup = NULL;
	yajl_val	 v;
	int		 toomany;

	if ((v = parse(p, n, 1, max_values, &toomany, err, errsz)) == NULL) {
		*fault = toomany ? JSON_TOO_MANY : JSON_INVALID;
		return NULL;
	}
	if (dup_key(v, &dup) == -1) {
		yajl_tree_free(v);
		*fault = JSON_NO_MEMORY;
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	if (dup != NULL) {
		*fault = JSON_DUP_KEY;
		snprintf(err, errsz, "the key \"%.*s\" appears twice in one "
		    "object", utf8_prefix(dup, 100), dup);
		yajl_tree_free(v);
		return NULL;
	}
	return v;
}

const char *
json_type_name(yajl_val v)
{
	if (v == NULL)
		return "missing";
	switch (v->type) {
	case yajl_t_string:	return "a string";
	case yajl_t_number:	return "a number";
	case yajl_t_object:	return "an object";
	case yajl_t_array:	return "an array";
	case yajl_t_true:
	case yajl_t_false:	return "a boolean";
	case yajl_t_null:	return "null";
	default:		return "unknown";
	}
}

/* Generates v as it is: numbers by their text, strings byte for byte. */
int
json_gen_value(yajl_gen g, yajl_val v)
{
	size_t	 i;

	if (v == NULL)
		return GEN(yajl_gen_null(g));
	switch (v->type) {
	case yajl_t_string:
		return json_str(g, v->u.string);
	case yajl_t_number:
		return GEN(yajl_gen_number(g, v->u.number.r,
		    strlen(v->u.number.r)));
	case yajl_t_object:
		if (GEN(yajl_gen_map_open(g)))
			return -1;
		for (i = 0; i < v->u.object.len; i++)
			if (json_str(g, v->u.object.keys[i]) ||
			    json_gen_value(g, v->u.object.values[i]))
				return -1;
		return GEN(yajl_gen_map_close(g));
	case yajl_t_array:
		if (GEN(yajl_gen_array_open(g)))
			return -1;
		for (i = 0; i < v->u.array.len; i++)
			if (json_gen_value(g, v->u.array.values[i]))
				return -1;
		return GEN(yajl_gen_array_close(g));
	case yajl_t_true:
		return GEN(yajl_gen_bool(g, 1));
	case yajl_t_false:
		return GEN(yajl_gen_bool(g, 0));
	default:
		return GEN(yajl_gen_null(g));
	}
}

/* The value of key in obj, or NULL (also when obj is no object). */
yajl_val
json_get(yajl_val obj, const char *key)
{
	size_t	 i;

	if (!YAJL_IS_OBJECT(obj))
		return NULL;
	for (i = 0; i < obj->u.object.len; i++)
		if (strcmp(obj->u.object.keys[i], key) == 0)
			return obj->u.object.values[i];
	return NULL;
}

/* The integer at key in obj, or 0: the counts of a usage object. */
long long
json_int_at(yajl_val obj, const char *key)
{
	yajl_val	 v = json_get(obj, key);

	return YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : 0;
}

/* The JSON text of obj, appended to out; {} when obj is no object: a
 * tool call's input as the arguments of another API. */
int
json_object_text(yajl_val obj, struct buf *out)
{
	yajl_gen	 g;

	if (!YAJL_IS_OBJECT(obj))
		return buf_adds(out, "{}");
	if ((g = json_gen()) == NULL)
		return -1;
	if (json_gen_value(g, obj)) {
		yajl_gen_free(g);
		return -1;
	}
	return json_take(g, out);
}

/* The same, as a string value in g. */
int
json_gen_object_text(yajl_gen g, yajl_val obj)
{
	struct buf	 b;
	int		 rc;

	buf_init(&b, 0);
	rc = json_object_text(obj, &b) == -1 ||
	    json_strn(g, b.data, b.len) ? -1 : 0;
	buf_free(&b);
	return rc;
}
