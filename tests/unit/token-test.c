/* Drives the token cache directly, with the settings of the environment:
 *   token-test get             prints the token after token_get()
 *   token-test invalidate TOK  calls token_invalidate(TOK)
 * Exit 0, or 1 with the error on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/conf.h"
#include "upstream/token.h"
#include "upstream/transport.h"

int
main(int argc, char *argv[])
{
	static struct token	 t;
	struct conf		 c;
	char			 err[512];
	int			 rc = 1;

	if (conf_load(&c, err, sizeof(err)) == -1) {
		fprintf(stderr, "token-test: %s\n", err);
		return 1;
	}
	if (argc == 2 && strcmp(argv[1], "get") == 0) {
		if (token_get(&c, "token-test", &t, err, sizeof(err), NULL) == 0) {
			printf("%s\n", t.value);
			rc = 0;
		} else {
			fprintf(stderr, "token-test: %s\n", err);
		}
	} else if (argc == 3 && strcmp(argv[1], "invalidate") == 0) {
		token_invalidate(&c, argv[2]);
		rc = 0;
	} else {
		fprintf(stderr, "usage: token-test get | invalidate TOKEN\n");
	}
	transport_end();
	return rc;
}
