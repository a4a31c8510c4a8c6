/* A client's JSON body under json_parse_document: the value count taken
 * before the tree is built, and the refusal of a key twice.
 *
 * Oracles: a document it accepts is refused as too many at one value
 * fewer than its tree holds (object keys included), so nothing (a
 * comment, a quote inside one, an escape) can hide values from the
 * count; the count may be higher, as for the bytes yajl leaves unread
 * after a complete top-level number; no object in an accepted tree has
 * a key twice; a key twice is refused only where the tree really has
 * one; a document refused as invalid is one json_parse refuses too. */
#include "fuzz.h"
#include "lib/json.h"

FUZZ_INITIALIZE_QUIET

static size_t
values(yajl_val v)
{
	size_t	 i, n = 1;

	if (YAJL_IS_ARRAY(v))
		for (i = 0; i < v->u.array.len; i++)
			n += values(v->u.array.values[i]);
	else if (YAJL_IS_OBJECT(v))
		for (i = 0; i < v->u.object.len; i++)
			n += 1 + values(v->u.object.values[i]);
	return n;
}

/* Whether some object in v has a key twice, by brute force. */
static int
has_dup(yajl_val v)
{
	size_t	 i, j;

	if (YAJL_IS_ARRAY(v)) {
		for (i = 0; i < v->u.array.len; i++)
			if (has_dup(v->u.array.values[i]))
				return 1;
	} else if (YAJL_IS_OBJECT(v)) {
		for (i = 0; i < v->u.object.len; i++) {
			for (j = i + 1; j < v->u.object.len; j++)
				if (strcmp(v->u.object.keys[i],
				    v->u.object.keys[j]) == 0)
					return 1;
			if (has_dup(v->u.object.values[i]))
				return 1;
		}
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	enum json_fault	 f, f2;
	char		 err[256], *p;
	yajl_val	 v, plain;
	size_t		 count;

	if ((p = malloc(n + 1)) == NULL)
		return 0;
	memcpy(p, data, n);
	p[n] = '\0';
	v = json_parse_document(p, n, 0, &f, err, sizeof(err));
	FUZZ_CHECK(strlen(err) < sizeof(err));
	plain = json_parse(p, n, err, sizeof(err));
	if (v != NULL) {
		FUZZ_CHECK(plain != NULL && !has_dup(v));
		count = values(v);
		yajl_tree_free(v);
		if (count > 1) {
			v = json_parse_document(p, n, count - 1, &f2, err,
			    sizeof(err));
			FUZZ_CHECK(v == NULL && f2 == JSON_TOO_MANY);
		}
	} else if (f == JSON_DUP_KEY)
		FUZZ_CHECK(plain != NULL && has_dup(plain));
	else if (f == JSON_INVALID)
		FUZZ_CHECK(plain == NULL);
	yajl_tree_free(plain);
	free(p);
	return 0;
}
