/*
 * replay_main.c: a main() for the fuzz harnesses built without libFuzzer. It feeds every file
 * of the folders named on the command line to LLVMFuzzerTestOneInput once, so `make test`
 * replays the corpus and every crasher ever found (fuzz/regression/) under the normal build and
 * the sanitizers. Prints "replayed N inputs" and exits 0 unless an input crashed the harness.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	struct stat st;
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
		fclose(f);
		return -1;
	}
	size_t n = (size_t)st.st_size;
	uint8_t *data = malloc(n ? n : 1);
	if (!data || fread(data, 1, n, f) != n) {
		free(data);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(data, n);
	free(data);
	return 0;
}

int main(int argc, char **argv)
{
	long count = 0;
	for (int i = 1; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		if (!d) {
			if (replay_file(argv[i]) == 0)
				count++;
			continue;
		}
		struct dirent *e;
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			char path[4096];
			if ((size_t)snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name) >=
			    sizeof path)
				continue;
			if (replay_file(path) == 0)
				count++;
		}
		closedir(d);
	}
	printf("replayed %ld inputs\n", count);
	return 0;
}
