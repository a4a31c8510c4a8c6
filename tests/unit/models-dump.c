/* Prints the built-in model table compiled into hexind (build/
 * models_default.c, from scripts/models-gen) as JSON, for tests/
 * models.bats to compare with models_default.json value for value. */
#include <stdio.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

extern const yajl_val models_default_tree;

static int
put(yajl_gen g, yajl_val v)
{
	size_t	 i;

	switch (v->type) {
	case yajl_t_string:
		return yajl_gen_string(g, (const unsigned char *)v->u.string,
		    strlen(v->u.string)) != yajl_gen_status_ok;
	case yajl_t_number:
		return yajl_gen_number(g, v->u.number.r,
		    strlen(v->u.number.r)) != yajl_gen_status_ok;
	case yajl_t_object:
		if (yajl_gen_map_open(g) != yajl_gen_status_ok)
			return 1;
		for (i = 0; i < v->u.object.len; i++)
			if (yajl_gen_string(g, (const unsigned char *)
			    v->u.object.keys[i], strlen(v->u.object.keys[i])) !=
			    yajl_gen_status_ok || put(g, v->u.object.values[i]))
				return 1;
		return yajl_gen_map_close(g) != yajl_gen_status_ok;
	case yajl_t_array:
		if (yajl_gen_array_open(g) != yajl_gen_status_ok)
			return 1;
		for (i = 0; i < v->u.array.len; i++)
			if (put(g, v->u.array.values[i]))
				return 1;
		return yajl_gen_array_close(g) != yajl_gen_status_ok;
	case yajl_t_true:
	case yajl_t_false:
		return yajl_gen_bool(g, v->type == yajl_t_true) !=
		    yajl_gen_status_ok;
	default:
		return yajl_gen_null(g) != yajl_gen_status_ok;
	}
}

int
main(void)
{
	const unsigned char	*out;
	size_t			 n;
	yajl_gen		 g;
	int			 rc = 1;

	if ((g = yajl_gen_alloc(NULL)) == NULL)
		return 1;
	if (put(g, models_default_tree) == 0 &&
	    yajl_gen_get_buf(g, &out, &n) == yajl_gen_status_ok &&
	    fwrite(out, 1, n, stdout) == n)
		rc = 0;
	yajl_gen_free(g);
	return rc;
}
