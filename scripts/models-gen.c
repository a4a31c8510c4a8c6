/* models-gen: the built-in model table as C, for the build:
 *
 *	models-gen <models_default.json >models_default.c
 *
 * The JSON is parsed here, once, by the same yajl_tree_parse hexind
 * would run at every request, and written out as the tree it gives:
 * constant yajl_val_s nodes, every field as yajl set it, so that hexind
 * reads the table where it lies, with no parse and no allocation. Exit 1
 * with a message when the JSON does not parse. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#define TEXT_MAX	(1024 * 1024)

static unsigned	 next_id;

/* A C string literal of s. */
static void
literal(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char	 ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			printf("\\%03o", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

/* Writes v's children, then v as node N; returns N. */
static unsigned
emit(yajl_val v)
{
	unsigned	*kids = NULL, id;
	size_t		 i, n = 0;

	if (YAJL_IS_OBJECT(v))
		n = v->u.object.len;
	else if (YAJL_IS_ARRAY(v))
		n = v->u.array.len;
	if (n > 0 && (kids = calloc(n, sizeof(*kids))) == NULL) {
		fprintf(stderr, "models-gen: out of memory\n");
		exit(1);
	}
	for (i = 0; i < n; i++)
		kids[i] = emit(YAJL_IS_OBJECT(v) ? v->u.object.values[i] :
		    v->u.array.values[i]);
	id = next_id++;
	if (n > 0) {
		printf("static const yajl_val v%u[] = {", id);
		for (i = 0; i < n; i++)
			printf("%s(yajl_val)&n%u", i ? ", " : "", kids[i]);
		printf("};\n");
	}
	if (YAJL_IS_OBJECT(v) && n > 0) {
		printf("static const char *const k%u[] = {", id);
		for (i = 0; i < n; i++) {
			printf("%s", i ? ", " : "");
			literal(v->u.object.keys[i]);
		}
		printf("};\n");
	}
	free(kids);
	printf("static const struct yajl_val_s n%u = { .type = ", id);
	switch (v->type) {
	case yajl_t_string:
		printf("yajl_t_string, .u.string = (char *)");
		literal(v->u.string);
		break;
	case yajl_t_number:
		printf("yajl_t_number, .u.number = { .i = %lldLL, .d = %a, "
		    ".r = (char *)", v->u.number.i,
		    isfinite(v->u.number.d) ? v->u.number.d : 0.0);
		literal(v->u.number.r);
		printf(", .flags = %u }", v->u.number.flags);
		break;
	case yajl_t_object:
		printf("yajl_t_object");
		if (n > 0)
			printf(", .u.object = { .keys = (const char **)k%u, "
			    ".values = (yajl_val *)v%u, .len = %zu }", id, id, n);
		break;
	case yajl_t_array:
		printf("yajl_t_array");
		if (n > 0)
			printf(", .u.array = { .values = (yajl_val *)v%u, "
			    ".len = %zu }", id, n);
		break;
	case yajl_t_true:
		printf("yajl_t_true");
		break;
	case yajl_t_false:
		printf("yajl_t_false");
		break;
	default:
		printf("yajl_t_null");
		break;
	}
	printf(" };\n");
	return id;
}

int
main(void)
{
	static char	 text[TEXT_MAX + 1];
	char		 err[256];
	size_t		 n;
	yajl_val	 root;
	unsigned	 id;

	n = fread(text, 1, TEXT_MAX + 1, stdin);
	if (ferror(stdin) || n > TEXT_MAX || memchr(text, '\0', n)) {
		fprintf(stderr, "models-gen: cannot read the table, or it is "
		    "over %d bytes or has a NUL\n", TEXT_MAX);
		return 1;
	}
	text[n] = '\0';
	if ((root = yajl_tree_parse(text, err, sizeof(err))) == NULL) {
		fprintf(stderr, "models-gen: not valid JSON: %s\n", err);
		return 1;
	}
	printf("/* generated from models_default.json by scripts/models-gen "
	    "*/\n#include <yajl/yajl_tree.h>\n\n");
	id = emit(root);
	printf("\n/* the built-in table, read where it lies: never written, "
	    "never freed */\nconst yajl_val models_default_tree = "
	    "(yajl_val)&n%u;\n", id);
	yajl_tree_free(root);
	return fflush(stdout) == 0 ? 0 : 1;
}
