/* Appending whole lines to a file many processes share (the request
 * capture, the usage ledger): a line is in the file whole, or not at
 * all, whatever the other writers do or whenever one is killed. */
#ifndef HEXIND_JSONL_H
#define HEXIND_JSONL_H

#include "lib/buf.h"

int	jsonl_mkdir(const char *path);
int	jsonl_append(const char *path, const struct buf *line);

#endif
