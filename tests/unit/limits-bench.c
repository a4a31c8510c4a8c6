/* What a named key's limits and the ledger cost a request in CPU: the
 * admission (lock, read, rename), the tokens counted at the end (the
 * same), and the ledger line (lock, append), each timed over many rounds
 * in one process with getrusage(2), in a state directory of its own.
 *   limits-bench DIR [ROUNDS [RPM]]
 * for a key at its limit of RPM requests a minute (60). Prints
 * microseconds of CPU per request for each, and their sum. */
#include <sys/resource.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/jsonl.h"
#include "lib/limits.h"
#include "lib/statefile.h"

static double
cpu_us(void)
{
	struct rusage	 ru;

	(void)getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

int
main(int argc, char *argv[])
{
	/* a limit no round reaches: every request is admitted and counted */
	struct limits	 l = { NULL, "bench", LIMITS_RPM_MAX, 999999999999LL };
	static const char rec[] = "{\"time\":\"2026-12-02T10:00:00.123Z\","
	    "\"id\":\"0123456789abcdef0123456789abcdef\",\"key\":\"bench\","
	    "\"endpoint\":\"chat\",\"model\":\"gpt-4o\",\"served\":\"gpt-4o\","
	    "\"family\":\"gpt\",\"route\":\"chatgpt/v3\",\"status\":200,"
	    "\"stream\":true,\"input_tokens\":12,\"cached_tokens\":0,"
	    "\"output_tokens\":30,\"reasoning_tokens\":0,\"ms\":840,"
	    "\"first_ms\":210,\"retries\":0,\"relogins\":0,\"error\":null}\n";
	char		 dir[4096], path[4200];
	struct buf	 line;
	long		 retry, i, rounds, rpm;
	long long	 now = wall_ms(), step;
	double		 t0, admit, spend, ledger;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: limits-bench DIR [ROUNDS [RPM]]\n");
		return 2;
	}
	rounds = argc >= 3 ? atol(argv[2]) : 2000;
	rpm = argc == 4 ? atol(argv[3]) : 60;
	if (rounds < 1 || rounds > 1000000 || rpm < 1 || rpm > LIMITS_RPM_MAX)
		return 2;
	l.rpm = rpm;
	step = 60000 / rpm + 1;
	l.dir = argv[1];
	if (statefile_dir(argv[1], "usage", dir, sizeof(dir)) == -1) {
		perror(argv[1]);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/bench.jsonl", dir);
	buf_init(&line, 0);
	if (buf_adds(&line, rec) == -1)
		return 1;
	/* A key at its limit: RPM requests a minute, one every 60/RPM s of
	 * a clock the bench moves on, so that the window always holds RPM
	 * requests (the most its file keeps). */
	t0 = cpu_us();
	for (i = 0; i < rounds; i++)
		if (limits_admit(&l, now + i * step, &retry, NULL, NULL) !=
		    LIMIT_OK) {
			fprintf(stderr, "limits-bench: not admitted\n");
			return 1;
		}
	admit = (cpu_us() - t0) / (double)rounds;
	t0 = cpu_us();
	for (i = 0; i < rounds; i++)
		if (limits_spend(&l, now + (rounds + i) * step, 42) == -1) {
			perror("limits_spend");
			return 1;
		}
	spend = (cpu_us() - t0) / (double)rounds;
	t0 = cpu_us();
	for (i = 0; i < rounds; i++)
		if (jsonl_append(path, &line) == -1) {
			perror(path);
			return 1;
		}
	ledger = (cpu_us() - t0) / (double)rounds;
	printf("rpm=%ld rounds=%ld admit_us=%.1f spend_us=%.1f ledger_us=%.1f "
	    "total_us=%.1f\n", rpm, rounds, admit, spend, ledger,
	    admit + spend + ledger);
	buf_free(&line);
	return 0;
}
