/* Reasoning folded into the content between <think> tags, as the Python
 * proxy did, when HEXIND_THINK_TAGS asks for it: for a chat route's
 * answers and chunks (chat_claude.c folds Claude's thinking itself). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/chat.h"
#include "lib/buf.h"
#include "lib/json.h"

/* Emits the content of a message or delta with the reasoning folded in
 * front of it between <think> tags, as the Python proxy did. */
int
chat_think_fold(yajl_gen g, struct stream *s, yajl_val rc, yajl_val content,
    int closing)
{
	struct buf	 b;
	int		 r;

	buf_init(&b, 0);
	if (YAJL_IS_STRING(rc) && rc->u.string[0]) {
		if (!s->think && buf_adds(&b, "<think>") == -1)
			goto nomem;
		s->think = 1;
		if (buf_adds(&b, rc->u.string) == -1)
			goto nomem;
	}
	if (s->think && ((YAJL_IS_STRING(content) && content->u.string[0]) ||
	    closing)) {
		if (buf_adds(&b, "</think>") == -1)
			goto nomem;
		s->think = 0;
	}
	if (YAJL_IS_STRING(content) && buf_adds(&b, content->u.string) == -1)
		goto nomem;
	if (b.len == 0 && !YAJL_IS_STRING(content)) {
		buf_free(&b);
		return json_gen_value(g, content);
	}
	r = json_strn(g, buf_cstr(&b), b.len);
	buf_free(&b);
	return r;
nomem:
	buf_free(&b);
	return -1;
}

/* A message or delta object, with reasoning folded when configured. */
int
chat_think_message(struct chat *ch, struct stream *s, yajl_val m, int closing)
{
	yajl_gen	 g = ch->g;
	yajl_val	 rc = json_get(m, "reasoning_content");
	yajl_val	 content = json_get(m, "content");
	size_t		 i;
	int		 wrote = 0;

	if (!ch->fold)
		return json_gen_value(g, m);
	if (json_map_open(g))
		return -1;
	for (i = 0; i < m->u.object.len; i++) {
		const char *k = m->u.object.keys[i];

		if (strcmp(k, "reasoning_content") == 0)
			continue;
		if (strcmp(k, "content") == 0) {
			if (json_str(g, k) || chat_think_fold(g, s, rc, content,
			    closing))
				return -1;
			wrote = 1;
			continue;
		}
		if (json_str(g, k) || json_gen_value(g, m->u.object.values[i]))
			return -1;
	}
	/* reasoning, or a closing tag, with no content key to carry it */
	if (!wrote && ((YAJL_IS_STRING(rc) && rc->u.string[0]) ||
	    (closing && s->think)))
		if (json_str(g, "content") || chat_think_fold(g, s, rc, NULL,
		    closing))
			return -1;
	return json_map_close(g);
}
