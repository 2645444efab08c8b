// SPDX-License-Identifier: MIT
/*
 * --plot: throughput against thread count, one line per lock, one PNG per
 * section, drawn by gnuplot fed a script on a pipe (the data goes inline
 * as datablocks, so no temporary files are left behind).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "bench.h"

/* Is gnuplot on $PATH?  Checked before the run, not after a minute of it. */
bool bench_plot_available(void)
{
	const char *path = getenv("PATH");
	char file[4096];

	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t len = strcspn(path, ":");

		snprintf(file, sizeof(file), "%.*s/gnuplot",
			 len ? (int)len : 1, len ? path : ".");
		if (access(file, X_OK) == 0)
			return true;
		path += len + (path[len] == ':');
	}
	return false;
}

/* A gnuplot single-quoted string: only the quote itself needs escaping. */
static void put_quoted(FILE *g, const char *s)
{
	fputc('\'', g);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', g);
		fputc(*s, g);
	}
	fputc('\'', g);
}

/* "x.png" for one section; "x-NAME.png" when there are several. */
static char *output_name(const char *path, const char *section, bool several)
{
	const char *dot = strrchr(path, '.');
	size_t stem, len = strlen(path) + strlen(section) + 2;
	char *out = malloc(len + 4);

	if (!out)
		return NULL;
	if (!several) {
		snprintf(out, len + 4, "%s", path);
		return out;
	}
	if (!dot || strchr(dot, '/'))
		dot = path + strlen(path);
	stem = (size_t)(dot - path);
	snprintf(out, len + 4, "%.*s-%s%s", (int)stem, path, section,
		 *dot ? dot : ".png");
	return out;
}

static void put_setup(FILE *g, const char *out, const struct bench_result *res,
		      const struct bench_opts *o)
{
	/* pngcairo draws far better; plain png is the fallback. */
	fputs("if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
	      "  set terminal pngcairo size 1000,640 font ',10'\n"
	      "} else {\n"
	      "  set terminal png size 1000,640\n"
	      "}\n"
	      "set termoption noenhanced\n", g);
	fputs("set output ", g);
	put_quoted(g, out);
	fprintf(g, "\nset title 'ksync-bench %s: throughput (median of %u run%s of %u ms, %u CPUs)'\n",
		res->section->name, o->repeats, o->repeats == 1 ? "" : "s",
		o->duration_ms, bench_nproc());
	/* Collapsing locks fall by orders of magnitude: log y shows them. */
	fputs("set xlabel 'threads'\n"
	      "set ylabel 'M acquisitions/s (log)'\n"
	      "set logscale x 2\n"
	      "set logscale y 10\n"
	      "set grid\n"
	      "set key outside right top\n"
	      "set xtics (", g);
	for (unsigned int t = 0; t < o->nthreads; t++)
		fprintf(g, "%s%u", t ? ", " : "", o->threads[t]);
	fputs(")\n", g);
}

static void put_data(FILE *g, const struct bench_result *res,
		     const struct bench_opts *o)
{
	for (unsigned int i = 0; i < res->nrows; i++) {
		fprintf(g, "$row%u << EOD\n", i);
		for (unsigned int t = 0; t < o->nthreads; t++) {
			double v = bench_row_mops(&res->rows[i], o, t, NULL);

			/* Log scale: nothing measured is a gap, not an error. */
			if (v > 0)
				fprintf(g, "%u %.6g\n", o->threads[t], v);
			else
				fprintf(g, "%u NaN\n", o->threads[t]);
		}
		fputs("EOD\n", g);
	}
}

/* gnuplot's own cycle repeats after 8 lines; a section may have more. */
static const char *const line_colors[] = {
	"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
	"#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#000000", "#aec7e8",
};
#define NR_COLORS	(sizeof(line_colors) / sizeof(line_colors[0]))

static void put_plot(FILE *g, const struct bench_result *res)
{
	fputs("plot ", g);
	for (unsigned int i = 0; i < res->nrows; i++) {
		fprintf(g, "%s$row%u with linespoints lw 2 lc rgb '%s' pt %u title ",
			i ? ", \\\n     " : "", i, line_colors[i % NR_COLORS],
			i % 14 + 1);
		put_quoted(g, res->rows[i].lock->name);
	}
	fputs("\n", g);
}

static int draw(const char *out, const struct bench_result *res,
		const struct bench_opts *o)
{
	FILE *g = popen("gnuplot", "w");
	int status;

	if (!g) {
		bench_err("cannot run gnuplot");
		return -1;
	}
	put_setup(g, out, res, o);
	put_data(g, res, o);
	put_plot(g, res);
	status = pclose(g);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		bench_err("gnuplot failed to draw %s", out);
		return -1;
	}
	fprintf(stderr, "ksync-bench: wrote %s\n", out);
	return 0;
}

int bench_plot_write(const char *path, const struct bench_result *res,
		     unsigned int n, const struct bench_opts *o)
{
	unsigned int plottable = 0;
	int ret = 0;

	for (unsigned int i = 0; i < n; i++)
		plottable += !!(res[i].section->measures & BENCH_MEASURE_THROUGHPUT);
	/* A gnuplot that dies early must fail the plot, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	for (unsigned int i = 0; i < n; i++) {
		char *out;

		if (!(res[i].section->measures & BENCH_MEASURE_THROUGHPUT))
			continue;
		out = output_name(path, res[i].section->name, plottable > 1);
		if (!out || draw(out, &res[i], o))
			ret = -1;
		free(out);
	}
	signal(SIGPIPE, SIG_DFL);
	return ret;
}
