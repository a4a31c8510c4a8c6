/* A chat route's answers read into an answer sink (api/answer.h): a
 * whole chat completion, or a stream's chunks one by one; and the text
 * of a content that is a string or an array of text parts. */
#ifndef HEXIND_CHAT_READ_H
#define HEXIND_CHAT_READ_H

#include <yajl/yajl_tree.h>

#include "api/answer.h"
#include "lib/buf.h"

int	chat_parts_text(yajl_val content, struct buf *);
int	chat_read_answer(const struct answer *, yajl_val completion);
int	chat_read_chunk(const struct answer *, yajl_val chunk);

#endif
