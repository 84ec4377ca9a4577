#include "cli/cli.h"

#include "base/common.h"

int cli_main(int argc, char **argv)
{
	fprintf(stderr, "usage: matchd COMMAND\n");
	return 2;
}
