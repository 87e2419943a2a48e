/* list_settings.c -- print dnsd.conf's settings table, "LEVEL KEYWORD MAN" a line, for t_conf_doc.sh */
#include "config.h"

#include <stdio.h>

#include "conf/conf.h"

static int
print_row(const char *keyword, const char *level, const char *man, void *arg)
{
	(void)arg;
	return printf("%s %s %s\n", level, keyword, man) < 0 ? -1 : 0;
}

int
main(void)
{
	if (conf_settings_foreach(print_row, NULL) != 0 || fflush(stdout) != 0)
		return 1;
	return 0;
}
