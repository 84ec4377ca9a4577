#include "cli/submit.h"

#include "base/common.h"

int cli_submit(int argc, char **argv)
{
	fprintf(stderr, "matchd submit: not built yet\n");
	return 2;
}
