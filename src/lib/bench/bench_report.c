/*
 * Tables, JSON, SVG and comparison of bench runs. See bench_report.h.
 */
#include "bench/bench_report.h"

#include "error.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers ---- */

/* A text grid printed with aligned columns (the first left-aligned, the rest too:
 * values carry their own "±"). */
typedef struct grid {
	char **cells;
	size_t rows, cols, n;
	bool oom;
} grid;

static void grid_init(grid *g, size_t cols)
{
	memset(g, 0, sizeof(*g));
	g->cols = cols;
}

static void grid_add(grid *g, const char *s)
{
	char **c = realloc(g->cells, (g->n + 1) * sizeof(*c));
	if (!c) {
		g->oom = true;
		return;
	}
	g->cells = c;
	g->cells[g->n] = strdup(s ? s : "");
	if (!g->cells[g->n])
		g->oom = true;
	g->n++;
	g->rows = (g->n + g->cols - 1) / g->cols;
}

/* Display width of UTF-8 text (counts code points; "±" is one column). */
static size_t text_width(const char *s)
{
	size_t w = 0;
	for (; s && *s; s++)
		w += ((unsigned char)*s & 0xC0) != 0x80;
	return w;
}

static int grid_print(grid *g, halo_buf *out)
{
	if (g->oom)
		return halo_error_set(HALO_ENOMEM, "out of memory");
	size_t *w = calloc(g->cols ? g->cols : 1, sizeof(*w));
	if (!w)
		return halo_error_set(HALO_ENOMEM, "out of memory");
	for (size_t i = 0; i < g->n; i++) {
		size_t tw = text_width(g->cells[i]);
		if (tw > w[i % g->cols])
			w[i % g->cols] = tw;
	}
	int rc = 0;
	for (size_t r = 0; r < g->rows && !rc; r++) {
		for (size_t c = 0; c < g->cols && !rc; c++) {
			size_t i = r * g->cols + c;
			const char *s = i < g->n && g->cells[i] ? g->cells[i] : "";
			bool last = c + 1 == g->cols;
			rc = halo_buf_addf(out, "%s%*s", s, last ? 0 : (int)(w[c] - text_width(s) + 2), "");
		}
		/* no trailing blanks */
		while (!rc && out->len && out->ptr[out->len - 1] == ' ')
			out->ptr[--out->len] = 0;
		if (!rc)
			rc = halo_buf_adds(out, "\n");
	}
	free(w);
	return rc;
}

static void grid_free(grid *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->cells[i]);
	free(g->cells);
	memset(g, 0, sizeof(*g));
}

/* Distinct strings in first-seen order (pointers into the run). */
typedef struct strset {
	const char **v;
	size_t n;
} strset;

static int strset_add(strset *s, const char *x)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], x))
			return 0;
	const char **v = realloc(s->v, (s->n + 1) * sizeof(*v));
	if (!v)
		return halo_error_set(HALO_ENOMEM, "out of memory");
	s->v = v;
	s->v[s->n++] = x;
	return 0;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

/* The sorted distinct depths of a model's cells. */
static int model_depths(const halo_bench_run *run, const char *model, long **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	long *v = malloc((run->n_cells ? run->n_cells : 1) * sizeof(*v));
	if (!v)
		return halo_error_set(HALO_ENOMEM, "out of memory");
	for (size_t i = 0; i < run->n_cells; i++) {
		if (strcmp(run->cells[i].model_name, model))
			continue;
		bool seen = false;
		for (size_t k = 0; k < *n && !seen; k++)
			seen = v[k] == run->cells[i].depth;
		if (!seen)
			v[(*n)++] = run->cells[i].depth;
	}
	qsort(v, *n, sizeof(*v), cmp_long);
	*out = v;
	return 0;
}

static const halo_bench_cell_rec *find_cell(const halo_bench_run *run, const char *model, const char *backend,
					    long depth)
{
	for (size_t i = 0; i < run->n_cells; i++) {
		const halo_bench_cell_rec *c = &run->cells[i];
		if (c->depth == depth && !strcmp(c->model_name, model) && !strcmp(c->backend, backend))
			return c;
	}
	return NULL;
}

static const halo_bench_result *find_result(const halo_bench_cell_rec *c, const char *kind)
{
	for (size_t i = 0; c && i < c->cell.results.n; i++)
		if (!strcmp(halo_bench_result_kind(&c->cell.results.items[i]), kind))
			return &c->cell.results.items[i];
	return NULL;
}

static const char *const kinds[] = { "pp", "tg", "pg" };

/* The test name of a kind in a model (e.g. "pp512"); false when no result has it. */
static bool model_test_name(const halo_bench_run *run, const char *model, const char *kind, char *buf, size_t n)
{
	for (size_t i = 0; i < run->n_cells; i++) {
		if (strcmp(run->cells[i].model_name, model))
			continue;
		const halo_bench_result *r = find_result(&run->cells[i], kind);
		if (r) {
			halo_bench_result_test(r, buf, n);
			return true;
		}
	}
	return false;
}

void halo_bench_result_stats(const halo_bench_result *r, double *mean, double *sd, size_t *n)
{
	if (r->n_samples_ts >= 1) {
		double s = 0, ss = 0;
		for (size_t i = 0; i < r->n_samples_ts; i++)
			s += r->samples_ts[i];
		*n = r->n_samples_ts;
		*mean = s / (double)*n;
		for (size_t i = 0; i < r->n_samples_ts; i++)
			ss += (r->samples_ts[i] - *mean) * (r->samples_ts[i] - *mean);
		*sd = *n > 1 ? sqrt(ss / (double)(*n - 1)) : 0;
		return;
	}
	*mean = r->avg_ts;
	*sd = r->stddev_ts > 0 ? r->stddev_ts : 0;
	*n = 1;
}

static void fmt_ts(char *buf, size_t n, double mean, double sd)
{
	snprintf(buf, n, "%.2f ± %.2f", mean, sd);
}

/* ---- table ---- */

int halo_bench_table(const halo_bench_run *run, halo_buf *out)
{
	strset models = { 0 }, backends = { 0 };
	int rc = 0;
	for (size_t i = 0; i < run->n_cells && !rc; i++)
		rc = strset_add(&models, run->cells[i].model_name);
	for (size_t m = 0; m < models.n && !rc; m++) {
		const char *model = models.v[m];
		backends.n = 0;
		for (size_t i = 0; i < run->n_cells && !rc; i++)
			if (!strcmp(run->cells[i].model_name, model))
				rc = strset_add(&backends, run->cells[i].backend);
		long *depths = NULL;
		size_t nd = 0;
		if (rc || (rc = model_depths(run, model, &depths, &nd)))
			break;
		char names[3][64];
		bool have[3];
		size_t nk = 0;
		for (int k = 0; k < 3; k++)
			nk += have[k] = model_test_name(run, model, kinds[k], names[k], sizeof(names[k]));
		if (!nk) { /* nothing measured: still one column per depth for the statuses */
			have[0] = have[1] = true;
			snprintf(names[0], sizeof(names[0]), "pp");
			snprintf(names[1], sizeof(names[1]), "tg");
			nk = 2;
		}
		/* model heading: its type and size from the first result */
		const halo_bench_result *any = NULL;
		for (size_t i = 0; i < run->n_cells && !any; i++)
			if (!strcmp(run->cells[i].model_name, model) && run->cells[i].cell.results.n)
				any = &run->cells[i].cell.results.items[0];
		rc = halo_buf_addf(out, "%s%s", m ? "\n" : "", model);
		if (!rc && any && any->model_type)
			rc = halo_buf_addf(out, " (%s", any->model_type);
		if (!rc && any && any->model_type && any->model_size > 0)
			rc = halo_buf_addf(out, ", %.2f GiB", (double)any->model_size / (1024.0 * 1024 * 1024));
		if (!rc && any && any->model_type)
			rc = halo_buf_adds(out, ")");
		if (!rc)
			rc = halo_buf_adds(out, " - t/s, mean ± sd\n");
		grid g;
		grid_init(&g, 1 + nd * nk);
		grid_add(&g, "backend");
		for (size_t d = 0; d < nd; d++)
			for (int k = 0; k < 3; k++)
				if (have[k]) {
					char h[96];
					snprintf(h, sizeof(h), "%s @ d%ld", names[k], depths[d]);
					grid_add(&g, h);
				}
		for (size_t b = 0; b < backends.n; b++) {
			grid_add(&g, backends.v[b]);
			for (size_t d = 0; d < nd; d++) {
				const halo_bench_cell_rec *c = find_cell(run, model, backends.v[b], depths[d]);
				for (int k = 0; k < 3; k++) {
					if (!have[k])
						continue;
					const halo_bench_result *r = find_result(c, kinds[k]);
					char v[128];
					if (!c) {
						snprintf(v, sizeof(v), "-");
					} else if (r) {
						double mean, sd;
						size_t n;
						halo_bench_result_stats(r, &mean, &sd, &n);
						fmt_ts(v, sizeof(v), mean, sd);
						if (c->cell.status != HALO_BENCH_OK) /* measured, then the cell failed */
							snprintf(v + strlen(v), sizeof(v) - strlen(v), " (%s)",
								 halo_bench_status_name(c->cell.status));
					} else {
						snprintf(v, sizeof(v), "%s", c->cell.status == HALO_BENCH_OK
										    ? "-"
										    : halo_bench_status_name(c->cell.status));
					}
					grid_add(&g, v);
				}
			}
		}
		if (!rc)
			rc = grid_print(&g, out);
		grid_free(&g);
		free(depths);
	}
	free(models.v);
	free(backends.v);
	return rc;
}

/* ---- JSON ---- */

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *halo_bench_run_json(const halo_bench_run *run)
{
	json_t *root = json_object(), *cells = json_array();
	if (!root || !cells) {
		json_decref(root);
		json_decref(cells);
		return NULL;
	}
	json_object_set_new(root, "id", json_integer((json_int_t)run->id));
	json_object_set_new(root, "status", str_or_null(run->status));
	json_object_set_new(root, "created", json_real(run->created));
	json_object_set_new(root, "updated", json_real(run->updated));
	json_object_set_new(root, "halo_version", str_or_null(run->halo_version));
	json_object_set_new(root, "kernel", str_or_null(run->kernel));
	json_t *params = run->params_json ? json_loads(run->params_json, 0, NULL) : NULL;
	json_object_set_new(root, "params", params ? params : json_null());
	size_t n_ok = 0;
	for (size_t i = 0; i < run->n_cells; i++) {
		const halo_bench_cell_rec *c = &run->cells[i];
		json_t *o = json_object(), *res = json_array(), *argv = json_array();
		n_ok += c->cell.status == HALO_BENCH_OK;
		json_object_set_new(o, "model", str_or_null(c->model));
		json_object_set_new(o, "model_name", str_or_null(c->model_name));
		json_object_set_new(o, "backend", str_or_null(c->backend));
		json_t *bj = c->backend_json ? json_loads(c->backend_json, 0, NULL) : NULL;
		json_object_set_new(o, "backend_info", bj ? bj : json_null());
		json_object_set_new(o, "depth", json_integer(c->depth));
		json_object_set_new(o, "status", json_string(halo_bench_status_name(c->cell.status)));
		json_object_set_new(o, "exit_status", json_integer(c->cell.exit_status));
		json_object_set_new(o, "error", str_or_null(c->cell.error));
		json_object_set_new(o, "log_tail", str_or_null(c->cell.log_tail));
		json_object_set_new(o, "skipped_lines", json_integer((json_int_t)c->cell.results.skipped));
		json_object_set_new(o, "started", json_real(c->cell.started));
		json_object_set_new(o, "finished", json_real(c->cell.finished));
		for (size_t k = 0; c->cell.argv && c->cell.argv[k]; k++)
			json_array_append_new(argv, json_string(c->cell.argv[k]));
		json_object_set_new(o, "argv", argv);
		for (size_t k = 0; k < c->cell.results.n; k++) {
			const halo_bench_result *r = &c->cell.results.items[k];
			json_t *raw = r->json ? json_loads(r->json, 0, NULL) : NULL;
			json_t *x = json_object();
			char test[64];
			double mean, sd;
			size_t n;
			halo_bench_result_stats(r, &mean, &sd, &n);
			json_object_set_new(x, "test", json_string(halo_bench_result_test(r, test, sizeof(test))));
			json_object_set_new(x, "kind", json_string(halo_bench_result_kind(r)));
			json_object_set_new(x, "n_depth", json_integer(r->n_depth));
			json_object_set_new(x, "mean_ts", json_real(mean));
			json_object_set_new(x, "sd_ts", json_real(sd));
			json_object_set_new(x, "n_samples", json_integer((json_int_t)n));
			json_object_set_new(x, "llama_bench", raw ? raw : json_null());
			json_array_append_new(res, x);
		}
		json_object_set_new(o, "results", res);
		json_array_append_new(cells, o);
	}
	json_object_set_new(root, "n_cells", json_integer((json_int_t)run->n_cells));
	json_object_set_new(root, "n_ok", json_integer((json_int_t)n_ok));
	json_object_set_new(root, "cells", cells);
	return root;
}

/* ---- SVG ---- */

static int xml_text(halo_buf *out, const char *s)
{
	int rc = 0;
	for (; s && *s && !rc; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '&':
			rc = halo_buf_adds(out, "&amp;");
			break;
		case '<':
			rc = halo_buf_adds(out, "&lt;");
			break;
		case '>':
			rc = halo_buf_adds(out, "&gt;");
			break;
		case '"':
			rc = halo_buf_adds(out, "&quot;");
			break;
		case '\'':
			rc = halo_buf_adds(out, "&apos;");
			break;
		default:
			/* control characters are not allowed in XML 1.0 at all */
			rc = c < 0x20 && c != '\t' && c != '\n' ? halo_buf_adds(out, "?") : halo_buf_add(out, s, 1);
		}
	}
	return rc;
}

/* 1, 2 or 5 times a power of ten, at least x. */
static double nice_step(double x)
{
	if (!(x > 0))
		return 1;
	double p = pow(10, floor(log10(x)));
	double f = x / p;
	return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

static const char *const palette[] = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
				       "#9467bd", "#8c564b", "#e377c2", "#17becf" };

#define SVG_PANEL_W 440
#define SVG_PANEL_H 260
#define SVG_MARGIN_L 70
#define SVG_MARGIN_T 50
#define SVG_MARGIN_B 50
#define SVG_GAP 40
#define SVG_LEGEND_W 180

static int svg_panel(halo_buf *out, const halo_bench_run *run, const char *model, const strset *backends,
		     const long *depths, size_t nd, const char *kind, const char *title, double x0, double y0)
{
	double ymax = 0;
	for (size_t b = 0; b < backends->n; b++)
		for (size_t d = 0; d < nd; d++) {
			const halo_bench_result *r = find_result(find_cell(run, model, backends->v[b], depths[d]), kind);
			double mean, sd;
			size_t n;
			if (r) {
				halo_bench_result_stats(r, &mean, &sd, &n);
				if (mean + sd > ymax)
					ymax = mean + sd;
			}
		}
	double step = nice_step(ymax > 0 ? ymax / 5 : 1);
	double top = ceil((ymax > 0 ? ymax : 1) / step) * step;
	const double w = SVG_PANEL_W, h = SVG_PANEL_H;
	int rc = halo_buf_addf(out, "<g class=\"panel\" data-test=\"%s\">\n", kind);
	rc = rc ? rc : halo_buf_addf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"14\" text-anchor=\"middle\">", x0 + w / 2,
				     y0 - 12);
	rc = rc ? rc : xml_text(out, title);
	rc = rc ? rc : halo_buf_adds(out, "</text>\n");
	rc = rc ? rc : halo_buf_addf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#888\"/>\n",
				     x0, y0, w, h);
	/* y ticks: t/s */
	for (double t = 0; !rc && t <= top + step / 2; t += step) {
		double y = y0 + h - t / top * h;
		rc = halo_buf_addf(out,
				   "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
				   "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%g</text>\n",
				   x0, y, x0 + w, y, x0 - 6, y + 4, t);
	}
	/* x ticks: one per depth, evenly spaced (depths grow geometrically) */
	for (size_t d = 0; !rc && d < nd; d++) {
		double x = x0 + (nd > 1 ? (double)d / (double)(nd - 1) * (w - 40) + 20 : w / 2);
		rc = halo_buf_addf(out,
				   "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>"
				   "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">%ld</text>\n",
				   x, y0 + h, x, y0 + h + 5, x, y0 + h + 18, depths[d]);
	}
	rc = rc ? rc : halo_buf_addf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" text-anchor=\"middle\">depth (tokens)</text>\n",
				     x0 + w / 2, y0 + h + 36);
	rc = rc ? rc : halo_buf_addf(out,
				     "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 %.1f %.1f)\">tokens/s</text>\n",
				     x0 - 50, y0 + h / 2, x0 - 50, y0 + h / 2);
	for (size_t b = 0; !rc && b < backends->n; b++) {
		const char *color = palette[b % (sizeof(palette) / sizeof(palette[0]))];
		halo_buf pts = HALO_BUF_INIT;
		halo_buf dots = HALO_BUF_INIT;
		for (size_t d = 0; !rc && d < nd; d++) {
			const halo_bench_result *r =
				find_result(find_cell(run, model, backends->v[b], depths[d]), kind);
			if (!r)
				continue;
			double mean, sd;
			size_t n;
			halo_bench_result_stats(r, &mean, &sd, &n);
			double x = x0 + (nd > 1 ? (double)d / (double)(nd - 1) * (w - 40) + 20 : w / 2);
			double y = y0 + h - mean / top * h;
			rc = halo_buf_addf(&pts, "%s%.1f,%.1f", pts.len ? " " : "", x, y);
			rc = rc ? rc : halo_buf_addf(&dots, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>", x, y, color);
		}
		if (!rc && pts.len) {
			rc = halo_buf_adds(out, "<polyline class=\"series\" data-backend=\"");
			rc = rc ? rc : xml_text(out, backends->v[b]);
			rc = rc ? rc : halo_buf_addf(out, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>%s\n",
						     color, pts.ptr, dots.ptr ? dots.ptr : "");
		}
		halo_buf_free(&pts);
		halo_buf_free(&dots);
	}
	return rc ? rc : halo_buf_adds(out, "</g>\n");
}

int halo_bench_svg(const halo_bench_run *run, halo_buf *out)
{
	strset models = { 0 }, backends = { 0 };
	int rc = 0;
	for (size_t i = 0; i < run->n_cells && !rc; i++)
		rc = strset_add(&models, run->cells[i].model_name);
	for (size_t i = 0; i < run->n_cells && !rc; i++)
		rc = strset_add(&backends, run->cells[i].backend);
	size_t nm = models.n ? models.n : 1;
	double row_h = SVG_MARGIN_T + SVG_PANEL_H + SVG_MARGIN_B + 30;
	double width = SVG_MARGIN_L + 2 * SVG_PANEL_W + SVG_GAP + SVG_MARGIN_L + SVG_LEGEND_W;
	double height = 40 + row_h * (double)nm;
	rc = rc ? rc : halo_buf_addf(out,
				     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				     "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\">\n"
				     "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
				     "<text x=\"20\" y=\"26\" font-size=\"16\">halo bench run %lld: tokens/s against context depth</text>\n",
				     width, height, width, height, (long long)run->id);
	for (size_t m = 0; m < models.n && !rc; m++) {
		const char *model = models.v[m];
		long *depths = NULL;
		size_t nd = 0;
		if ((rc = model_depths(run, model, &depths, &nd)))
			break;
		double y0 = 40 + row_h * (double)m + SVG_MARGIN_T;
		char pp[64], tg[64], title[512];
		if (!model_test_name(run, model, "pp", pp, sizeof(pp)))
			snprintf(pp, sizeof(pp), "pp");
		if (!model_test_name(run, model, "tg", tg, sizeof(tg)))
			snprintf(tg, sizeof(tg), "tg");
		snprintf(title, sizeof(title), "%s: prompt processing (%s)", model, pp);
		rc = svg_panel(out, run, model, &backends, depths, nd, "pp", title, SVG_MARGIN_L, y0);
		snprintf(title, sizeof(title), "%s: generation (%s)", model, tg);
		rc = rc ? rc : svg_panel(out, run, model, &backends, depths, nd, "tg", title,
					 SVG_MARGIN_L + SVG_PANEL_W + SVG_GAP + SVG_MARGIN_L / 2, y0);
		free(depths);
	}
	/* legend */
	double lx = SVG_MARGIN_L + 2 * SVG_PANEL_W + SVG_GAP + SVG_MARGIN_L / 2 + 20;
	rc = rc ? rc : halo_buf_addf(out, "<g class=\"legend\">\n<text x=\"%.1f\" y=\"%d\" font-size=\"13\">backends</text>\n",
				     lx, 40 + SVG_MARGIN_T);
	for (size_t b = 0; b < backends.n && !rc; b++) {
		double y = 40 + SVG_MARGIN_T + 20 + 20 * (double)b;
		rc = halo_buf_addf(out,
				   "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"3\"/>"
				   "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\">",
				   lx, y - 4, lx + 24, y - 4, palette[b % (sizeof(palette) / sizeof(palette[0]))], lx + 30, y);
		rc = rc ? rc : xml_text(out, backends.v[b]);
		rc = rc ? rc : halo_buf_adds(out, "</text>\n");
	}
	rc = rc ? rc : halo_buf_adds(out, "</g>\n</svg>\n");
	free(models.v);
	free(backends.v);
	return rc;
}

/* ---- comparison ---- */

const char *halo_bench_verdict_name(halo_bench_verdict v)
{
	switch (v) {
	case HALO_BENCH_NOISE:
		return "noise";
	case HALO_BENCH_FASTER:
		return "faster";
	case HALO_BENCH_SLOWER:
		return "slower";
	case HALO_BENCH_UNKNOWN:
		return "unknown";
	case HALO_BENCH_ONLY_A:
		return "only in A";
	case HALO_BENCH_ONLY_B:
		return "only in B";
	}
	return "?";
}

halo_bench_verdict halo_bench_noise_verdict(double mean_a, double sd_a, size_t n_a, double mean_b, double sd_b,
					    size_t n_b, double *noise)
{
	*noise = 0;
	if (n_a < 2 || n_b < 2)
		return HALO_BENCH_UNKNOWN;
	*noise = 2 * sqrt(sd_a * sd_a / (double)n_a + sd_b * sd_b / (double)n_b);
	double delta = mean_b - mean_a;
	if (fabs(delta) <= *noise)
		return HALO_BENCH_NOISE;
	return delta > 0 ? HALO_BENCH_FASTER : HALO_BENCH_SLOWER;
}

static const halo_bench_result *match(const halo_bench_run *run, const char *model, const char *backend,
				      const char *kind, long depth, const halo_bench_cell_rec **cell)
{
	for (size_t i = 0; i < run->n_cells; i++) {
		const halo_bench_cell_rec *c = &run->cells[i];
		if (strcmp(c->model_name, model) || strcmp(c->backend, backend))
			continue;
		if (c->depth != depth)
			continue;
		for (size_t k = 0; k < c->cell.results.n; k++) {
			const halo_bench_result *r = &c->cell.results.items[k];
			if (!strcmp(halo_bench_result_kind(r), kind)) {
				*cell = c;
				return r;
			}
		}
	}
	/* no result: the cell at that depth, if any, tells why */
	for (size_t i = 0; i < run->n_cells; i++) {
		const halo_bench_cell_rec *c = &run->cells[i];
		if (c->depth == depth && !strcmp(c->model_name, model) && !strcmp(c->backend, backend)) {
			*cell = c;
			return NULL;
		}
	}
	*cell = NULL;
	return NULL;
}

static int add_row(halo_bench_cmp_row **rows, size_t *n, const halo_bench_cmp_row *row)
{
	halo_bench_cmp_row *v = realloc(*rows, (*n + 1) * sizeof(*v));
	if (!v)
		return halo_error_set(HALO_ENOMEM, "out of memory");
	*rows = v;
	v[(*n)++] = *row;
	return 0;
}

int halo_bench_compare(const halo_bench_run *a, const halo_bench_run *b, halo_bench_cmp_row **rows, size_t *n)
{
	*rows = NULL;
	*n = 0;
	int rc = 0;
	for (int side = 0; side < 2 && !rc; side++) {
		const halo_bench_run *x = side ? b : a, *y = side ? a : b;
		for (size_t i = 0; i < x->n_cells && !rc; i++) {
			const halo_bench_cell_rec *c = &x->cells[i];
			for (size_t k = 0; k < c->cell.results.n && !rc; k++) {
				const halo_bench_result *r = &c->cell.results.items[k];
				const halo_bench_cell_rec *oc = NULL;
				const char *kind = halo_bench_result_kind(r);
				/* the depth asked for, not the one printed: builds before -d print none */
				const halo_bench_result *o = match(y, c->model_name, c->backend, kind, c->depth, &oc);
				if (side && o)
					continue; /* listed from A's side already */
				halo_bench_cmp_row row;
				memset(&row, 0, sizeof(row));
				row.model_name = c->model_name;
				row.backend = c->backend;
				row.kind = kind;
				row.depth = c->depth;
				row.a = side ? o : r;
				row.b = side ? r : o;
				row.cell_a = side ? oc : c;
				row.cell_b = side ? c : oc;
				if (row.a)
					halo_bench_result_stats(row.a, &row.mean_a, &row.sd_a, &row.n_a);
				if (row.b)
					halo_bench_result_stats(row.b, &row.mean_b, &row.sd_b, &row.n_b);
				if (row.a && row.b) {
					row.delta_pct = row.mean_a > 0 ? (row.mean_b - row.mean_a) / row.mean_a * 100 : 0;
					row.verdict = halo_bench_noise_verdict(row.mean_a, row.sd_a, row.n_a, row.mean_b,
									       row.sd_b, row.n_b, &row.noise);
				} else {
					row.verdict = row.a ? HALO_BENCH_ONLY_A : HALO_BENCH_ONLY_B;
				}
				rc = add_row(rows, n, &row);
			}
		}
	}
	if (rc) {
		free(*rows);
		*rows = NULL;
		*n = 0;
	}
	return rc;
}

static void side_text(char *buf, size_t n, const halo_bench_result *r, const halo_bench_cell_rec *c, double mean,
		      double sd)
{
	if (r)
		fmt_ts(buf, n, mean, sd);
	else
		snprintf(buf, n, "%s", c ? halo_bench_status_name(c->cell.status) : "-");
}

int halo_bench_compare_table(const halo_bench_cmp_row *rows, size_t n, halo_buf *out)
{
	grid g;
	grid_init(&g, 9);
	const char *head[] = { "model", "backend", "test", "depth", "A t/s", "B t/s", "change", "noise", "verdict" };
	for (int i = 0; i < 9; i++)
		grid_add(&g, head[i]);
	for (size_t i = 0; i < n; i++) {
		const halo_bench_cmp_row *r = &rows[i];
		char test[64], depth[32], va[128], vb[128], ch[32] = "-", noise[32] = "-";
		halo_bench_result_test(r->a ? r->a : r->b, test, sizeof(test));
		snprintf(depth, sizeof(depth), "%ld", r->depth);
		side_text(va, sizeof(va), r->a, r->cell_a, r->mean_a, r->sd_a);
		side_text(vb, sizeof(vb), r->b, r->cell_b, r->mean_b, r->sd_b);
		if (r->a && r->b)
			snprintf(ch, sizeof(ch), "%+.2f%%", r->delta_pct);
		if (r->a && r->b && r->verdict != HALO_BENCH_UNKNOWN)
			snprintf(noise, sizeof(noise), "±%.2f", r->noise);
		grid_add(&g, r->model_name);
		grid_add(&g, r->backend);
		grid_add(&g, test);
		grid_add(&g, depth);
		grid_add(&g, va);
		grid_add(&g, vb);
		grid_add(&g, ch);
		grid_add(&g, noise);
		grid_add(&g, halo_bench_verdict_name(r->verdict));
	}
	int rc = grid_print(&g, out);
	grid_free(&g);
	return rc;
}

static json_t *side_json(const halo_bench_result *r, const halo_bench_cell_rec *c, double mean, double sd, size_t n)
{
	if (!c)
		return json_null();
	json_t *o = json_object();
	json_object_set_new(o, "status", json_string(halo_bench_status_name(c->cell.status)));
	if (r) {
		json_object_set_new(o, "mean_ts", json_real(mean));
		json_object_set_new(o, "sd_ts", json_real(sd));
		json_object_set_new(o, "n_samples", json_integer((json_int_t)n));
	}
	return o;
}

json_t *halo_bench_compare_json(const halo_bench_run *a, const halo_bench_run *b, const halo_bench_cmp_row *rows,
				size_t n)
{
	json_t *root = json_object(), *arr = json_array();
	if (!root || !arr) {
		json_decref(root);
		json_decref(arr);
		return NULL;
	}
	json_object_set_new(root, "run_a", json_integer((json_int_t)a->id));
	json_object_set_new(root, "run_b", json_integer((json_int_t)b->id));
	json_object_set_new(root, "noise_rule", json_string("|B - A| > 2 * sqrt(sdA^2/nA + sdB^2/nB) over samples_ts"));
	for (size_t i = 0; i < n; i++) {
		const halo_bench_cmp_row *r = &rows[i];
		json_t *o = json_object();
		char test[64];
		halo_bench_result_test(r->a ? r->a : r->b, test, sizeof(test));
		json_object_set_new(o, "model_name", json_string(r->model_name));
		json_object_set_new(o, "backend", json_string(r->backend));
		json_object_set_new(o, "test", json_string(test));
		json_object_set_new(o, "kind", json_string(r->kind));
		json_object_set_new(o, "depth", json_integer(r->depth));
		json_object_set_new(o, "a", side_json(r->a, r->cell_a, r->mean_a, r->sd_a, r->n_a));
		json_object_set_new(o, "b", side_json(r->b, r->cell_b, r->mean_b, r->sd_b, r->n_b));
		json_object_set_new(o, "change_pct", r->a && r->b ? json_real(r->delta_pct) : json_null());
		json_object_set_new(o, "noise_ts",
				    r->a && r->b && r->verdict != HALO_BENCH_UNKNOWN ? json_real(r->noise) : json_null());
		json_object_set_new(o, "verdict", json_string(halo_bench_verdict_name(r->verdict)));
		json_array_append_new(arr, o);
	}
	json_object_set_new(root, "rows", arr);
	return root;
}
