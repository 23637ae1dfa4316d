#include "options.h"

#include "size.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int parse_size(const char *s, uint64_t *out)
{
	/* Memory sizes: a bare K/M/G/T is binary (64G = 64 GiB, as free, qemu and docker read it);
	 * KB/MB/GB/TB stay decimal and KiB..TiB binary. */
	char buf[64];
	size_t n = strlen(s);
	if (n && n < sizeof(buf) - 2 && strchr("KkMmGgTt", s[n - 1]) && n > 1 && s[n - 2] >= '0' && s[n - 2] <= '9') {
		snprintf(buf, sizeof(buf), "%si", s);
		s = buf;
	}
	return halo_size_parse(s, out, NULL, NULL) ? -1 : 0;
}

static void print_usage_lines(FILE *out, const struct command_help *help)
{
	for (int i = 0; help->usage && help->usage[i]; i++)
		fprintf(out, "%s%s\n", i ? "   or: " : "usage: ", help->usage[i]);
}

void print_command_help(FILE *out, const struct option *opts, const struct command_help *help)
{
	print_usage_lines(out, help);
	if (help->description)
		fprintf(out, "\n%s\n", help->description);
	fputc('\n', out);
	for (const struct option *o = opts; o->type != OPTION_END; o++) {
		char left[96];
		int n = 0;
		if (o->type == OPTION_GROUP) {
			fprintf(out, "\n%s\n", o->help);
			continue;
		}
		if (o->short_name)
			n = snprintf(left, sizeof(left), "    -%c%s", o->short_name, o->long_name ? ", " : "");
		else
			n = snprintf(left, sizeof(left), "    ");
		if (o->long_name)
			n += snprintf(left + n, sizeof(left) - n, "--%s", o->long_name);
		if (o->argh)
			n += snprintf(left + n, sizeof(left) - n, " <%s>", o->argh);
		if (n > 28)
			fprintf(out, "%s\n%-30s%s\n", left, "", o->help);
		else
			fprintf(out, "%-30s%s\n", left, o->help);
	}
	fprintf(out, "    -h, --help                show this help\n");
}

static int usage_error(const char *cmd, const struct option *opts, const struct command_help *help, const char *fmt,
		       ...) __attribute__((format(printf, 4, 5)));

static int usage_error(const char *cmd, const struct option *opts, const struct command_help *help, const char *fmt,
		       ...)
{
	va_list ap;
	(void)opts;
	fprintf(stderr, "halo %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	print_usage_lines(stderr, help);
	fprintf(stderr, "try 'halo %s --help' for the options\n", cmd);
	return -1;
}

static int set_value(const struct option *o, const char *arg, const char *cmd, const struct option *opts,
		     const struct command_help *help)
{
	char *end;
	switch (o->type) {
	case OPTION_STRING:
		*(const char **)o->value = arg;
		return 0;
	case OPTION_INT: {
		errno = 0;
		long v = strtol(arg, &end, 10);
		if (errno || end == arg || *end)
			return usage_error(cmd, opts, help, "option '%s' expects an integer", o->long_name);
		*(long *)o->value = v;
		return 0;
	}
	case OPTION_DOUBLE: {
		errno = 0;
		double v = strtod(arg, &end);
		if (errno || end == arg || *end || !isfinite(v))
			return usage_error(cmd, opts, help, "option '%s' expects a number", o->long_name);
		*(double *)o->value = v;
		return 0;
	}
	case OPTION_SIZE:
		if (parse_size(arg, (uint64_t *)o->value))
			return usage_error(cmd, opts, help, "option '%s' expects a size such as 64G or 512MiB",
					   o->long_name);
		return 0;
	default:
		return 0;
	}
}

int parse_options(int argc, const char **argv, const struct option *opts, const struct command_help *help,
		  int *exit_code)
{
	const char *cmd = argv[0];
	int npos = 0;
	bool only_pos = false;

	*exit_code = 2;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (only_pos || a[0] != '-' || !a[1]) {
			argv[npos++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			only_pos = true;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			print_command_help(stdout, opts, help);
			*exit_code = 0;
			return -1;
		}
		const struct option *o = NULL;
		const char *inline_arg = NULL;
		if (a[1] == '-') {
			const char *name = a + 2;
			const char *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			for (const struct option *p = opts; p->type != OPTION_END; p++)
				if (p->long_name && strlen(p->long_name) == len && !strncmp(p->long_name, name, len))
					o = p;
			if (!o)
				return usage_error(cmd, opts, help, "unknown option '%s'", a);
			if (eq)
				inline_arg = eq + 1;
		} else {
			for (const struct option *p = opts; p->type != OPTION_END; p++)
				if (p->short_name == a[1] && p->type != OPTION_GROUP)
					o = p;
			if (!o)
				return usage_error(cmd, opts, help, "unknown option '%s'", a);
			if (a[2])
				inline_arg = a + 2;
		}
		if (o->type == OPTION_BOOL) {
			if (inline_arg)
				return usage_error(cmd, opts, help, "option '%s' takes no value", o->long_name);
			*(bool *)o->value = true;
			continue;
		}
		if (!inline_arg) {
			if (i + 1 >= argc)
				return usage_error(cmd, opts, help, "option '%s' requires a value",
						   o->long_name ? o->long_name : a);
			inline_arg = argv[++i];
		}
		if (set_value(o, inline_arg, cmd, opts, help))
			return -1;
	}
	if (npos < help->min_args || (help->max_args >= 0 && npos > help->max_args)) {
		if (npos < help->min_args)
			return usage_error(cmd, opts, help, "missing argument");
		return usage_error(cmd, opts, help, "unexpected argument '%s'", argv[help->max_args]);
	}
	*exit_code = 0;
	return npos;
}
