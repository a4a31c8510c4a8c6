/* The answers of n calls made into one: their choices merged with their
 * indexes moved and their usage summed, and a whole answer that came
 * where a stream was asked for sent as the chunks it would have been. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/chat.h"
#include "lib/json.h"

/* Sums the integers of several usage objects, key by key, nested objects
 * included; other values come from the first. */
static int
gen_usage_sum(yajl_gen g, yajl_val *u, size_t n)
{
	yajl_val	 v, w, sub[N_MAX];
	long long	 sum;
	size_t		 i, k;

	if (!YAJL_IS_OBJECT(u[0]))
		return json_gen_value(g, u[0]);
	if (json_map_open(g))
		return -1;
	for (i = 0; i < u[0]->u.object.len; i++) {
		const char *key = u[0]->u.object.keys[i];

		v = u[0]->u.object.values[i];
		if (json_str(g, key))
			return -1;
		if (YAJL_IS_INTEGER(v)) {
			for (sum = 0, k = 0; k < n; k++)
				if ((w = json_get(u[k], key)) &&
				    YAJL_IS_INTEGER(w))
					sum += YAJL_GET_INTEGER(w);
			if (json_int(g, sum))
				return -1;
		} else if (YAJL_IS_OBJECT(v)) {
			for (k = 0; k < n; k++)
				sub[k] = json_get(u[k], key) ? json_get(u[k],
				    key) : v;
			if (gen_usage_sum(g, sub, n))
				return -1;
		} else if (json_gen_value(g, v)) {
			return -1;
		}
	}
	return json_map_close(g);
}

/* A choice as the chunks a stream would have carried. */
static int
gen_choice_chunks(struct chat *ch, struct stream *s, yajl_val answer,
    yajl_val choice, int index)
{
	yajl_gen	 g = ch->g;
	yajl_val	 msg = json_get(choice, "message");
	yajl_val	 fin = json_get(choice, "finish_reason");
	yajl_val	 tools = json_get(msg, "tool_calls");
	int		 step;
	size_t		 i, k;

	for (step = 0; step < 3; step++) {
		if (json_map_open(g))
			return -1;
		for (i = 0; i < answer->u.object.len; i++) {
			const char *key = answer->u.object.keys[i];

			if (strcmp(key, "choices") == 0 ||
			    strcmp(key, "usage") == 0 ||
			    strcmp(key, "object") == 0)
				continue;
			if (json_str(g, key) ||
			    json_gen_value(g, answer->u.object.values[i]))
				return -1;
		}
		if (json_kstr(g, "object", "chat.completion.chunk") ||
		    json_str(g, "choices") || json_array_open(g) ||
		    json_map_open(g) || json_kint(g, "index", index) ||
		    json_str(g, "delta") || json_map_open(g))
			return -1;
		if (step == 0 && (json_kstr(g, "role", "assistant") ||
		    json_kstr(g, "content", "")))
			return -1;
		for (i = 0; step == 1 && YAJL_IS_OBJECT(msg) &&
		    i < msg->u.object.len; i++) {
			const char *key = msg->u.object.keys[i];
			yajl_val v = msg->u.object.values[i];

			if (strcmp(key, "role") == 0)
				continue;
			if (ch->fold && strcmp(key, "reasoning_content") == 0)
				continue;
			if (json_str(g, key))
				return -1;
			if (ch->fold && strcmp(key, "content") == 0) {
				if (chat_think_fold(g, s, json_get(msg,
				    "reasoning_content"), v, 1))
					return -1;
			} else if (strcmp(key, "tool_calls") == 0 &&
			    YAJL_IS_ARRAY(tools)) {
				/* stream tool calls carry their index */
				if (json_array_open(g))
					return -1;
				for (k = 0; k < tools->u.array.len; k++) {
					yajl_val t = tools->u.array.values[k];
					size_t j;

					if (json_map_open(g) ||
					    json_kint(g, "index", (long long)k))
						return -1;
					for (j = 0; YAJL_IS_OBJECT(t) &&
					    j < t->u.object.len; j++)
						if (json_str(g, t->u.object.keys[j]) ||
						    json_gen_value(g,
						    t->u.object.values[j]))
							return -1;
					if (json_map_close(g))
						return -1;
				}
				if (json_array_close(g))
					return -1;
			} else if (json_gen_value(g, v)) {
				return -1;
			}
		}
		if (json_map_close(g) || json_str(g, "finish_reason"))
			return -1;
		if (step == 2 ? json_gen_value(g, fin) != 0 :
		    json_null(g))
			return -1;
		if (json_map_close(g) || json_array_close(g) ||
		    json_map_close(g) || chat_emit_gen(ch))
			return -1;
	}
	s->finished = 1;
	return 0;
}

/* A stream was asked for and Hexin answered a whole completion: it goes
 * out as the chunks it would have been. */
int
chat_answer_chunks(struct chat *ch, struct stream *s, yajl_val answer)
{
	yajl_val	 choices = json_get(answer, "choices");
	size_t		 i;
	int		 index = s->base;

	chat_remember(ch, answer);
	for (i = 0; YAJL_IS_ARRAY(choices) && i < choices->u.array.len; i++)
		if (gen_choice_chunks(ch, s, answer, choices->u.array.values[i],
		    index++))
			return -1;
	if (!ch->include_usage || !YAJL_IS_OBJECT(json_get(answer, "usage")))
		return 0;
	/* its usage chunk, or its share of the sum at the end */
	s->plain_usage = json_get(answer, "usage");
	return ch->n > 1 ? 0 : chat_usage_sum(ch);
}

/* The merged answer of n calls, or the one answer with its reasoning
 * folded when configured. */
int
chat_answer_merge(struct chat *ch, yajl_val *answers, size_t n)
{
	yajl_gen	 g = ch->g;
	yajl_val	 base = answers[0], usage[N_MAX], v;
	size_t		 i, k, nu = 0;
	int		 index = 0;

	if (json_map_open(g))
		return -1;
	for (i = 0; i < base->u.object.len; i++) {
		const char *key = base->u.object.keys[i];

		if (json_str(g, key))
			return -1;
		if (strcmp(key, "choices") == 0) {
			if (json_array_open(g))
				return -1;
			for (k = 0; k < n; k++) {
				yajl_val cs = json_get(answers[k], "choices");
				size_t j;

				for (j = 0; YAJL_IS_ARRAY(cs) &&
				    j < cs->u.array.len; j++) {
					ch->st[k].base = index++ - (int)j;
					if (chat_gen_choice(ch, &ch->st[k],
					    cs->u.array.values[j]))
						return -1;
				}
			}
			if (json_array_close(g))
				return -1;
		} else if (strcmp(key, "usage") == 0 && n > 1) {
			for (k = 0; k < n; k++)
				if ((v = json_get(answers[k], "usage")) &&
				    YAJL_IS_OBJECT(v))
					usage[nu++] = v;
			if (nu ? gen_usage_sum(g, usage, nu) :
			    json_gen_value(g, base->u.object.values[i]))
				return -1;
		} else if (json_gen_value(g, base->u.object.values[i])) {
			return -1;
		}
	}
	return json_map_close(g);
}

/* The usage chunk of a multiplexed stream: the n streams' usage summed. */
int
chat_usage_sum(struct chat *ch)
{
	yajl_gen	 g = ch->g;
	yajl_val	 usage[N_MAX];
	size_t		 nu = 0;
	int		 i;

	for (i = 0; i < ch->n; i++)
		if (ch->st[i].plain_usage)
			usage[nu++] = ch->st[i].plain_usage;
		else if (ch->st[i].usage)
			usage[nu++] = json_get(ch->st[i].usage, "usage") ?
			    json_get(ch->st[i].usage, "usage") :
			    json_get(json_get(ch->st[i].usage, "data"),
			    "usage");
	if (nu == 0)
		return 0;
	if (ch->bedrock && ch->last) {
		snprintf(ch->id, sizeof(ch->id), "%s", ch->last->cs.id);
		snprintf(ch->model, sizeof(ch->model), "%s",
		    ch->last->cs.model);
		snprintf(ch->created, sizeof(ch->created), "%lld",
		    ch->last->cs.created);
	}
	if (json_map_open(g) || json_kstr(g, "id", ch->id) ||
	    json_kstr(g, "object", "chat.completion.chunk"))
		return -1;
	if (ch->created[0] && (json_str(g, "created") ||
	    json_number(g, ch->created, strlen(ch->created))))
		return -1;
	if (json_kstr(g, "model", ch->model) || json_str(g, "choices") ||
	    json_array_open(g) || json_array_close(g) ||
	    json_str(g, "usage") || gen_usage_sum(g, usage, nu) ||
	    json_map_close(g))
		return -1;
	return chat_emit_gen(ch);
}
